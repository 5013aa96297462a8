"""The columns each list of the pages may be sorted by, as SQL (``sorting.order_by``).

One whitelist per list, beside the tables it reads: the exchange list (``exchange_queries``,
staff and portal), the fund, the MARC batches and the partners. A column a list shows but
computes outside SQL (an exchange's receipt due, from its shipment) is not sortable, and its
header is not a link.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, case, func
from sqlalchemy import select as core_select
from sqlmodel import SQLModel

from services.exchange.models import Exchange, ExchangeLine, FundItem, Partner
from services.exchange.service import copy_counts
from services.exchange.service.sorting import Sort, order_by, text


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_EX = _table(Exchange).c
_PARTNER = _table(Partner).c
_LINE = _table(ExchangeLine).c

# An exchange's lines, summed once per exchange: joined only when the list is sorted by them.
_LINE_SUMS = (
    core_select(
        _LINE.exchange_id.label("exchange_id"),
        func.count().label("lines"),
        func.coalesce(func.sum(_LINE.quantity), 0).label("offered"),
        func.sum(_LINE.accepted_quantity).label("accepted"),
        func.sum(_LINE.received).label("received"),
        func.min(_LINE.title).label("title"),
    )
    .group_by(_LINE.exchange_id)
    .subquery("line_sums")
)

# The copies the list shows for each exchange: those its stage is about, as
# ``copy_counts.at_stage`` tells them (received once arrived, accepted once decided, else
# offered); a test keeps the two in step.
_STAGE_COPIES = case(
    (
        _EX.state.in_(copy_counts.ARRIVED_STATES) & _LINE_SUMS.c.received.is_not(None),
        _LINE_SUMS.c.received,
    ),
    (
        _EX.state.not_in(copy_counts.UNDECIDED_STATES) & _LINE_SUMS.c.accepted.is_not(None),
        _LINE_SUMS.c.accepted,
    ),
    else_=_LINE_SUMS.c.offered,
)

EXCHANGE_COLUMNS: dict[str, Any] = {
    "exchange": _EX.number,  # the list shows the number, then the first title
    "title": text(_LINE_SUMS.c.title),  # the first title, alphabetically
    "partner": text(_PARTNER.name),
    "direction": _EX.direction,
    "state": _EX.state,
    "titles": _LINE_SUMS.c.lines,
    "copies": _STAGE_COPIES,
    "respond_by": _EX.respond_by,
    "proposed": _EX.created_at,
    "updated": _EX.updated_at,
}
_NEEDS_LINES = frozenset({"title", "titles", "copies"})


def exchange_order(page: Select[Any], sort: Sort | None) -> Select[Any]:
    """The exchange list's page query in the chosen order (default: newest first)."""
    if sort is not None and sort.column in _NEEDS_LINES:
        page = page.outerjoin(_LINE_SUMS, _LINE_SUMS.c.exchange_id == _EX.id)
    return page.order_by(*order_by(EXCHANGE_COLUMNS, sort, [_EX.created_at.desc()], _EX.id))


_FUND = _table(FundItem).c
# The fund list; "available" is the fund's own expression (``fund._available``), which
# ``fund.list_fund`` adds, so that the rule of what can be offered stays in one place.
FUND_COLUMNS: dict[str, Any] = {
    "title": text(_FUND.title),
    "author": text(_FUND.author),
    "isbn": _FUND.isbn,
    "issn": _FUND.issn,
    "deposited": _FUND.copies_received,
    "kept": _FUND.copies_retained,
    "reserved": _FUND.copies_reserved,
    "shipped": _FUND.copies_shipped,
}
FUND_SORTABLE = frozenset({*FUND_COLUMNS, "available"})
