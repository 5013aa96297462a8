"""Tables of standing serial exchanges (issue 16).

A ``serial_title`` is one journal one side sends the other every year (``direction``:
outgoing, we send; incoming, the partner does), with the frequency and numbering that predict
its issues (``workflows.serial.prediction``; stored as JSON in the shape of its dataclasses).
Each year's ``serial_issue`` rows are that prediction as staff then edited it; an issue moves
only by conditional UPDATEs (expected -> received, expected -> claimed -> received, ...), so a
check-in and a claim that race are decided by the database. A ``serial_dispatch`` is one
parcel of our issues to one partner, which the partner confirms.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.exchange.storage.utc import utc_field

# serial_title.state
ACTIVE = "active"
ENDED = "ended"  # not confirmed for the next year, or no longer wanted
CEASED = "ceased"  # the title stopped appearing (or continues under a new name: successor)

# serial_issue.state
EXPECTED = "expected"
CLAIMED = "claimed"
RECEIVED = "received"
SKIPPED = "skipped"  # staff: not published this year / will not be published
# serial_issue.answer: what the sender answered to a claim
ANSWERS = ("sent", "not_yet_published", "will_not_be_published", "ceased")

# serial_dispatch.state
DRAFT = "draft"
SENT = "sent"
CONFIRMED = "confirmed"


class SerialTitle(SQLModel, table=True):
    __tablename__ = "serial_title"
    __table_args__ = (UniqueConstraint("partner_id", "issn", "direction", name="uq_serial_title"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    issn: str = Field(max_length=9, index=True)  # 1234-5679
    title: str = Field(max_length=500)
    direction: str = Field(max_length=16)
    # ``prediction.Frequency`` / ``prediction.Numbering`` as dicts of their fields.
    frequency: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    numbering: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    copies: int
    first_year: int
    claim_after_days: int
    second_claim_days: int = 30  # a second claim this long after the first
    unit_value: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(14, 2), nullable=True)
    )
    currency: str | None = Field(default=None, max_length=3)
    state: str = Field(default=ACTIVE, max_length=16, index=True)
    confirmed_year: int | None = None  # the last year the yearly review confirmed
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=32)
    successor_id: int | None = Field(default=None, foreign_key="serial_title.id")
    note: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(now=True)
    updated_at: datetime = utc_field(now=True)


class SerialDispatch(SQLModel, table=True):
    __tablename__ = "serial_dispatch"

    id: int | None = Field(default=None, primary_key=True)
    # SD-2026-0003 (``number_sequence``, series "SD").
    number: str | None = Field(default=None, max_length=16, unique=True, index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    state: str = Field(default=DRAFT, max_length=16)
    sent_on: date | None = None
    confirmed_on: date | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(now=True)


class SerialIssue(SQLModel, table=True):
    __tablename__ = "serial_issue"
    __table_args__ = (
        UniqueConstraint("serial_id", "key", name="uq_serial_issue"),
        # The claims' scan: what is still awaited and due by today.
        Index("ix_serial_issue_state_claim_on", "state", "claim_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    serial_id: int = Field(foreign_key="serial_title.id", index=True)
    year: int = Field(index=True)
    seq: int
    key: str = Field(max_length=32)  # prediction.ExpectedIssue.key: "2026:5-6"
    volume: int | None = None
    numbers: str = Field(max_length=32)  # as printed: "5" or "5/6"
    expected_on: date
    claim_on: date
    state: str = Field(default=EXPECTED, max_length=16)
    copies_expected: int
    received_on: date | None = None
    copies_received: int = 0
    damaged: int = 0
    duplicates: int = 0
    claims: int = 0  # claims sent for it: 0, 1 or 2
    last_claimed_on: date | None = None
    answer: str | None = Field(default=None, max_length=32)
    answer_note: str | None = Field(default=None, max_length=2000)
    answered_on: date | None = None
    sent_on: date | None = None  # the sender's "sent on ..." answer, or our dispatch's day
    dispatch_id: int | None = Field(default=None, foreign_key="serial_dispatch.id", index=True)
    edited_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = utc_field(now=True)
