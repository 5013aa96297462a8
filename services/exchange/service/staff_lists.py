"""The partners list and the MARC batches list of the staff desk, sorted and filtered in SQL.

Both are read-only views like ``desk``'s; they live apart because each has its whitelist of
sortable columns (``sorting``) and its export, which reads every row in the list's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, case, func, or_, select
from sqlmodel import Session, col

from services.exchange.models import Agreement, Exchange, FundItem, MarcBatch, Partner
from services.exchange.service import actors, agreements
from services.exchange.service.desk import PartnerRow
from services.exchange.service.sorting import Sort, order_by, text
from workflows.exchange.types import FINAL_STATES

# --- partners ----------------------------------------------------------------------------

_COUNTS = (
    select(
        col(Exchange.partner_id).label("partner_id"),
        func.count().label("exchanges"),
        func.sum(case((col(Exchange.state).not_in(FINAL_STATES), 1), else_=0)).label("open"),
    )
    .group_by(col(Exchange.partner_id))
    .subquery("partner_counts")
)


def _partner_columns(day: date) -> dict[str, Any]:
    return {
        "code": text(col(Partner.code)),
        "name": text(col(Partner.name)),
        "country": col(Partner.country),
        "marc_format": col(Partner.marc_format),
        "agreement": agreements.valid_to_on(day),
        "open": func.coalesce(_COUNTS.c.open, 0),
        "exchanges": func.coalesce(_COUNTS.c.exchanges, 0),
    }


PARTNER_SORTABLE = frozenset(_partner_columns(date(2000, 1, 1)))


def partners(engine: Engine, today: date, sort: Sort | None = None) -> list[PartnerRow]:
    """Every partner with its agreement valid today and its exchange counts, by code unless
    ``sort`` says otherwise (a partner register is a few hundred rows at most: no paging)."""
    columns = _partner_columns(today)
    query = (
        select(
            Partner,
            columns["agreement"].label("valid_to"),
            columns["exchanges"].label("exchanges"),
            columns["open"].label("open"),
        )
        .outerjoin(_COUNTS, _COUNTS.c.partner_id == col(Partner.id))
        .order_by(*order_by(columns, sort, [col(Partner.code)], col(Partner.id)))
    )
    with Session(engine) as session:
        return [
            PartnerRow(
                code=partner.code,
                name=partner.name,
                country=partner.country,
                marc_format=partner.marc_format,
                agreement_valid_to=valid_to,
                exchanges=total,
                open_exchanges=open_ or 0,
            )
            for partner, valid_to, total, open_ in session.execute(query).all()
        ]


# --- MARC batches -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchListRow:
    """One batch in the list: what it was, how far it got, who uploaded it and when."""

    id: str
    filename: str | None
    exchange_id: str | None
    exchange_number: str | None
    state: str
    dry_run: bool
    total: int
    imported: int
    rejected: int
    uploaded_by: str
    uploaded_by_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchQuery:
    """The batches list's filters (``q``: words of the file name, or an exchange's number or
    id), its order and its page."""

    state: str | None = None
    q: str | None = None
    sort: Sort | None = None
    limit: int = 50
    offset: int = 0


_REJECTED = func.coalesce(func.json_array_length(col(MarcBatch.rejected)), 0)
BATCH_COLUMNS: dict[str, Any] = {
    "file": text(col(MarcBatch.filename)),
    "exchange": col(Exchange.number),
    "state": col(MarcBatch.state),
    "records": col(MarcBatch.total),
    "imported": col(MarcBatch.imported),
    "rejected": _REJECTED,
    "uploaded_by": col(MarcBatch.uploaded_by),
    "uploaded": col(MarcBatch.created_at),
}
DEFAULT_BATCH_SORT = Sort("uploaded", descending=True)
_BATCH_FIELDS = (
    "id",
    "filename",
    "exchange_id",
    "state",
    "dry_run",
    "total",
    "imported",
    "uploaded_by",
    "created_at",
)


def batch_states(engine: Engine) -> list[str]:
    """The states batches are in now, for the filter."""
    with Session(engine) as session:
        found = session.scalars(select(col(MarcBatch.state)).distinct())
        return sorted(found)


def batches(
    engine: Engine, query: BatchQuery, *, home_code: str, home_name: str
) -> tuple[list[BatchListRow], int]:
    """One page of every batch (staff see them all), and how many match in all."""
    # Columns, not the row: a batch's rejected records (JSON) are only counted, never read.
    wanted = select(
        *(col(getattr(MarcBatch, name)) for name in _BATCH_FIELDS),
        col(Exchange.number),
        _REJECTED.label("rejected"),
    ).outerjoin(Exchange, col(Exchange.id) == col(MarcBatch.exchange_id))
    if query.state:
        wanted = wanted.where(col(MarcBatch.state) == query.state)
    for word in (query.q or "").split():
        pattern = f"%{word}%"
        wanted = wanted.where(
            or_(
                col(MarcBatch.filename).ilike(pattern),
                col(Exchange.number).ilike(pattern),
                col(MarcBatch.exchange_id).startswith(word),
            )
        )
    ordered = order_by(
        BATCH_COLUMNS, query.sort, [col(MarcBatch.created_at).desc()], col(MarcBatch.id)
    )
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(wanted.subquery())).scalar_one()
        found = session.execute(
            wanted.order_by(*ordered).limit(query.limit).offset(query.offset)
        ).all()
        names = actors.names(
            session.connection(),
            {row.uploaded_by for row in found},
            home_code=home_code,
            home_name=home_name,
        )
    rows = [
        BatchListRow(
            **{name: row._mapping[name] for name in _BATCH_FIELDS},
            exchange_number=row.number,
            rejected=row.rejected or 0,
            uploaded_by_name=names.get(row.uploaded_by, row.uploaded_by),
        )
        for row in found
    ]
    return rows, total


# --- where a new desk starts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartingPoints:
    """What a desk without work still lacks, in the order it is done: a partner, an
    agreement with one, publications in the fund. All False once the desk is set up."""

    partner: bool
    agreement: bool
    deposit: bool

    @property
    def any(self) -> bool:
        return self.partner or self.agreement or self.deposit


def starting_points(engine: Engine) -> StartingPoints:
    """Three cheap existence checks, for the dashboard's "where to start" list."""
    with Session(engine) as session:

        def missing(model: type[Any]) -> bool:
            return session.execute(select(model.id).limit(1)).first() is None

        return StartingPoints(
            partner=missing(Partner), agreement=missing(Agreement), deposit=missing(FundItem)
        )
