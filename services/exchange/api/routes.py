"""API v1 routes. Thin: validate, authorize, call the service layer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import StreamingResponse

import marc
from services.exchange.deps import CallerDep, ContextDep, StaffDep
from services.exchange.schemas import (
    BatchAccepted,
    BatchOut,
    DecisionIn,
    ExchangeOut,
    ExchangeSummary,
    Page,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    ProposalIn,
    ReceiptIn,
    RecordOut,
    ShipmentIn,
)
from services.exchange.service import cataloguing, exchanges, partners

router = APIRouter(prefix="/api/v1")

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"description": desc, "content": {"application/problem+json": {}}}
    for code, desc in {
        401: "Missing or unknown API key",
        404: "Not found, or not visible to this key",
        409: "Refused in the exchange's current state, or by the wrong side",
        422: "The request is not valid",
    }.items()
}


@router.post(
    "/partners",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerCreated,
    tags=["partners"],
    responses=_PROBLEMS,
)
def create_partner(body: PartnerIn, ctx: ContextDep, _: StaffDep) -> PartnerCreated:
    """Register a partner library; its API key is in this response and never shown again."""
    return partners.create(ctx.engine, ctx.settings.home_code, body)


@router.get("/partners", tags=["partners"], responses=_PROBLEMS)
def list_partners(
    ctx: ContextDep, _: StaffDep, limit: Limit = 100, offset: Offset = 0
) -> Page[PartnerOut]:
    return partners.list_all(ctx.engine, limit, offset)


@router.post(
    "/exchanges", status_code=status.HTTP_201_CREATED, tags=["exchanges"], responses=_PROBLEMS
)
async def propose(body: ProposalIn, ctx: ContextDep, caller: CallerDep) -> ExchangeOut:
    """Propose an exchange: staff to a partner (outgoing), or a partner to us (incoming)."""
    return await exchanges.propose(ctx, caller, body)


@router.get("/exchanges", tags=["exchanges"], responses=_PROBLEMS)
def list_exchanges(
    ctx: ContextDep,
    caller: CallerDep,
    state: str | None = None,
    partner: str | None = None,
    direction: Literal["outgoing", "incoming"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ExchangeSummary]:
    return exchanges.list_for(
        ctx.engine,
        ctx.settings.home_code,
        caller,
        state=state,
        partner=partner,
        direction=direction,
        limit=limit,
        offset=offset,
    )


@router.get("/exchanges/{exchange_id}", tags=["exchanges"], responses=_PROBLEMS)
def get_exchange(exchange_id: str, ctx: ContextDep, caller: CallerDep) -> ExchangeOut:
    return exchanges.view(ctx.engine, ctx.settings.home_code, caller, exchange_id)


@router.post("/exchanges/{exchange_id}/decision", tags=["exchanges"], responses=_PROBLEMS)
async def decide(
    exchange_id: str, body: DecisionIn, ctx: ContextDep, caller: CallerDep
) -> ExchangeOut:
    """The recipient accepts some or all lines (with quantities) or declines with a reason."""
    return await exchanges.decide(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/shipment", tags=["exchanges"], responses=_PROBLEMS)
async def ship(
    exchange_id: str, body: ShipmentIn, ctx: ContextDep, caller: CallerDep
) -> ExchangeOut:
    """The sender records the dispatch of the accepted lines."""
    return await exchanges.ship(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/receipt", tags=["exchanges"], responses=_PROBLEMS)
async def receive(
    exchange_id: str, body: ReceiptIn, ctx: ContextDep, caller: CallerDep
) -> ExchangeOut:
    """The recipient records what arrived; lines not listed count as not received."""
    return await exchanges.receive(ctx, caller, exchange_id, body)


@router.post(
    "/exchanges/{exchange_id}/marc",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["marc"],
    responses=_PROBLEMS,
)
async def upload_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="MARC 21 binary (ISO 2709) or MARCXML")],
) -> BatchAccepted:
    """Upload the MARC records of the exchange's shipment; they are imported in the background."""
    batch_id = await cataloguing.upload_for_exchange(
        ctx, caller, exchange_id, file.file, file.filename
    )
    return BatchAccepted(batch_id=batch_id)


@router.get("/exchanges/{exchange_id}/marc", tags=["marc"], responses=_PROBLEMS)
async def download_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> StreamingResponse:
    """The exchange's records as MARC 21 (UTF-8) or MARCXML."""
    await asyncio.to_thread(cataloguing.check_exchange_visible, ctx.engine, caller, exchange_id)
    records = cataloguing.exchange_records(ctx.engine, exchange_id)
    if format == "marcxml":
        return StreamingResponse(
            marc.marcxml_collection(records),
            media_type="application/marcxml+xml",
            headers={"Content-Disposition": f'attachment; filename="exchange-{exchange_id}.xml"'},
        )
    return StreamingResponse(
        records,
        media_type="application/marc",
        headers={"Content-Disposition": f'attachment; filename="exchange-{exchange_id}.mrc"'},
    )


@router.get("/marc-batches/{batch_id}", tags=["marc"], responses=_PROBLEMS)
def get_batch(batch_id: str, ctx: ContextDep, caller: CallerDep) -> BatchOut:
    return cataloguing.batch_view(ctx.engine, caller, batch_id)


@router.get("/records", tags=["records"], responses=_PROBLEMS)
def list_records(
    ctx: ContextDep,
    _: StaffDep,
    isbn: str | None = None,
    q: Annotated[str | None, Query(description="Words that must all be in the title")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RecordOut]:
    return cataloguing.list_records(ctx.engine, isbn=isbn, q=q, limit=limit, offset=offset)
