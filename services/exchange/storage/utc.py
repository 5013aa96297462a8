"""One column type for every timestamp: stored as UTC, always read back as an aware datetime.

SQLite keeps no time zone and hands back naive datetimes; PostgreSQL hands back the session's
zone. Converting in the column type, once, means no reader has to remember to do it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and returns UTC-aware values.

    A naive value is taken to be UTC already, as SQLite stored it before this type existed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(*, now: bool = False, nullable: bool = False, index: bool = False) -> Any:
    """A model field of type ``UtcDateTime``: ``now`` fills it in when the row is made."""
    column: Column[datetime] = Column(UtcDateTime(), nullable=nullable, index=index)
    if now:
        return Field(default_factory=utcnow, sa_column=column)
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)
