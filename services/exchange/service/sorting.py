"""Sorting a list by one of its columns, in SQL: one helper for every list the pages show.

Each list names the columns it may be sorted by (a whitelist: a name maps to a SQL expression,
so nothing from the query string ever reaches the statement as text) and its default order.
Sorting happens in the database, before paging, so page 2 continues page 1 and an export gets
the rows in the same order. Empty values come last either way (``NULLS LAST``, the same on
SQLite 3.30+ and PostgreSQL, which disagree on the default), and a unique column breaks ties,
so that paging never shows a row twice or skips one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func

ASCENDING = "asc"
DESCENDING = "desc"


@dataclass(frozen=True, slots=True)
class Sort:
    """A column of a list's whitelist and its direction; hashable (a cache key)."""

    column: str
    descending: bool = False

    @property
    def direction(self) -> str:
        return DESCENDING if self.descending else ASCENDING


def chosen(
    allowed: Mapping[str, Any] | frozenset[str], column: str | None, direction: str | None
) -> Sort | None:
    """The sort a query string asks for (``?sort=column&dir=asc|desc``), or None for the list's
    default order when the column is not one the list may be sorted by."""
    if not column or column not in allowed:
        return None
    return Sort(column, descending=direction == DESCENDING)


def text(column: Any) -> ColumnElement[Any]:
    """A text column compared without regard to case (``Babad`` next to ``babad``)."""
    return func.lower(column)


def order_by(
    columns: Mapping[str, Any], sort: Sort | None, default: list[Any], *tiebreak: Any
) -> list[Any]:
    """The ORDER BY of a list: the chosen column, else the default, then the tie-breakers."""
    if sort is None or sort.column not in columns:
        return [*default, *tiebreak]
    expression = columns[sort.column]
    ordered = expression.desc() if sort.descending else expression.asc()
    return [ordered.nulls_last(), *tiebreak]
