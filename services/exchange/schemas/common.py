"""What every part of API v1 shares: text and date types, the strict request base, a page.

Request models forbid unknown fields, so a client cannot slip in what the server owns
(state, sender, recipient, ids, history).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

T = TypeVar("T")

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")]
# Lengths are checked on the text as sent (as the OpenAPI document says); it must not be blank.
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"\S")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]


def _iso_only(value: object) -> object:
    """Dates and times arrive as ISO 8601 strings, not as numbers read as timestamps."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("use an ISO 8601 string, such as 2026-11-21")
    return value


Day = Annotated[date, BeforeValidator(_iso_only)]
Moment = Annotated[datetime, BeforeValidator(_iso_only)]


class RequestModel(BaseModel):
    """The base of every request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    temporal: Literal["ok"]
