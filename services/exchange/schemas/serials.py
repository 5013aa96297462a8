"""Standing serial exchanges: a title's pattern, its issues, check-in, claims and dispatches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from services.exchange.schemas.common import (
    Code,
    Copies,
    CopyCount,
    EventDay,
    LongText,
    RequestModel,
    RowId,
)
from services.exchange.schemas.identifiers import Issn

Direction = Literal["incoming", "outgoing"]
TitleState = Literal["active", "ended", "ceased"]
IssueState = Literal["expected", "claimed", "received", "skipped"]
ClaimAnswer = Literal["sent", "not_yet_published", "will_not_be_published", "ceased"]
Month = Annotated[StrictInt, Field(ge=1, le=12)]
IssueNumber = Annotated[StrictInt, Field(ge=1, le=366)]
SerialYear = Annotated[StrictInt, Field(ge=1950, le=2099)]
Note = Annotated[str, StringConstraints(max_length=2000)]


class FrequencyIn(RequestModel):
    """``workflows.serial.prediction.Frequency``: checked by ``prediction.check``."""

    issues_per_year: Annotated[StrictInt, Field(ge=1, le=366)] = Field(
        description="Numbers a year: 12 monthly, 6 every two months, 4 quarterly, 1 annual"
    )
    months: list[Month] | None = Field(
        default=None,
        description="The month each number comes out, in order (as many as issues_per_year); "
        "left out: spread evenly over the year",
    )
    combined: list[list[IssueNumber]] = Field(
        default_factory=list,
        description="Numbers published together as one double issue, e.g. [[5, 6]]",
    )


class NumberingIn(RequestModel):
    """``prediction.Numbering`` without its first year (the title's ``first_year``)."""

    volume_start: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = Field(
        default=1, description="The volume of the first year; null: the title has no volumes"
    )
    volume_each_year: StrictBool = Field(default=True, description="Each year a new volume")
    restart_yearly: StrictBool = Field(
        default=True, description="Issue numbers restart at 1 each year; false: they run on"
    )
    issue_start: Annotated[StrictInt, Field(ge=1, le=10_000_000)] = Field(
        default=1, description="Running numbers: the first number of the first year"
    )


class SerialIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "issn": "0378-5955",
                    "title": "Vestnik Biblioteki",
                    "direction": "incoming",
                    "frequency": {"issues_per_year": 12},
                    "numbering": {"volume_start": 1, "restart_yearly": True},
                    "copies": 1,
                    "first_year": 2026,
                    "claim_after_days": 60,
                }
            ]
        },
    )

    issn: Issn
    title: LongText
    direction: Direction = Field(description="outgoing: we send it; incoming: the partner does")
    frequency: FrequencyIn
    numbering: NumberingIn = Field(default_factory=NumberingIn)
    copies: Copies = 1
    first_year: SerialYear
    claim_after_days: Annotated[StrictInt, Field(ge=0, le=365)] = Field(
        default=60, description="Days after an issue's expected day before it is claimed"
    )
    second_claim_days: Annotated[StrictInt, Field(ge=1, le=365)] = Field(
        default=30, description="Days after the first claim before the second"
    )
    unit_value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    note: Note | None = None


class SerialChangeIn(RequestModel):
    """What staff may change on a title; left out: unchanged."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"copies": 2, "claim_after_days": 45}]}
    )

    title: LongText | None = None
    copies: Copies | None = None
    claim_after_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    second_claim_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    note: Note | None = None


class SerialEndIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "not_wanted"}]}
    )

    reason: Literal["not_wanted", "ceased", "renamed", "not_confirmed"] = Field(
        description="not_wanted (a partner may say so for what it receives), ceased, renamed "
        "(give the successor's ISSN and title: a new title continues the exchange)"
    )
    successor_issn: Issn | None = None
    successor_title: LongText | None = None
    note: Note | None = None


class SerialOut(BaseModel):
    id: int
    partner: str
    issn: str
    title: str
    direction: Direction
    frequency: FrequencyIn
    numbering: NumberingIn
    copies: int
    first_year: int
    claim_after_days: int
    second_claim_days: int
    unit_value: Decimal | None
    currency: str | None
    state: TitleState
    confirmed_year: int | None
    ended_on: date | None
    end_reason: str | None
    successor_id: int | None
    note: str | None
    created_at: datetime


class IssueOut(BaseModel):
    id: int
    serial_id: int
    year: int
    seq: int
    key: str
    volume: int | None
    numbers: str = Field(description='The number as printed: "5", or "5/6" for a double issue')
    expected_on: date
    claim_on: date = Field(description="Claimed when not received by this day")
    state: IssueState
    copies_expected: int
    received_on: date | None
    copies_received: int
    damaged: int
    duplicates: int
    claims: int
    last_claimed_on: date | None
    answer: ClaimAnswer | None
    answer_note: str | None
    answered_on: date | None
    sent_on: date | None
    dispatch_id: int | None


class IssueEditIn(RequestModel):
    """Staff correct the prediction: skip an issue, move its day, or add one (a supplement)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"skip": True}, {"expected_on": "2026-07-31"}]},
    )

    skip: StrictBool | None = Field(default=None, description="Not published this year")
    expected_on: date | None = Field(default=None, description="A new expected day")
    copies_expected: CopyCount | None = None


class IssueAddIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"year": 2026, "numbers": "Suppl. 1", "expected_on": "2026-12-15"}]
        },
    )

    year: SerialYear
    numbers: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"\S")]
    volume: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = None
    expected_on: date
    copies_expected: Copies = 1


class ReceiptIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"received_on": None, "copies": 1, "damaged": 0}]},
    )

    received_on: EventDay | None = Field(default=None, description="Left out: today")
    copies: CopyCount = Field(default=1, description="Copies that arrived")
    damaged: CopyCount = Field(default=0, description="Of those, copies damaged")
    duplicate: StrictBool = Field(
        default=False, description="A copy already received: counted as a duplicate only"
    )


class CheckInIn(RequestModel):
    """A check-in by what is printed on the issue (typed or scanned), not by its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"issn": "0378-5955", "numbers": "5", "receipt": {"copies": 1}}]
        },
    )

    issn: Issn
    numbers: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"\S")]
    year: SerialYear | None = Field(default=None, description="Left out: the oldest open one")
    partner: Code | None = None
    receipt: ReceiptIn = Field(default_factory=ReceiptIn)


class ClaimAnswerIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"answer": "not_yet_published", "note": "expected in March"}]
        },
    )

    answer: ClaimAnswer
    sent_on: EventDay | None = Field(default=None, description='For "sent": the day')
    note: Note | None = None


class ReviewIn(RequestModel):
    """The yearly review: the exchange goes on next year (with these copies) or ends."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"year": 2027, "keep": True, "copies": 1}]}
    )

    year: SerialYear = Field(description="The year confirmed: usually next year")
    keep: StrictBool = True
    copies: Copies | None = None


class DispatchIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"partner": "NLB", "issues": [1, 2]}]}
    )

    partner: Code
    issues: Annotated[list[RowId], Field(min_length=1, max_length=5000)]


class DispatchOut(BaseModel):
    id: int
    number: str | None
    partner: str
    state: Literal["draft", "sent", "confirmed"]
    sent_on: date | None
    confirmed_on: date | None
    issues: list[IssueOut]
    created_at: datetime


class DueOut(BaseModel):
    """What we owe a partner: our issues received (or entered) and not yet sent."""

    partner: str
    issues: list[IssueOut]
