"""Catalogue records: the list and one record, as JSON, MARC 21 or MARCXML.

Staff see the whole catalogue; a partner key sees the records its own exchanges brought in,
in the list and one by one alike (``catalogue.record_scope``, the one rule).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

import marc
from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import CallerDep, ContextDep
from services.exchange.schemas.common import INT32_MAX, Page
from services.exchange.schemas.marc import RecordOut
from services.exchange.schemas.records import RecordDetail
from services.exchange.service import catalogue, catalogue_view

router = APIRouter(prefix="/records", tags=["records"], responses=PROBLEMS)

RecordId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The catalogue record's id")]
RecordFormat = Annotated[
    Literal["json", "marc21", "marcxml"],
    Query(description="json (the default), marc21 (ISO 2709, UTF-8) or marcxml"),
]


@router.get("")
def list_records(
    ctx: ContextDep,
    caller: CallerDep,
    isbn: str | None = None,
    q: Annotated[str | None, Query(description="Words that must all be in the title")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RecordOut]:
    """Records in the order they were added: all for staff, its exchanges' for a partner."""
    return catalogue.list_records(ctx.engine, caller, isbn=isbn, q=q, limit=limit, offset=offset)


@router.get(
    "/{record_id}",
    response_model=RecordDetail,
    responses={
        200: {
            "content": {
                "application/marc": {"schema": {"type": "string", "format": "binary"}},
                "application/marcxml+xml": {"schema": {"type": "string"}},
            },
            "description": "The record; with ?format=marc21 or marcxml, the record itself",
        }
    },
)
async def get_record(
    record_id: RecordId, ctx: ContextDep, caller: CallerDep, format: RecordFormat = "json"
) -> RecordDetail | Response:
    """One record: its fields, a labelled description, holdings, provenance and history."""
    if format == "json":
        return await asyncio.to_thread(catalogue_view.record_view, ctx.engine, caller, record_id)
    data = await asyncio.to_thread(catalogue_view.record_marc, ctx.engine, caller, record_id)
    if format == "marcxml":
        return Response(
            b"".join(marc.marcxml_collection([data])),
            media_type="application/marcxml+xml",
            headers={"Content-Disposition": f'inline; filename="record-{record_id}.xml"'},
        )
    return Response(
        data,
        media_type="application/marc",
        headers={"Content-Disposition": f'inline; filename="record-{record_id}.mrc"'},
    )
