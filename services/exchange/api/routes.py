"""API v1 routes. Thin: validate, authorize, call the service layer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from services.exchange.api.conditional import NOT_MODIFIED, json_answer
from services.exchange.http.deps import (
    AcquisitionsDep,
    AcquisitionsOrPartnerDep,
    AdminDep,
    AdminOrPartnerDep,
    CallerDep,
    CataloguerOrPartnerDep,
    ContextDep,
    StaffDep,
)
from services.exchange.http.downloads import csv_download, marc_download, raw_marc_download
from services.exchange.schemas import (
    AgreementIn,
    AgreementOut,
    BalanceOut,
    BatchAccepted,
    BatchOut,
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    DecisionIn,
    DeliveryOut,
    DepositIn,
    ExchangeOut,
    ExchangeSummary,
    FundItemOut,
    KeyCreated,
    KeyIn,
    KeyOut,
    LostIn,
    Page,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    ProposalIn,
    ReceiptIn,
    RecordOut,
    RevisionIn,
    RotateIn,
    ShipmentIn,
    WebhookSecret,
)
from services.exchange.service import (
    agreements,
    cataloguing,
    exchanges,
    fund,
    keys,
    matching,
    partners,
    reports,
    webhooks,
)
from services.exchange.service.access import require_visible

router = APIRouter(prefix="/api/v1")

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"description": desc, "content": {"application/problem+json": {}}}
    for code, desc in {
        400: "The body cannot be read (not UTF-8 JSON, or broken multipart)",
        401: "Missing or unknown API key",
        403: "A partner key on a staff route, or a staff key without the role",
        404: "Not found, or not visible to this key",
        409: "Refused in the exchange's current state, or by the wrong side",
        413: "The body or upload is over the size limit",
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
def create_partner(body: PartnerIn, ctx: ContextDep, _: AdminDep) -> PartnerCreated:
    """Register a partner library; its API key and webhook secret are shown only here."""
    return partners.create(ctx.engine, ctx.settings, body)


@router.patch("/partners/{code}", tags=["partners"], responses=_PROBLEMS)
def update_partner(
    code: str, body: PartnerPatch, ctx: ContextDep, caller: AdminOrPartnerDep
) -> PartnerOut:
    """Admins change name and ISIL; a partner changes its own webhook_url."""
    return partners.update(ctx.engine, ctx.settings, caller, code, body)


@router.post("/partners/{code}/webhook-secret", tags=["partners"], responses=_PROBLEMS)
def new_webhook_secret(code: str, ctx: ContextDep, caller: AdminOrPartnerDep) -> WebhookSecret:
    """Issue a new secret for signing this partner's webhook events; the old one stops now."""
    return partners.new_webhook_secret(ctx.engine, caller, code)


@router.post(
    "/partners/{code}/keys",
    status_code=status.HTTP_201_CREATED,
    tags=["keys"],
    responses=_PROBLEMS,
)
def rotate_partner_key(
    code: str, body: RotateIn, ctx: ContextDep, caller: AdminOrPartnerDep
) -> KeyCreated:
    """A new key for the partner; its current keys keep working for ``overlap_hours`` only."""
    return partners.rotate_key(ctx.engine, caller, code, body)


@router.get("/partners/{code}/deliveries", tags=["partners"], responses=_PROBLEMS)
def list_deliveries(
    code: str,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """Every attempt to deliver a webhook event to this partner, newest first."""
    return webhooks.list_deliveries(ctx.engine, caller, code, limit, offset)


@router.post("/keys", status_code=status.HTTP_201_CREATED, tags=["keys"], responses=_PROBLEMS)
def create_key(body: KeyIn, ctx: ContextDep, _: AdminDep) -> KeyCreated:
    """A staff key with a role, or another key for a partner; the key is shown only here."""
    return keys.create(ctx.engine, body)


@router.get("/keys", tags=["keys"], responses=_PROBLEMS)
def list_keys(ctx: ContextDep, _: AdminDep, include_revoked: bool = False) -> list[KeyOut]:
    return keys.list_all(ctx.engine, include_revoked)


@router.delete(
    "/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["keys"], responses=_PROBLEMS
)
def revoke_key(key_id: str, ctx: ContextDep, _: AdminDep) -> Response:
    """Revoke a key at once."""
    keys.revoke(ctx.engine, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/partners", tags=["partners"], responses=_PROBLEMS)
def list_partners(
    ctx: ContextDep, _: StaffDep, limit: Limit = 100, offset: Offset = 0
) -> Page[PartnerOut]:
    return partners.list_all(ctx.engine, limit, offset)


@router.post(
    "/partners/{code}/agreements",
    status_code=status.HTTP_201_CREATED,
    tags=["partners"],
    responses=_PROBLEMS,
)
def create_agreement(
    code: str, body: AgreementIn, ctx: ContextDep, caller: AdminDep
) -> AgreementOut:
    """Record a memorandum of understanding; exchanges need one valid on the day."""
    return agreements.create(ctx.engine, caller, code, body)


@router.get("/partners/{code}/agreements", tags=["partners"], responses=_PROBLEMS)
def list_agreements(code: str, ctx: ContextDep, caller: CallerDep) -> list[AgreementOut]:
    return agreements.list_for(ctx.engine, caller, code)


@router.get("/partners/{code}/balance", tags=["partners"], responses=_PROBLEMS)
def balance(
    code: str,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> BalanceOut:
    """Copies and titles sent and received in a year (default: this year), and the quota used."""
    return reports.balance(ctx.engine, caller, code, year or datetime.now(UTC).year)


@router.post(
    "/deposits",
    tags=["fund"],
    responses={
        201: {"description": "A new publication in the fund", "model": FundItemOut},
        **_PROBLEMS,
    },
)
def deposit(
    body: DepositIn, ctx: ContextDep, _: AcquisitionsDep, response: Response
) -> FundItemOut:
    """Register deposited copies: 201 for a new publication, 200 when added to an existing one."""
    item, created = fund.deposit(ctx.engine, body, ctx.settings.retention_copies)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return item


@router.get("/fund", tags=["fund"], responses=_PROBLEMS)
def list_fund(
    ctx: ContextDep,
    _: StaffDep,
    q: Annotated[str | None, Query(description="Words in the title or author")] = None,
    isbn: str | None = None,
    available_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[FundItemOut]:
    """What can be offered: deposited copies beyond those retained and not yet reserved."""
    return fund.list_fund(
        ctx.engine, q=q, isbn=isbn, available_only=available_only, limit=limit, offset=offset
    )


@router.get(
    "/reports/exchanges.csv",
    tags=["reports"],
    responses={200: {"content": {"text/csv": {}}}, **_PROBLEMS},
    response_class=StreamingResponse,
)
def exchanges_report(
    ctx: ContextDep, _: AcquisitionsDep, year: Annotated[int | None, Query(ge=1900, le=2200)] = None
) -> StreamingResponse:
    """One row per exchange line of the exchanges proposed in the year, for the annual report."""
    year = year or datetime.now(UTC).year
    return csv_download(reports.exchanges_csv(ctx.engine, year), f"exchanges-{year}.csv")


@router.post(
    "/exchanges", status_code=status.HTTP_201_CREATED, tags=["exchanges"], responses=_PROBLEMS
)
async def propose(
    body: ProposalIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """Propose an exchange: staff to a partner (outgoing), or a partner to us (incoming)."""
    return await exchanges.propose(ctx, caller, body)


@router.get(
    "/exchanges",
    tags=["exchanges"],
    responses={**_PROBLEMS, **NOT_MODIFIED},
    response_model=Page[ExchangeSummary],
)
async def list_exchanges(
    request: Request,
    ctx: ContextDep,
    caller: CallerDep,
    state: str | None = None,
    partner: str | None = None,
    direction: Literal["outgoing", "incoming"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Exchanges the key may see, newest first; an ETag comes with each page."""
    query = exchanges.ListQuery(state, partner, direction, limit, offset)
    return json_answer(request, await exchanges.list_answer(ctx, caller, query))


@router.get(
    "/exchanges/{exchange_id}",
    tags=["exchanges"],
    responses={**_PROBLEMS, **NOT_MODIFIED},
    response_model=ExchangeOut,
)
async def get_exchange(
    request: Request, exchange_id: str, ctx: ContextDep, caller: CallerDep
) -> Response:
    """One exchange with its lines, history, claims and MARC batches, with an ETag."""
    return json_answer(request, await exchanges.view_answer(ctx, caller, exchange_id))


@router.post("/exchanges/{exchange_id}/decision", tags=["exchanges"], responses=_PROBLEMS)
async def decide(
    exchange_id: str, body: DecisionIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The recipient accepts some or all lines (with quantities) or declines with a reason."""
    return await exchanges.decide(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/shipment", tags=["exchanges"], responses=_PROBLEMS)
async def ship(
    exchange_id: str, body: ShipmentIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender records the dispatch of the accepted lines."""
    return await exchanges.ship(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/receipt", tags=["exchanges"], responses=_PROBLEMS)
async def receive(
    exchange_id: str, body: ReceiptIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The recipient records what arrived; lines not listed count as not received."""
    return await exchanges.receive(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/revision", tags=["exchanges"], responses=_PROBLEMS)
async def revise(
    exchange_id: str, body: RevisionIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender replaces the offered lines while the proposal is undecided."""
    return await exchanges.revise(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/cancel", tags=["exchanges"], responses=_PROBLEMS)
async def cancel(
    exchange_id: str, body: CancelIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """Either side cancels before shipment; reserved copies go back to the fund."""
    return await exchanges.cancel(ctx, caller, exchange_id, body)


@router.post("/exchanges/{exchange_id}/lost", tags=["exchanges"], responses=_PROBLEMS)
async def mark_lost(
    exchange_id: str, body: LostIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender marks a shipment lost after two claims for an overdue receipt."""
    return await exchanges.mark_lost(ctx, caller, exchange_id, body)


@router.post(
    "/exchanges/{exchange_id}/claims/{claim_no}/answer", tags=["exchanges"], responses=_PROBLEMS
)
async def answer_claim(
    exchange_id: str,
    claim_no: str,
    body: ClaimAnswerIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> ExchangeOut:
    """The sender answers a claim for missing or damaged copies: resend or write off."""
    return await exchanges.answer_claim(ctx, caller, exchange_id, claim_no, body)


@router.post(
    "/exchanges/{exchange_id}/claims/{claim_no}/confirm", tags=["exchanges"], responses=_PROBLEMS
)
async def confirm_claim(
    exchange_id: str,
    claim_no: str,
    body: ClaimConfirmIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> ExchangeOut:
    """The recipient confirms that resent copies arrived, which settles the claim."""
    return await exchanges.confirm_claim(ctx, caller, exchange_id, claim_no, body)


@router.post(
    "/exchanges/{exchange_id}/marc",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["marc"],
    responses=_PROBLEMS,
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"example": {"file": "shipment-2026-11.mrc"}}}
        }
    },
)
async def upload_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CataloguerOrPartnerDep,
    file: Annotated[UploadFile, File(description="MARC 21 or UNIMARC (ISO 2709), MARCXML, JSON")],
    dry_run: Annotated[bool, Query(description="Report what would happen; write nothing")] = False,
) -> BatchAccepted:
    """Upload the MARC records of the exchange's shipment; they are imported in the background."""
    batch_id = await cataloguing.upload(ctx, caller, file.file, file.filename, exchange_id, dry_run)
    return BatchAccepted(batch_id=batch_id)


@router.post(
    "/marc-batches",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["marc"],
    responses=_PROBLEMS,
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"example": {"file": "deposit-2026.mrc"}}}
        }
    },
)
async def upload_batch(
    ctx: ContextDep,
    caller: CataloguerOrPartnerDep,
    file: Annotated[UploadFile, File(description="MARC 21 or UNIMARC (ISO 2709), MARCXML, JSON")],
    exchange_id: Annotated[str | None, Form(description="Import for this exchange")] = None,
    dry_run: Annotated[bool, Query(description="Report what would happen; write nothing")] = False,
) -> BatchAccepted:
    """Import a MARC file into the catalogue, for an exchange or on its own (staff only)."""
    batch_id = await cataloguing.upload(ctx, caller, file.file, file.filename, exchange_id, dry_run)
    return BatchAccepted(batch_id=batch_id)


@router.get(
    "/exchanges/{exchange_id}/marc",
    tags=["marc"],
    responses={
        200: {"content": {"application/marc": {}, "application/marcxml+xml": {}}},
        **_PROBLEMS,
    },
    response_class=StreamingResponse,
)
async def download_marc(
    exchange_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> StreamingResponse:
    """The exchange's records as MARC 21 (UTF-8) or MARCXML."""
    await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
    records = cataloguing.exchange_records(ctx.engine, exchange_id)
    return marc_download(records, f"exchange-{exchange_id}", format)


@router.get("/marc-batches/{batch_id}", tags=["marc"], responses=_PROBLEMS)
def get_batch(batch_id: str, ctx: ContextDep, caller: CallerDep) -> BatchOut:
    """State, progress (records done, rate, time left), counts, rejects with their reasons."""
    return cataloguing.batch_view(ctx.engine, caller, batch_id)


@router.get(
    "/marc-batches/{batch_id}/outcomes.csv",
    tags=["marc"],
    responses={200: {"content": {"text/csv": {}}}, **_PROBLEMS},
    response_class=StreamingResponse,
)
def batch_outcomes(batch_id: str, ctx: ContextDep, caller: CallerDep) -> StreamingResponse:
    """One CSV row per record: created, merged, multi_match, duplicate or rejected, and why."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return csv_download(cataloguing.outcomes_csv(ctx.engine, batch_id), f"batch-{batch_id}.csv")


@router.get(
    "/marc-batches/{batch_id}/rejected",
    tags=["marc"],
    responses={200: {"content": {"application/marc": {}}}, **_PROBLEMS},
    response_class=StreamingResponse,
)
def batch_rejected(batch_id: str, ctx: ContextDep, caller: CallerDep) -> StreamingResponse:
    """The rejected records with their bytes untouched, to send back or repair."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return raw_marc_download(
        cataloguing.rejected_raw(ctx.engine, batch_id), f"rejected-{batch_id}.mrc"
    )


@router.get(
    "/marc-batches/{batch_id}/export",
    tags=["marc"],
    responses={
        200: {"content": {"application/marc": {}, "application/marcxml+xml": {}}},
        **_PROBLEMS,
    },
    response_class=StreamingResponse,
)
def batch_export(
    batch_id: str,
    ctx: ContextDep,
    caller: CallerDep,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> StreamingResponse:
    """What this batch catalogued (created or merged into), as MARC 21 (UTF-8) or MARCXML."""
    cataloguing.check_batch_visible(ctx.engine, caller, batch_id)
    return marc_download(
        cataloguing.batch_records(ctx.engine, batch_id), f"batch-{batch_id}", format
    )


@router.get("/match-rules", tags=["marc"], responses=_PROBLEMS)
def match_rules(_: CallerDep) -> dict[str, object]:
    """How imported records are matched to the catalogue, the batch and the exchange's lines."""
    return matching.MATCH_RULES


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
