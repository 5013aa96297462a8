"""What every part of API v1 shares: text, numbers and dates with their bounds, the strict
request base, a page.

Request models forbid unknown fields, so a client cannot slip in what the server owns
(state, sender, recipient, ids, history).

Every number and date a request carries has a range (issue 13): a value the database or a
workflow cannot take must be a 422 here, not a 500 at the database or a workflow task that
fails for ever when it adds a day to 9999-12-31. Numbers are strict: a JSON ``true`` is not 1
and ``"2"`` is not 2 (``StrictInt``); a declared value (``Decimal``) may still come as text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.exchange.problems import NUL_DETAIL

T = TypeVar("T")

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")]
# Lengths are checked on the text as sent (as the OpenAPI document says); it must not be blank.
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"\S")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]

# Every integer column of the schema is an ``Integer`` (see the migrations): 32 bits on
# PostgreSQL, so no id or count the API takes may go past this, whatever SQLite would hold.
INT32_MAX = 2**31 - 1
RowId = Annotated[StrictInt, Field(ge=1, le=INT32_MAX)]
Copies = Annotated[StrictInt, Field(ge=1, le=10_000)]
CopyCount = Annotated[StrictInt, Field(ge=0, le=10_000)]
PublicationYear = Annotated[StrictInt, Field(ge=1400, le=2200)]

# How far from today a date may lie; the descriptions below say the same to clients.
RESPOND_BY_AHEAD = timedelta(days=730)
EVENT_DAY_BACK = timedelta(days=366)
EVENT_DAY_AHEAD = timedelta(days=1)
AGREEMENT_FIRST_DAY = date(1950, 1, 1)
AGREEMENT_LAST_DAY = date(2099, 12, 31)
KEY_EXPIRY_BACK = timedelta(days=1)
KEY_EXPIRY_AHEAD = timedelta(days=5 * 365)


def _iso_only(value: object) -> object:
    """Dates and times arrive as ISO 8601 strings, not as numbers read as timestamps."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("use an ISO 8601 string, such as 2026-11-21")
    return value


def _today() -> date:
    return datetime.now(UTC).date()


def _out_of_range(first: object, last: object) -> PydanticCustomError:
    return PydanticCustomError(
        "date_out_of_range",
        "must be from {first} to {last}",
        {"first": str(first), "last": str(last)},
    )


def _days_from_today(back: timedelta, ahead: timedelta) -> Callable[[date], date]:
    """A check that the day is within ``back`` before and ``ahead`` after today (UTC)."""

    def check(value: date) -> date:
        today = _today()
        if not today - back <= value <= today + ahead:
            raise _out_of_range(today - back, today + ahead)
        return value

    return check


def _key_expiry(value: datetime) -> datetime:
    """A naive time is UTC, as the database takes it."""
    now = datetime.now(UTC).replace(microsecond=0)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not now - KEY_EXPIRY_BACK <= aware <= now + KEY_EXPIRY_AHEAD:
        raise _out_of_range(
            (now - KEY_EXPIRY_BACK).isoformat(), (now + KEY_EXPIRY_AHEAD).isoformat()
        )
    return value


Day = Annotated[date, BeforeValidator(_iso_only)]
Moment = Annotated[datetime, BeforeValidator(_iso_only)]
# respond_by: a deadline for the recipient, from today on; two years covers the longest
# response time an agreement can set (365 days) twice over.
Deadline = Annotated[Day, AfterValidator(_days_from_today(timedelta(0), RESPOND_BY_AHEAD))]
# shipped_on, received_on: a day that has passed, recorded up to a year late; a day ahead for
# a library east of UTC, where tomorrow has begun.
EventDay = Annotated[Day, AfterValidator(_days_from_today(EVENT_DAY_BACK, EVENT_DAY_AHEAD))]
# Agreements: memoranda from 1950 on; one without an end runs to 2099-12-31.
AgreementDay = Annotated[Day, Field(ge=AGREEMENT_FIRST_DAY, le=AGREEMENT_LAST_DAY)]
KeyExpiry = Annotated[Moment, AfterValidator(_key_expiry)]


class RequestModel(BaseModel):
    """The base of every request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """PostgreSQL cannot store U+0000 in text; refuse it on every database alike."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(NUL_DETAIL)
        return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    temporal: Literal["ok"]
