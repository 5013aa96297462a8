"""Exchanges: the proposal and its lines, each step's body, and the exchange as read back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.exchange.schemas.common import (
    Code,
    Copies,
    CopyCount,
    Deadline,
    EventDay,
    LongText,
    PublicationYear,
    Reason,
    RequestModel,
    RowId,
    ShortText,
)
from services.exchange.schemas.identifiers import Isbn, Issn
from workflows.exchange.types import STATES


class LineIn(RequestModel):
    title: LongText
    isbn: Isbn | None = None
    issn: Issn | None = None
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    year: PublicationYear | None = None
    record_id: RowId | None = Field(
        default=None,
        description="A fund item (from GET /api/v1/fund) whose copies this line offers",
    )
    quantity: Copies
    unit_value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = Field(
        default=None, description="Declared value of one copy, for the ledger"
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    purchase_cost: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = Field(
        default=None,
        description="What we paid for one copy bought to send (paid exchange), in the "
        "line's currency; the ledger keeps it apart from the declared value",
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")] | None = Field(
        default=None, description="The language of the publication (ISO 639-2: ind, rus, eng)"
    )
    weight_grams: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="One copy's weight in grams, for the customs declaration"
    )


class ProposalIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner": "NLB",
                    "lines": [
                        {
                            "title": "Sejarah Nasional Indonesia",
                            "isbn": "978-979-407-408-4",
                            "author": "Poesponegoro, Marwati Djoened",
                            "year": 2010,
                            "quantity": 2,
                        }
                    ],
                    "respond_by": "2026-12-31",
                }
            ]
        },
    )

    partner: Code | None = Field(
        default=None,
        description="The partner's code. Staff keys must give it; partner keys omit it.",
    )
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]
    respond_by: Deadline | None = Field(
        default=None,
        description="When the recipient should decide by: from today (UTC) to 730 days ahead. "
        "Left out: today plus the agreement's response days.",
    )


class LineQuantityIn(RequestModel):
    line_id: str
    quantity: Copies = Field(description="Copies accepted: from 1 to the copies offered")


class DecisionIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"accept": [{"line_id": "3f6c1e0a-0000-4000-8000-000000000001", "quantity": 1}]},
                {"decline": "Already held in our collection"},
            ]
        },
    )

    accept: list[LineQuantityIn] | None = None
    decline: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ShipmentIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "carrier": "Pos Indonesia",
                    "tracking": "EE123456789ID",
                    "parcels": 2,
                    "shipped_on": "2026-11-20",
                }
            ]
        },
    )

    carrier: ShortText
    tracking: Annotated[str, StringConstraints(max_length=100)] | None = None
    parcels: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    shipped_on: EventDay | None = Field(
        default=None,
        description="The day of dispatch: from 366 days ago to tomorrow (UTC, for libraries "
        "east of it). Left out: today.",
    )


class ReceivedLineIn(RequestModel):
    line_id: str
    received: CopyCount = Field(description="Copies that arrived: from 0 to the copies accepted")
    damaged: CopyCount = Field(default=0, description="Of those received, copies damaged")


class ReceiptIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {
                            "line_id": "3f6c1e0a-0000-4000-8000-000000000001",
                            "received": 1,
                            "damaged": 0,
                        }
                    ]
                }
            ]
        },
    )

    lines: Annotated[list[ReceivedLineIn], Field(max_length=1000)]
    received_on: EventDay | None = Field(
        default=None,
        description="The day the parcel arrived: from 366 days ago to tomorrow (UTC, for "
        "libraries east of it). Left out: today.",
    )


class LineOut(BaseModel):
    id: str
    title: str
    isbn: str | None
    issn: str | None
    author: str | None
    year: int | None
    record_id: int | None
    quantity: int
    unit_value: Decimal | None
    currency: str | None
    accepted_quantity: int | None
    received: int | None
    damaged: int | None
    purchase_cost: Decimal | None = None
    language: str | None = None
    weight_grams: int | None = None


class HistoryOut(BaseModel):
    at: datetime
    actor: str = Field(
        description="Who acted, as recorded: a partner's code, staff:<key id>, "
        "staff:user-<id> (the pages), staff:admin (the bootstrap key) or system. Stable."
    )
    actor_name: str = Field(
        default="",
        description="Who acted, by name: a person's display name or their key's label, a "
        "library's name, Administrator or System. Looked up when read, so a renamed person "
        "reads the same on every step.",
    )
    step: str
    state: str
    note: str | None = Field(description="What the step did, in English")
    note_id: str | None = Field(
        default=None,
        description="The note as a message id (offer, acceptance, receipt, notice, ...), for "
        "clients that write it in their own language from note_params; null for people's own "
        "words and for steps recorded before notes had ids",
    )
    note_params: dict[str, Any] | None = Field(
        default=None, description="The values of the note's message (counts, claim numbers)"
    )


class ShipmentOut(BaseModel):
    carrier: str
    tracking: str | None
    parcels: int | None
    shipped_on: date


Direction = Literal["outgoing", "incoming"]
State = Annotated[
    str,
    Field(
        description="proposed, accepted, shipped, received, catalogued (when we receive), then "
        "completed; or it ended as declined, expired, cancelled or lost",
        json_schema_extra={"enum": list(STATES)},
    ),
]


class ExchangeSummary(BaseModel):
    id: str
    number: str | None = Field(
        description="What people say on the phone and write on a parcel: EX-<year>-<nnnn>, "
        "counted per year from 1. GET /api/v1/exchanges/{number} finds the exchange too.",
        json_schema_extra={"examples": ["EX-2026-0042"]},
    )
    state: State
    direction: Direction = Field(
        description="Seen from the caller: outgoing means the caller sends."
    )
    sender: str = Field(description="The sending library's code")
    recipient: str = Field(description="The receiving library's code")
    partner: str = Field(description="The partner's code")
    sender_name: str = Field(description="The sending library's name")
    recipient_name: str = Field(description="The receiving library's name")
    partner_name: str = Field(description="The partner's name")
    respond_by: date | None
    created_at: datetime
    updated_at: datetime
    line_count: int = Field(description="Lines offered, one title each")
    titles: list[str] = Field(
        description="The titles of the first three lines, in their order; line_count says "
        "how many there are in all"
    )
    copies_offered: int = Field(description="Copies offered, all lines together")
    copies_accepted: int | None = Field(
        description="Copies the recipient accepted, all lines together; null until it "
        "accepts (and when it declines)"
    )


class ClaimOut(BaseModel):
    claim_no: str
    kind: Literal["overdue", "missing", "damaged"]
    line_id: str | None
    copies: int
    state: Literal["open", "resent", "written_off", "resolved"]
    note: str | None
    raised_at: datetime
    settled_at: datetime | None


class ExchangeOut(ExchangeSummary):
    lines: list[LineOut]
    decline_reason: str | None
    cancel_reason: str | None
    shipment: ShipmentOut | None
    receipt_due: date | None = Field(description="When receipt is expected, once shipped")
    received_on: date | None
    completed_on: date | None
    claims: list[ClaimOut]
    history: list[HistoryOut]
    marc_batches: list[str]


class RevisionIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"lines": [{"title": "Sejarah Nasional Indonesia", "quantity": 3}]}]
        },
    )

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


class CancelIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Budget year closed"}]}
    )

    reason: Reason


class LostIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Not delivered after 90 days"}]}
    )

    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ClaimAnswerIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "resend", "note": "Sent again by EMS"}]},
    )

    action: Literal["resend", "write_off"]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ClaimConfirmIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Replacement copy arrived"}]}
    )

    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
