"""Exchanges: creating them, showing them, and passing each step to the exchange workflow.

The workflow decides whether a step may happen; this module finds the exchange (404 for a
caller who is not one of its two sides), forwards the step and turns a refusal into a problem.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import BindParameter, Engine, Integer, Select, Table, bindparam, delete, func
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.exchange.models import (
    Claim,
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    MarcBatch,
    Partner,
    Reservation,
)
from services.exchange.problems import Problem, not_found
from services.exchange.schemas import (
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    ClaimOut,
    DecisionIn,
    ExchangeOut,
    ExchangeSummary,
    HistoryOut,
    LineIn,
    LineOut,
    LostIn,
    Page,
    ProposalIn,
    ReceiptIn,
    RevisionIn,
    ShipmentIn,
    ShipmentOut,
)
from services.exchange.service import agreements, fund, partners, read_cache
from services.exchange.service.access import require_visible, sees
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ERR_INVALID_TRANSITION,
    ERR_NOT_ALLOWED,
)
from workflows.exchange.types import (
    PROPOSED,
    Actor,
    AttachMarcInput,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    LineOffer,
    LineQuantity,
    LineSpec,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow

OUTGOING = "outgoing"
INCOMING = "incoming"


def actor_of(caller: Caller) -> Actor:
    return Actor(party=caller.party, name=caller.actor)


# --- reading -----------------------------------------------------------------------------


def seen_direction(caller: Caller, stored: str) -> str:
    """Stored directions are ours; a partner sees them from its own side."""
    if caller.is_staff:
        return stored
    return INCOMING if stored == OUTGOING else OUTGOING


def receipt_due(shipped_on: date | None, receipt_days: int | None) -> date | None:
    """When the recipient should have the parcel: the agreement's days after shipment."""
    return shipped_on + timedelta(days=receipt_days) if shipped_on and receipt_days else None


def _sides(home: str, exchange: Exchange, partner: Partner) -> tuple[str, str]:
    return (home, partner.code) if exchange.direction == OUTGOING else (partner.code, home)


# The read endpoints select only the columns they show from the tables (no ORM objects:
# hydrating them cost more than the query, 100 per page) with statements built once, so
# SQLAlchemy reuses their compiled form instead of matching new statement objects to it.


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_EXCHANGES, _PARTNERS = _table(Exchange), _table(Partner)
_EX, _PARTNER = _EXCHANGES.c, _PARTNERS.c
_LINE = _table(ExchangeLine).c
_EVENT = _table(ExchangeEvent).c
_CLAIM = _table(Claim).c
_BATCH = _table(MarcBatch).c
_SUMMARY_COLUMNS = (
    _EX.id,
    _EX.state,
    _EX.direction,
    _EX.respond_by,
    _EX.created_at,
    _EX.updated_at,
    _PARTNER.code,
)
_WITH_PARTNER = _EX.partner_id == _PARTNER.id
_BY_EXCHANGE: BindParameter[str] = bindparam("exchange_id")
_DETAIL = (
    core_select(
        *_SUMMARY_COLUMNS,
        _EX.partner_id,
        _EX.decline_reason,
        _EX.cancel_reason,
        _EX.shipment,
        _EX.receipt_days,
        _EX.received_on,
        _EX.completed_on,
    )
    .join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
    .where(_EX.id == _BY_EXCHANGE)
)
_LINES = (
    core_select(*(_LINE[name] for name in LineOut.model_fields))
    .where(_LINE.exchange_id == _BY_EXCHANGE)
    .order_by(_LINE.position)
)
_HISTORY = (
    core_select(*(_EVENT[name] for name in HistoryOut.model_fields))
    .where(_EVENT.exchange_id == _BY_EXCHANGE)
    .order_by(_EVENT.seq)
)
_CLAIMS = (
    core_select(*(_CLAIM[name] for name in ClaimOut.model_fields))
    .where(_CLAIM.exchange_id == _BY_EXCHANGE)
    .order_by(_CLAIM.id)
)
_BATCHES = (
    core_select(_BATCH.id).where(_BATCH.exchange_id == _BY_EXCHANGE).order_by(_BATCH.created_at)
)


@functools.cache
def _list_statements(
    own_only: bool, by_state: bool, by_partner: bool, by_direction: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page query and its count for one combination of filters, values left as binds."""
    conditions = []
    if own_only:
        conditions.append(_EX.partner_id == bindparam("partner_id"))
    if by_state:
        conditions.append(_EX.state == bindparam("state"))
    if by_partner:
        conditions.append(_PARTNER.code == bindparam("partner"))
    if by_direction:
        conditions.append(_EX.direction == bindparam("direction"))
    page = (
        core_select(*_SUMMARY_COLUMNS)
        .join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
        .where(*conditions)
        .order_by(_EX.created_at.desc(), _EX.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    count = core_select(func.count()).select_from(_EXCHANGES)
    if by_partner:  # only the partner's code needs the join
        count = count.join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
    return page, count.where(*conditions)


def _summary_fields(caller: Caller, home: str, row: Sequence[Any]) -> dict[str, Any]:
    """One exchange as the caller sees it, from a row that starts with ``_SUMMARY_COLUMNS``."""
    exchange_id, state, direction, respond_by, created_at, updated_at, code = row[:7]
    outgoing = direction == OUTGOING
    return {
        "id": exchange_id,
        "state": state,
        "direction": seen_direction(caller, direction),
        "sender": home if outgoing else code,
        "recipient": code if outgoing else home,
        "partner": code,
        "respond_by": respond_by,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def view(engine: Engine, home: str, caller: Caller, exchange_id: str) -> ExchangeOut:
    which = {"exchange_id": exchange_id}
    with engine.connect() as conn:
        found = conn.execute(_DETAIL, which).first()
        if found is None or not sees(caller, found.partner_id):
            raise not_found(f"exchange {exchange_id}")
        lines = conn.execute(_LINES, which).all()
        events = conn.execute(_HISTORY, which).all()
        claims = conn.execute(_CLAIMS, which).all()
        batches = conn.execute(_BATCHES, which).scalars().all()
    shipment = ShipmentOut.model_validate(found.shipment) if found.shipment else None
    return ExchangeOut.model_validate(
        {
            **_summary_fields(caller, home, found),
            "lines": [line._asdict() for line in lines],
            "decline_reason": found.decline_reason,
            "cancel_reason": found.cancel_reason,
            "shipment": shipment,
            "receipt_due": receipt_due(
                shipment.shipped_on if shipment else None, found.receipt_days
            ),
            "received_on": found.received_on,
            "completed_on": found.completed_on,
            "claims": [
                {
                    **claim._asdict(),
                    "raised_at": claim.raised_at,
                    "settled_at": claim.settled_at,
                }
                for claim in claims
            ],
            "history": [{**event._asdict(), "at": event.at} for event in events],
            "marc_batches": list(batches),
        }
    )


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the exchange list was asked for; hashable, so it is part of the read cache's key."""

    state: str | None = None
    partner: str | None = None
    direction: str | None = None
    limit: int = 100
    offset: int = 0


def list_for(engine: Engine, home: str, caller: Caller, query: ListQuery) -> Page[ExchangeSummary]:
    own_only = not caller.is_staff
    direction = query.direction
    stored = direction if caller.is_staff or not direction else seen_direction(caller, direction)
    filters = bool(query.state), bool(query.partner), bool(direction)
    page, count = _list_statements(own_only, *filters)
    values = {
        "partner_id": caller.partner_id,
        "state": query.state,
        "partner": query.partner,
        "direction": stored,
        "limit": query.limit,
        "offset": query.offset,
    }
    with engine.connect() as conn:
        rows = conn.execute(page, values).all()
        if len(rows) < query.limit and (rows or not query.offset):
            total = query.offset + len(rows)  # the last page: nothing to count
        else:
            total = conn.execute(count, values).scalar_one()
    return _PAGE.validate_python(
        {
            "items": [_summary_fields(caller, home, row) for row in rows],
            "total": total,
            "limit": query.limit,
            "offset": query.offset,
        }
    )


_PAGE: TypeAdapter[Page[ExchangeSummary]] = TypeAdapter(Page[ExchangeSummary])
_EXCHANGE: TypeAdapter[ExchangeOut] = TypeAdapter(ExchangeOut)


async def list_answer(ctx: Context, caller: Caller, query: ListQuery) -> read_cache.Answer:
    """``list_for`` as JSON, from the read cache while the database has not changed."""

    def build() -> bytes:
        return _PAGE.dump_json(list_for(ctx.engine, ctx.settings.home_code, caller, query))

    key = ("list", caller.role, caller.partner_id, query)
    return await read_cache.answer(ctx.reads, key, build)


async def view_answer(ctx: Context, caller: Caller, exchange_id: str) -> read_cache.Answer:
    """``view`` as JSON, from the read cache while the database has not changed."""
    key = ("exchange", caller.role, caller.partner_id, exchange_id)

    def build() -> bytes:
        return _EXCHANGE.dump_json(view(ctx.engine, ctx.settings.home_code, caller, exchange_id))

    return await read_cache.answer(ctx.reads, key, build)


# --- proposing ---------------------------------------------------------------------------


def _insert_proposal(
    engine: Engine, settings: Settings, caller: Caller, body: ProposalIn
) -> ExchangeInput:
    home = settings.home_code
    with session_scope(engine) as session:
        if caller.is_staff:
            if not body.partner:
                raise Problem(422, "validation-error", "partner: staff proposals name the partner")
            partner = partners.by_code(session, body.partner)
            if partner is None:
                raise Problem(
                    422, "unknown-partner", f"partner: no partner with code {body.partner}"
                )
            direction = OUTGOING
        else:
            partner = session.get(Partner, caller.partner_id)
            assert partner is not None
            if body.partner is not None and body.partner != partner.code:
                raise Problem(
                    422, "validation-error", "partner: a partner proposes only in its own name"
                )
            direction = INCOMING
        assert partner.id is not None
        now = datetime.now(UTC)
        agreement = agreements.valid_on(session, partner.id, now.date())
        if agreement is None:
            raise Problem(
                409,
                "no-agreement",
                f"there is no material-exchange agreement with {partner.code} valid on "
                f"{now.date().isoformat()}",
            )
        respond_by = body.respond_by or now.date() + timedelta(days=agreement.response_days)
        if respond_by < now.date():
            raise Problem(422, "validation-error", "respond_by: the date has already passed")
        exchange = Exchange(
            id=str(uuid.uuid4()),
            partner_id=partner.id,
            direction=direction,
            state=PROPOSED,
            respond_by=respond_by,
            receipt_days=agreement.receipt_days,
            created_by=caller.actor,
            created_at=now,
            updated_at=now,
        )
        session.add(exchange)
        offers: list[LineOffer] = []
        wanted: list[fund.Wanted] = []
        for position, line in enumerate(body.lines, start=1):
            row = ExchangeLine(
                id=str(uuid.uuid4()),
                exchange_id=exchange.id,
                position=position,
                **line.model_dump(),
            )
            session.add(row)
            offers.append(LineOffer(line_id=row.id, quantity=line.quantity))
            if line.record_id is not None and direction == OUTGOING:
                wanted.append(fund.Wanted(row.id, position, line.record_id, line.quantity))
        session.flush()
        _reserve(session, exchange.id, wanted)
        session.add(
            ExchangeEvent(
                exchange_id=exchange.id,
                seq=1,
                at=now,
                actor=caller.actor,
                step="propose",
                state=PROPOSED,
                note=f"{len(offers)} lines, {sum(o.quantity for o in offers)} copies",
            )
        )
        sender, recipient = _sides(home, exchange, partner)
        return ExchangeInput(
            exchange_id=exchange.id,
            sender=sender,
            recipient=recipient,
            home=home,
            lines=offers,
            next_seq=2,
            partner=partner.code,
            deadlines=Deadlines(
                respond_by=respond_by.isoformat(),
                reminder_days=settings.reminder_days_before,
                receipt_days=agreement.receipt_days,
                claim_interval_days=settings.claim_interval_days,
            ),
        )


def _reserve(session: Session, exchange_id: str, wanted: list[fund.Wanted]) -> None:
    try:
        fund.reserve(session, exchange_id, wanted)
    except fund.FundError as exc:
        status = 409 if exc.kind == "insufficient-copies" else 422
        raise Problem(status, exc.kind, str(exc)) from None


def _delete_proposal(engine: Engine, exchange_id: str) -> None:
    with session_scope(engine) as session:
        fund.release(session, exchange_id)
        session.execute(delete(Reservation).where(col(Reservation.exchange_id) == exchange_id))
        session.execute(delete(ExchangeEvent).where(col(ExchangeEvent.exchange_id) == exchange_id))
        session.execute(delete(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange_id))
        session.execute(delete(Exchange).where(col(Exchange.id) == exchange_id))


async def propose(ctx: Context, caller: Caller, body: ProposalIn) -> ExchangeOut:
    home = ctx.settings.home_code
    inp = await asyncio.to_thread(_insert_proposal, ctx.engine, ctx.settings, caller, body)
    try:
        await ctx.temporal.start_workflow(
            ExchangeWorkflow.run,
            inp,
            id=workflow_id(inp.exchange_id),
            task_queue=ctx.settings.task_queue,
        )
    except RPCError as exc:
        await asyncio.to_thread(_delete_proposal, ctx.engine, inp.exchange_id)
        raise Problem(
            503, "workflow-unavailable", f"the exchange could not be started: {exc.message}"
        ) from exc
    return await asyncio.to_thread(view, ctx.engine, home, caller, inp.exchange_id)


# --- steps -------------------------------------------------------------------------------

_STATUS_BY_ERROR = {
    ERR_INVALID_TRANSITION: (409, "invalid-transition"),
    ERR_NOT_ALLOWED: (409, "not-your-turn"),
    ERR_INVALID_REQUEST: (422, "invalid-step"),
    ERR_INSUFFICIENT_COPIES: (409, "insufficient-copies"),
}


async def _update(ctx: Context, caller: Caller, exchange_id: str, update: Any, arg: Any) -> None:
    await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
    handle = ctx.temporal.get_workflow_handle(workflow_id(exchange_id))
    try:
        await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as exc:
        cause: BaseException | None = exc.cause
        if isinstance(cause, ActivityError):  # a business error raised inside the step's activity
            cause = cause.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, kind = _STATUS_BY_ERROR[cause.type]
            raise Problem(status, kind, cause.message) from None
        raise Problem(
            503, "step-not-recorded", f"the step could not be recorded, try again: {cause}"
        ) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(409, "exchange-closed", "the exchange is closed") from None
        raise Problem(503, "workflow-unavailable", exc.message) from None


async def _step(
    ctx: Context, caller: Caller, exchange_id: str, update: Any, arg: Any
) -> ExchangeOut:
    await _update(ctx, caller, exchange_id, update, arg)
    return await asyncio.to_thread(view, ctx.engine, ctx.settings.home_code, caller, exchange_id)


async def decide(ctx: Context, caller: Caller, exchange_id: str, body: DecisionIn) -> ExchangeOut:
    arg = DecisionInput(
        actor=actor_of(caller),
        accept=[LineQuantity(q.line_id, q.quantity) for q in body.accept]
        if body.accept is not None
        else None,
        decline_reason=body.decline,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.decide, arg)


async def ship(ctx: Context, caller: Caller, exchange_id: str, body: ShipmentIn) -> ExchangeOut:
    arg = ShipmentInput(
        actor=actor_of(caller),
        carrier=body.carrier,
        tracking=body.tracking,
        parcels=body.parcels,
        shipped_on=body.shipped_on.isoformat() if body.shipped_on else None,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.ship, arg)


async def receive(ctx: Context, caller: Caller, exchange_id: str, body: ReceiptIn) -> ExchangeOut:
    arg = ReceiptInput(
        actor=actor_of(caller),
        lines=[ReceivedLine(line.line_id, line.received, line.damaged) for line in body.lines],
        received_on=body.received_on.isoformat() if body.received_on else None,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.receive, arg)


async def attach_marc(ctx: Context, caller: Caller, exchange_id: str, batch_id: str) -> None:
    arg = AttachMarcInput(
        actor=actor_of(caller),
        batch_id=batch_id,
        chunk_size=ctx.settings.import_chunk_size,
        heartbeat_seconds=ctx.settings.import_heartbeat_seconds,
    )
    await _update(ctx, caller, exchange_id, ExchangeWorkflow.attach_marc, arg)


def _spec(line: LineIn) -> LineSpec:
    return LineSpec(
        title=line.title,
        quantity=line.quantity,
        isbn=line.isbn,
        issn=line.issn,
        author=line.author,
        year=line.year,
        record_id=line.record_id,
        unit_value=str(line.unit_value) if line.unit_value is not None else None,
        currency=line.currency,
    )


async def revise(ctx: Context, caller: Caller, exchange_id: str, body: RevisionIn) -> ExchangeOut:
    arg = ReviseInput(actor=actor_of(caller), lines=[_spec(line) for line in body.lines])
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.revise, arg)


async def cancel(ctx: Context, caller: Caller, exchange_id: str, body: CancelIn) -> ExchangeOut:
    arg = CancelInput(actor=actor_of(caller), reason=body.reason)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.cancel, arg)


async def mark_lost(ctx: Context, caller: Caller, exchange_id: str, body: LostIn) -> ExchangeOut:
    arg = LostInput(actor=actor_of(caller), note=body.note)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.mark_lost, arg)


async def answer_claim(
    ctx: Context, caller: Caller, exchange_id: str, claim_no: str, body: ClaimAnswerIn
) -> ExchangeOut:
    arg = ClaimAnswerInput(
        actor=actor_of(caller), claim_no=claim_no, action=body.action, note=body.note
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.answer_claim, arg)


async def confirm_claim(
    ctx: Context, caller: Caller, exchange_id: str, claim_no: str, body: ClaimConfirmIn
) -> ExchangeOut:
    arg = ClaimConfirmInput(actor=actor_of(caller), claim_no=claim_no, note=body.note)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.confirm_claim, arg)
