"""The papers of a shipment: which can be had (``GET /exchanges/{id}/documents``) and each
as PDF (``GET /exchanges/{id}/documents/{kind}.pdf?lang=en|ru|id&parcel=N``).

Both sides of an exchange read them (a partner only its own: 404 otherwise); what they hold
and when they can be had is ``service/documents``. Making a PDF blocks (WeasyPrint in a child
process), so it runs in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import CallerDep, ContextDep
from services.exchange.http.downloads import download
from services.exchange.schemas.documents import DocumentKind, DocumentsOut, PaperLanguage
from services.exchange.service import documents

router = APIRouter(prefix="/exchanges", tags=["exchanges"], responses=PROBLEMS)

ExchangeId = Annotated[str, Path(description="The exchange's id or its number (EX-2026-0042)")]
PaperLang = Annotated[
    PaperLanguage,
    Query(description="The paper's language: English, Russian or Bahasa Indonesia"),
]
Parcel = Annotated[
    int,
    Query(
        ge=0,
        le=1000,
        description="0: the whole shipment; N: the packing list of parcel N of a shipment "
        "in several parcels (its lines split over the parcels in order, evenly by copies)",
    ),
]


@router.get("/{exchange_id}/documents")
async def list_documents(
    exchange_id: ExchangeId, ctx: ContextDep, caller: CallerDep
) -> DocumentsOut:
    """The exchange's papers (transfer act, packing list, customs content, receipt
    confirmation): whether each can be had now and why not, its parcels, the languages
    offered, and the lines published more than 50 years ago (they may need an export permit)."""
    return await asyncio.to_thread(
        documents.list_documents, ctx.engine, ctx.settings, caller, exchange_id
    )


@router.get(
    "/{exchange_id}/documents/{kind}.pdf",
    responses={200: {"content": {"application/pdf": {}}, "description": "The paper as PDF"}},
    response_class=Response,
)
async def document_pdf(
    exchange_id: ExchangeId,
    kind: DocumentKind,
    ctx: ContextDep,
    caller: CallerDep,
    lang: PaperLang = "en",
    parcel: Parcel = 0,
) -> Response:
    """One paper as a printable A4 PDF. The transfer act, the packing list and the customs
    content once lines are accepted; the receipt confirmation once shipped (409 before, with
    the reason). Kept with the exchange and made again only when what it prints changed.
    503 if this server cannot make PDFs (WeasyPrint or Pango missing)."""
    data, name = await asyncio.to_thread(
        documents.document_pdf, ctx.engine, ctx.settings, caller, exchange_id, kind, lang, parcel
    )
    return download(data, name, "application/pdf")
