"""Numbers people can say on the phone and write on a parcel: ``EX-2026-0042``.

Each series (``EX`` for exchanges) counts from 1 again every year, in table ``number_sequence``.
The next number is taken in the caller's transaction with two statements that are safe when
many proposals are written at once, on SQLite and PostgreSQL alike:

1. insert the (series, year) row with ``last = 0`` if it is missing, ignoring the conflict when
   another transaction inserted it first (``ON CONFLICT DO NOTHING``);
2. ``UPDATE number_sequence SET last = last + 1 ... RETURNING last``: the row lock (PostgreSQL)
   or the database's write lock (SQLite) makes the second of two concurrent transactions wait
   for the first to commit and then count on from its number.

The lock is held until the caller's transaction ends, so callers take the number last, just
before they commit. A transaction that rolls back gives its number back; one that commits and
is undone later (a proposal whose workflow could not start is deleted) leaves a gap, which is
harmless: numbers are names, not counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from services.exchange.models import NumberSequence

EXCHANGE_SERIES = "EX"
OFFER_LIST_SERIES = "OL"  # offer lists: OL-2026-0007

_SEQUENCES: Table = SQLModel.metadata.tables[str(NumberSequence.__tablename__)]


def exchange_number(year: int, n: int) -> str:
    """How an exchange's number is written: the series, the year, four digits at least."""
    return f"{EXCHANGE_SERIES}-{year}-{n:04d}"


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, counted in the caller's transaction."""
    values = {"series": series, "year": year, "last": 0}
    insert: Any
    if session.get_bind().dialect.name == "postgresql":
        insert = postgresql.insert(_SEQUENCES).values(values).on_conflict_do_nothing()
    else:
        insert = sqlite.insert(_SEQUENCES).values(values).on_conflict_do_nothing()
    session.execute(insert)
    taken = session.execute(
        update(_SEQUENCES)
        .where(_SEQUENCES.c.series == series, _SEQUENCES.c.year == year)
        .values(last=_SEQUENCES.c.last + 1)
        .returning(_SEQUENCES.c.last)
    ).scalar_one()
    return int(taken)


def next_exchange_number(session: Session, year: int) -> str:
    """The number for an exchange first written in ``year`` (UTC, as the migration counts)."""
    return exchange_number(year, next_number(session, EXCHANGE_SERIES, year))


def next_offer_list_number(session: Session, year: int) -> str:
    """The number for an offer list made in ``year`` (UTC): ``OL-2026-0007``."""
    return f"{OFFER_LIST_SERIES}-{year}-{next_number(session, OFFER_LIST_SERIES, year):04d}"
