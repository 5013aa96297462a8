"""Which copies an exchange is about at each stage, for every card, list and page.

An offer of 7 copies of which 4 were accepted is a parcel of 4: a list of shipments to
dispatch that says 7 misleads whoever packs it, and so does a completed list that does not
say what arrived. So each stage has its count: the copies offered while the offer is open
(or was declined or lapsed), the copies accepted from the decision until the parcel arrives
(or was lost), and the copies received, with the damaged ones, once it has. The respond-by
date likewise matters only while the offer waits for its answer (and explains an expired
one); after acceptance it is history.

One rule here, read by the dashboards, the portal, the exchange lists and the exchange page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Subquery, bindparam, func, select
from sqlmodel import col

from services.exchange.models import ExchangeLine
from workflows.exchange.types import (
    CATALOGUED,
    COMPLETED,
    DECLINED,
    EXPIRED,
    PROPOSED,
    RECEIVED,
)

OFFERED = "offered"
ACCEPTED_COPIES = "accepted"
RECEIVED_COPIES = "received"
DAMAGED = "damaged"

_UNDECIDED = frozenset({PROPOSED, DECLINED, EXPIRED})
_ARRIVED = frozenset({RECEIVED, CATALOGUED, COMPLETED})
# The same sets for the SQL that sorts the exchange list by these counts (``list_orders``).
UNDECIDED_STATES = tuple(sorted(_UNDECIDED))
ARRIVED_STATES = tuple(sorted(_ARRIVED))


@dataclass(frozen=True, slots=True)
class Totals:
    """An exchange's lines summed: what was offered, accepted, received and damaged.

    ``accepted`` is None before a decision; ``received`` and ``damaged`` before a receipt.
    """

    lines: int = 0
    offered: int = 0
    accepted: int | None = None
    received: int | None = None
    damaged: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class StageCopies:
    """The copies a stage is about (``kind`` is offered, accepted or received), and the
    damaged ones once the parcel arrived."""

    kind: str
    copies: int
    damaged: int | None = None


def at_stage(state: str, totals: Totals) -> StageCopies:
    """The count that means something in ``state``.

    A cancelled exchange counts what was accepted if it got that far, else what was offered.
    """
    if state in _ARRIVED and totals.received is not None:
        return StageCopies(RECEIVED_COPIES, totals.received, totals.damaged or 0)
    if state not in _UNDECIDED and totals.accepted is not None:
        return StageCopies(ACCEPTED_COPIES, totals.accepted)
    return StageCopies(OFFERED, totals.offered)


def stages_reached(state: str, totals: Totals) -> list[tuple[str, int]]:
    """Every count the exchange has reached, in lifecycle order, for its page: offered, then
    accepted once decided, then received and damaged once the parcel arrived."""
    out = [(OFFERED, totals.offered)]
    current = at_stage(state, totals)
    if current.kind in (ACCEPTED_COPIES, RECEIVED_COPIES) and totals.accepted is not None:
        out.append((ACCEPTED_COPIES, totals.accepted))
    if current.kind == RECEIVED_COPIES:
        out.append((RECEIVED_COPIES, current.copies))
        out.append((DAMAGED, current.damaged or 0))
    return out


def respond_by_applies(state: str) -> bool:
    """The respond-by date is shown while the offer waits for an answer, and when it lapsed."""
    return state in (PROPOSED, EXPIRED)


def lines_subquery() -> Subquery:
    """Per exchange: its lines, the copies offered, accepted, received and damaged, and the
    first title (alphabetically); sums are NULL where no line has the value yet."""
    return _sums().subquery()


def _sums() -> Select[*tuple[Any, ...]]:
    line = ExchangeLine
    return select(
        col(line.exchange_id).label("exchange_id"),
        func.count().label("lines"),
        func.coalesce(func.sum(line.quantity), 0).label("offered"),
        func.sum(line.accepted_quantity).label("accepted"),
        func.sum(line.received).label("received"),
        func.sum(line.damaged).label("damaged"),
        func.min(line.title).label("title"),
    ).group_by(col(line.exchange_id))


_TOTALS = _sums().where(
    col(ExchangeLine.exchange_id).in_(bindparam("exchange_ids", expanding=True))
)


def totals_of(row: Sequence[Any]) -> Totals:
    """``Totals`` from a row's lines, offered, accepted, received, damaged and title."""
    lines, offered, accepted, received, damaged, title = row
    return Totals(lines or 0, offered or 0, accepted, received, damaged, title)


def totals(conn: Connection, exchange_ids: Iterable[str]) -> dict[str, Totals]:
    """The totals of each exchange that has lines."""
    wanted = list(exchange_ids)
    if not wanted:
        return {}
    return {row[0]: totals_of(row[1:]) for row in conn.execute(_TOTALS, {"exchange_ids": wanted})}


def of_lines(lines: Iterable[Any]) -> Totals:
    """Totals of lines already read (``LineOut``: quantity, accepted_quantity, received,
    damaged), as the exchange page has them."""
    rows = list(lines)

    def summed(name: str) -> int | None:
        values = [getattr(line, name) for line in rows if getattr(line, name) is not None]
        return sum(values) if values else None

    return Totals(
        lines=len(rows),
        offered=sum(line.quantity for line in rows),
        accepted=summed("accepted_quantity"),
        received=summed("received"),
        damaged=summed("damaged"),
        title=min((line.title for line in rows), default=None),
    )
