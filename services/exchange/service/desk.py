"""What the pages list: the day's work for staff and partners, searches and batch lists.

These are read-only views over the projection; every step still goes through the exchange
service and its workflow. Directions are stored from our side (``outgoing``: we send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, select
from sqlmodel import Session, col

from services.exchange.models import (
    Claim,
    Exchange,
    ImportOutcome,
    LedgerEntry,
    MarcBatch,
    Partner,
)
from services.exchange.service import agreements, copy_counts, exchange_queries, imports
from services.exchange.service.exchange_queries import (
    INCOMING,
    OUTGOING,
    ListQuery,
    receipt_due,
    seen_direction,
)
from services.exchange.service.keys import Caller
from workflows.exchange.types import (
    ACCEPTED,
    CLAIM_OPEN,
    CLAIM_RESENT,
    FINAL_STATES,
    PROPOSED,
    SHIPPED,
)

NEAR_DEADLINE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Row:
    """One exchange in a list: enough to recognise it and see what it is waiting for."""

    id: str
    number: str | None  # EX-2026-0042
    partner: str
    partner_name: str
    direction: str  # seen from the reader's side
    state: str
    respond_by: date | None
    created_at: datetime
    updated_at: datetime
    title: str | None
    lines: int
    copies: int  # what the stage is about: offered, accepted or received (``copies_kind``)
    receipt_due: date | None = None
    copies_kind: str = copy_counts.OFFERED
    damaged: int | None = None  # once received

    @property
    def respond_by_due(self) -> date | None:
        """The respond-by date, while it still matters (not after acceptance)."""
        return self.respond_by if copy_counts.respond_by_applies(self.state) else None


@dataclass
class StaffDashboard:
    to_decide: list[Row] = field(default_factory=list)
    near_deadline: list[Row] = field(default_factory=list)
    to_dispatch: list[Row] = field(default_factory=list)
    on_the_way: list[Row] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)
    claimed: list[Row] = field(default_factory=list)
    batches_with_rejects: list[BatchRow] = field(default_factory=list)


@dataclass
class PartnerDashboard:
    to_decide: list[Row] = field(default_factory=list)
    awaiting_us: list[Row] = field(default_factory=list)
    to_dispatch: list[Row] = field(default_factory=list)
    to_receive: list[Row] = field(default_factory=list)
    claimed: list[Row] = field(default_factory=list)
    with_records: list[Row] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: str
    exchange_id: str | None
    filename: str | None
    state: str
    dry_run: bool
    total: int
    imported: int
    rejected: int
    multi_matches: int
    created_at: datetime


def _base() -> Select[Any]:
    lines = copy_counts.lines_subquery()
    return (
        select(
            Exchange,
            Partner,
            lines.c.lines,
            lines.c.offered,
            lines.c.accepted,
            lines.c.received,
            lines.c.damaged,
            lines.c.title,
        )
        .join(Partner, col(Partner.id) == col(Exchange.partner_id))
        .join(lines, lines.c.exchange_id == col(Exchange.id), isouter=True)
    )


def _receipt_due(shipment: dict[str, Any] | None, receipt_days: int | None) -> date | None:
    shipped_on = (shipment or {}).get("shipped_on")
    return receipt_due(date.fromisoformat(shipped_on) if shipped_on else None, receipt_days)


def _rows(session: Session, query: Select[Any], caller: Caller) -> list[Row]:
    out = []
    for exchange, partner, *sums in session.execute(query).all():
        totals = copy_counts.totals_of(sums)
        stage = copy_counts.at_stage(exchange.state, totals)
        out.append(
            Row(
                id=exchange.id,
                number=exchange.number,
                partner=partner.code,
                partner_name=partner.name,
                direction=seen_direction(caller, exchange.direction),
                state=exchange.state,
                respond_by=exchange.respond_by,
                created_at=exchange.created_at,
                updated_at=exchange.updated_at,
                title=totals.title,
                lines=totals.lines,
                copies=stage.copies,
                receipt_due=_receipt_due(exchange.shipment, exchange.receipt_days),
                copies_kind=stage.kind,
                damaged=stage.damaged,
            )
        )
    return out


def _unsettled_claims() -> Any:
    return (
        select(col(Claim.exchange_id))
        .where(col(Claim.state).in_((CLAIM_OPEN, CLAIM_RESENT)))
        .distinct()
    )


def staff_dashboard(engine: Engine, caller: Caller, today: date) -> StaffDashboard:
    newest = col(Exchange.updated_at).desc()
    with Session(engine) as session:
        board = StaffDashboard(
            to_decide=_rows(
                session,
                _base()
                .where(col(Exchange.state) == PROPOSED, col(Exchange.direction) == INCOMING)
                .order_by(col(Exchange.respond_by), newest),
                caller,
            ),
            near_deadline=_rows(
                session,
                _base()
                .where(
                    col(Exchange.state) == PROPOSED,
                    col(Exchange.direction) == OUTGOING,
                    col(Exchange.respond_by) <= today + timedelta(days=NEAR_DEADLINE_DAYS),
                )
                .order_by(col(Exchange.respond_by)),
                caller,
            ),
            to_dispatch=_rows(
                session,
                _base()
                .where(col(Exchange.state) == ACCEPTED, col(Exchange.direction) == OUTGOING)
                .order_by(newest),
                caller,
            ),
            claimed=_rows(
                session,
                _base().where(col(Exchange.id).in_(_unsettled_claims())).order_by(newest),
                caller,
            ),
            batches_with_rejects=_batches(
                session,
                select(MarcBatch)
                .where(col(MarcBatch.state) != imports.RUNNING)
                .order_by(col(MarcBatch.created_at).desc())
                .limit(200),
                only_with_rejects=True,
            )[:10],
        )
        shipped_to_us = _rows(
            session,
            _base()
            .where(col(Exchange.state) == SHIPPED, col(Exchange.direction) == INCOMING)
            .order_by(newest),
            caller,
        )
    board.overdue = [r for r in shipped_to_us if r.receipt_due and r.receipt_due < today]
    board.on_the_way = [r for r in shipped_to_us if r not in board.overdue]
    return board


def partner_dashboard(engine: Engine, caller: Caller) -> PartnerDashboard:
    """A partner's own exchanges by what they wait for; stored directions are ours."""
    own = col(Exchange.partner_id) == caller.partner_id
    newest = col(Exchange.updated_at).desc()

    def waiting(state: str, stored_direction: str) -> Select[Any]:
        return (
            _base()
            .where(own, col(Exchange.state) == state, col(Exchange.direction) == stored_direction)
            .order_by(col(Exchange.respond_by), newest)
        )

    with Session(engine) as session:
        with_records = (
            select(col(MarcBatch.exchange_id))
            .where(col(MarcBatch.dry_run).is_(False), col(MarcBatch.imported) > 0)
            .distinct()
        )
        return PartnerDashboard(
            to_decide=_rows(session, waiting(PROPOSED, OUTGOING), caller),
            awaiting_us=_rows(session, waiting(PROPOSED, INCOMING), caller),
            to_dispatch=_rows(session, waiting(ACCEPTED, INCOMING), caller),
            to_receive=_rows(session, waiting(SHIPPED, OUTGOING), caller),
            claimed=_rows(
                session,
                _base().where(own, col(Exchange.id).in_(_unsettled_claims())).order_by(newest),
                caller,
            ),
            with_records=_rows(
                session,
                _base().where(own, col(Exchange.id).in_(with_records)).order_by(newest).limit(20),
                caller,
            ),
        )


def search(engine: Engine, caller: Caller, query: ListQuery) -> tuple[list[Row], int]:
    """The exchange list the API gives (same filters, same order), with what a list page shows
    besides: the partner's name, the receipt due and the lines' totals."""
    with engine.connect() as conn:
        found, total = exchange_queries.list_rows(conn, caller, query, page_columns=True)
        sums = copy_counts.totals(conn, [row[0] for row in found])
    rows = []
    for row in found:
        exchange_id, state, direction, respond_by, created_at, updated_at, code, name, number = row[
            : exchange_queries.SUMMARY_WIDTH
        ]
        shipment, receipt_days = row[exchange_queries.SUMMARY_WIDTH :]
        totals = sums.get(exchange_id, copy_counts.Totals())
        stage = copy_counts.at_stage(state, totals)
        rows.append(
            Row(
                id=exchange_id,
                number=number,
                partner=code,
                partner_name=name,
                direction=seen_direction(caller, direction),
                state=state,
                respond_by=respond_by,
                created_at=created_at,
                updated_at=updated_at,
                title=totals.title,
                lines=totals.lines,
                copies=stage.copies,
                receipt_due=_receipt_due(shipment, receipt_days),
                copies_kind=stage.kind,
                damaged=stage.damaged,
            )
        )
    return rows, total


def _batches(session: Session, query: Any, only_with_rejects: bool = False) -> list[BatchRow]:
    out = []
    for batch in session.scalars(query):
        rejected = len(batch.rejected or [])
        if only_with_rejects and not rejected:
            continue
        out.append(
            BatchRow(
                id=batch.id,
                exchange_id=batch.exchange_id,
                filename=batch.filename,
                state=batch.state,
                dry_run=batch.dry_run,
                total=batch.total,
                imported=batch.imported,
                rejected=rejected,
                multi_matches=batch.multi_matches,
                created_at=batch.created_at,
            )
        )
    return out


def batches(
    engine: Engine, caller: Caller, limit: int = 50, exchange_id: str | None = None
) -> list[BatchRow]:
    """Recent MARC batches (of one exchange, if given): all of them for staff, those of its
    exchanges for a partner."""
    query = select(MarcBatch).order_by(col(MarcBatch.created_at).desc()).limit(limit)
    if exchange_id is not None:
        query = query.where(col(MarcBatch.exchange_id) == exchange_id)
    if not caller.is_staff:
        query = query.join(Exchange, col(Exchange.id) == col(MarcBatch.exchange_id)).where(
            col(Exchange.partner_id) == caller.partner_id
        )
    with Session(engine) as session:
        return _batches(session, query)


@dataclass(frozen=True, slots=True)
class MultiMatch:
    position: int
    title: str | None
    candidates: list[int]


def multi_matches(engine: Engine, batch_id: str, limit: int = 100) -> list[MultiMatch]:
    """Records that matched more than one catalogue record, left for a cataloguer to decide
    (check the batch's visibility first)."""
    with Session(engine) as session:
        rows = session.scalars(
            select(ImportOutcome)
            .where(
                col(ImportOutcome.batch_id) == batch_id,
                col(ImportOutcome.outcome) == imports.MULTI_MATCH,
            )
            .order_by(col(ImportOutcome.position))
            .limit(limit)
        )
        return [MultiMatch(o.position, o.title, list(o.candidates or [])) for o in rows]


@dataclass(frozen=True, slots=True)
class PartnerRow:
    code: str
    name: str
    country: str
    marc_format: str
    agreement_valid_to: date | None
    exchanges: int
    open_exchanges: int


def partners(engine: Engine, today: date, code: str | None = None) -> list[PartnerRow]:
    """All partners (or the one with ``code``) with their agreement and exchange counts."""
    wanted = select(Partner).order_by(col(Partner.code))
    if code is not None:
        wanted = wanted.where(col(Partner.code) == code)
    with Session(engine) as session:
        counts = {
            partner_id: (total, open_)
            for partner_id, total, open_ in session.execute(
                select(
                    col(Exchange.partner_id),
                    func.count(),
                    func.sum(case((col(Exchange.state).not_in(FINAL_STATES), 1), else_=0)),
                ).group_by(col(Exchange.partner_id))
            ).all()
        }
        out = []
        for partner in session.scalars(wanted):
            assert partner.id is not None
            agreement = agreements.valid_on(session, partner.id, today)
            total, open_ = counts.get(partner.id, (0, 0))
            out.append(
                PartnerRow(
                    code=partner.code,
                    name=partner.name,
                    country=partner.country,
                    marc_format=partner.marc_format,
                    agreement_valid_to=agreement.valid_to if agreement else None,
                    exchanges=total,
                    open_exchanges=open_ or 0,
                )
            )
    return out


def ledger_years(engine: Engine, partner_code: str, this_year: int, span: int = 5) -> list[int]:
    """The years to chart for a partner: the last ``span`` years up to this one, starting no
    earlier than its first ledger entry."""
    with Session(engine) as session:
        first = session.execute(
            select(func.min(LedgerEntry.year))
            .join(Partner, col(Partner.id) == col(LedgerEntry.partner_id))
            .where(col(Partner.code) == partner_code)
        ).scalar_one_or_none()
    start = max(this_year - span + 1, min(first or this_year, this_year))
    return list(range(start, this_year + 1))
