"""A serial dispatch's papers as PDF: ``GET /serial-dispatches/{id}/documents/{kind}.pdf``
for its packing list and, when its issues carry a value, its transfer act, in English,
Russian or Bahasa Indonesia.

Staff read every dispatch's papers, its partner those of its dispatches once sent (404
otherwise, as for the dispatch itself); what they hold is ``service/dispatch_papers``. Making
a PDF blocks (WeasyPrint in a child process), so it runs in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import CallerDep, ContextDep
from services.exchange.http.downloads import download
from services.exchange.schemas.documents import PaperLanguage
from services.exchange.service import dispatch_papers
from services.exchange.service.dispatch_papers import DISPATCH_PAPER_KINDS

router = APIRouter(prefix="/serial-dispatches", tags=["serials"], responses=PROBLEMS)

DispatchId = Annotated[int, Path(description="The dispatch's id", ge=1, le=2_147_483_647)]
Kind = Annotated[
    str,
    Path(
        description="packing-list, or transfer-act (when the issues carry a value)",
        json_schema_extra={"enum": list(DISPATCH_PAPER_KINDS)},
    ),
]
PaperLang = Annotated[
    PaperLanguage,
    Query(description="The paper's language: English, Russian or Bahasa Indonesia"),
]


@router.get(
    "/{dispatch_id}/documents/{kind}.pdf",
    responses={200: {"content": {"application/pdf": {}}, "description": "The paper as PDF"}},
    response_class=Response,
)
async def dispatch_paper(
    dispatch_id: DispatchId,
    kind: Kind,
    ctx: ContextDep,
    caller: CallerDep,
    lang: PaperLang = "en",
) -> Response:
    """One paper of a serial dispatch as a printable A4 PDF: the packing list (both
    addresses, each issue with its title, ISSN, volume and number, and copies), or the
    transfer act (409 when no issue of it carries a value). Another partner's dispatch, and
    a kind of paper a dispatch has not, are 404. 503 if this server cannot make
    PDFs (WeasyPrint or Pango missing)."""
    data, name = await asyncio.to_thread(
        dispatch_papers.paper_pdf, ctx.engine, ctx.settings, caller, dispatch_id, kind, lang
    )
    return download(data, name, "application/pdf")
