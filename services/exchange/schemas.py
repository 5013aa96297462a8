"""Request and response bodies of API v1.

Request models forbid unknown fields, so a client cannot slip in what the server owns
(state, sender, recipient, ids, history).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

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


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- partners ----------------------------------------------------------------------------


class PartnerIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "NLB",
                    "name": "National Library of Belarus",
                    "country": "BY",
                    "isil": "BY-HM0000",
                    "marc_format": "rusmarc",
                    "webhook_url": "https://exchange.nlb.by/hooks/exchange",
                }
            ]
        },
    )

    code: Code
    name: ShortText
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code"
    )
    isil: Annotated[str, StringConstraints(max_length=32)] | None = None
    marc_format: Literal["marc21", "unimarc", "rusmarc"]
    webhook_url: AnyHttpUrl | None = None


class PartnerOut(BaseModel):
    code: str
    name: str
    country: str
    isil: str | None
    marc_format: str
    webhook_url: str | None
    created_at: datetime


class PartnerCreated(PartnerOut):
    api_key: str = Field(description="The partner's API key. It is shown only in this response.")
    api_key_id: str
    webhook_secret: str = Field(
        description="Secret that signs webhook events (HMAC-SHA256). Shown only in this response."
    )


class PartnerPatch(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"webhook_url": "https://exchange.nlb.by/hooks/exchange"}]},
    )

    name: ShortText | None = None
    isil: Annotated[str, StringConstraints(max_length=32)] | None = None
    webhook_url: AnyHttpUrl | None = None


class WebhookSecret(BaseModel):
    webhook_secret: str = Field(description="Signs webhook events; shown only in this response")


# --- keys ---------------------------------------------------------------------------------

Role = Literal["admin", "acquisitions", "cataloguer", "partner"]


class KeyIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "acquisitions", "label": "Acquisitions desk, Jakarta"},
                {"role": "partner", "partner": "NLB", "label": "NLB integration"},
            ]
        },
    )

    role: Role
    partner: Code | None = Field(default=None, description="For partner keys: the partner code")
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
    expires_at: Moment | None = None


class KeyOut(BaseModel):
    id: str
    role: Role
    partner: str | None
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The API key. It is shown only in this response.")


class RotateIn(_In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"overlap_hours": 48, "label": "2027"}]}
    )

    overlap_hours: Annotated[int, Field(ge=0, le=24 * 90)] = 24
    label: Annotated[str, StringConstraints(max_length=200)] | None = None


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event: str
    exchange_id: str
    attempt: int
    url: str
    status_code: int | None
    error: str | None
    succeeded: bool
    duration_ms: int
    at: datetime


# --- exchanges ---------------------------------------------------------------------------


class LineIn(_In):
    title: LongText
    isbn: Annotated[str, StringConstraints(max_length=32)] | None = None
    issn: Annotated[str, StringConstraints(max_length=16)] | None = None
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    year: Annotated[int, Field(ge=1400, le=2200)] | None = None
    record_id: int | None = Field(
        default=None,
        description="A fund item (from GET /api/v1/fund) whose copies this line offers",
    )
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = Field(
        default=None, description="Declared value of one copy, for the ledger"
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class ProposalIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner": "NLB",
                    "lines": [
                        {
                            "title": "Sejarah Nasional Indonesia",
                            "isbn": "978-979-407-408-0",
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
    respond_by: Day | None = None


class LineQuantityIn(_In):
    line_id: str
    quantity: int


class DecisionIn(_In):
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


class ShipmentIn(_In):
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
    parcels: int | None = None
    shipped_on: Day | None = None


class ReceivedLineIn(_In):
    line_id: str
    received: int
    damaged: int = 0


class ReceiptIn(_In):
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
    received_on: Day | None = None


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


class HistoryOut(BaseModel):
    at: datetime
    actor: str
    step: str
    state: str
    note: str | None


class ShipmentOut(BaseModel):
    carrier: str
    tracking: str | None
    parcels: int | None
    shipped_on: date


Direction = Literal["outgoing", "incoming"]


class ExchangeSummary(BaseModel):
    id: str
    state: str
    direction: Direction = Field(
        description="Seen from the caller: outgoing means the caller sends."
    )
    sender: str
    recipient: str
    partner: str
    respond_by: date | None
    created_at: datetime
    updated_at: datetime


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


class RevisionIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"lines": [{"title": "Sejarah Nasional Indonesia", "quantity": 3}]}]
        },
    )

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


class CancelIn(_In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Budget year closed"}]}
    )

    reason: Reason


class LostIn(_In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Not delivered after 90 days"}]}
    )

    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ClaimAnswerIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "resend", "note": "Sent again by EMS"}]},
    )

    action: Literal["resend", "write_off"]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ClaimConfirmIn(_In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Replacement copy arrived"}]}
    )

    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


# --- agreements, fund, balance -------------------------------------------------------------


class AgreementIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signed_on": "2025-03-14",
                    "valid_from": "2025-04-01",
                    "valid_to": "2030-03-31",
                    "programmes": ["material_exchange"],
                    "response_days": 30,
                    "receipt_days": 60,
                    "yearly_quota": 500,
                }
            ]
        },
    )

    signed_on: Day
    valid_from: Day
    valid_to: Day
    programmes: Annotated[
        list[Literal["material_exchange", "digital_exchange"]], Field(min_length=1)
    ]
    response_days: Annotated[int, Field(ge=1, le=365)] = 30
    receipt_days: Annotated[int, Field(ge=1, le=365)] = 60
    yearly_quota: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Copies a year, each way"
    )


class AgreementOut(BaseModel):
    id: int
    partner: str
    signed_on: date
    valid_from: date
    valid_to: date
    programmes: list[str]
    response_days: int
    receipt_days: int
    yearly_quota: int | None
    valid_today: bool


class DepositIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Sejarah Nasional Indonesia",
                    "isbn": "978-979-407-408-0",
                    "author": "Poesponegoro, Marwati Djoened",
                    "publisher": "Balai Pustaka",
                    "year": 2010,
                    "copies": 5,
                }
            ]
        },
    )

    title: LongText
    isbn: Annotated[str, StringConstraints(max_length=32)] | None = None
    issn: Annotated[str, StringConstraints(max_length=16)] | None = None
    control_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    publisher: Annotated[str, StringConstraints(max_length=500)] | None = None
    year: Annotated[int, Field(ge=1400, le=2200)] | None = None
    copies: Annotated[int, Field(ge=1, le=100_000)]


class FundItemOut(BaseModel):
    id: int
    title: str
    isbn: str | None
    issn: str | None
    control_number: str | None
    author: str | None
    publisher: str | None
    year: int | None
    copies_received: int
    copies_retained: int
    copies_reserved: int
    copies_shipped: int
    copies_available: int


class Flow(BaseModel):
    exchanges: int
    titles: int
    copies: int
    value: dict[str, Decimal] = Field(description="Declared value per currency")


class QuotaOut(BaseModel):
    yearly: int | None
    sent: int
    received: int


class BalanceOut(BaseModel):
    partner: str
    year: int
    sent: Flow
    received: Flow
    balance_copies: int = Field(description="Copies sent minus copies received")
    balance_titles: int
    quota: QuotaOut


# --- MARC --------------------------------------------------------------------------------


class BatchAccepted(BaseModel):
    batch_id: str


class RejectedOut(BaseModel):
    index: int = Field(description="Position of the record in the file, counting from 1.")
    offset: int | None = Field(default=None, description="Byte offset of the record in the file.")
    reason: str


class BatchCounts(BaseModel):
    created: int = Field(description="New catalogue records (would_create in a dry run)")
    merged: int = Field(description="Records already in the catalogue: holdings + 1")
    multi_matches: int = Field(description="Several catalogue candidates: left for review")
    duplicates: int = Field(description="The same publication earlier in this file")
    rejected: int
    encoding_suspects: int = Field(description="Read, but the declared character set was wrong")


class BatchProgress(BaseModel):
    processed: int
    expected_total: int | None
    records_per_second: float | None
    eta_seconds: float | None


class BatchOut(BaseModel):
    id: str
    exchange_id: str | None
    state: Literal["running", "completed", "failed"]
    dry_run: bool
    filename: str | None
    format: str | None
    total: int
    imported: int
    rejected: list[RejectedOut]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    counts: BatchCounts
    progress: BatchProgress
    records_without_line: int | None = Field(
        default=None, description="For an exchange's batch: records that match none of its lines"
    )
    lines_without_record: list[str] | None = Field(
        default=None, description="For an exchange's batch: ids of lines no record matched"
    )


class RecordOut(BaseModel):
    id: int
    title: str | None
    isbn: str | None
    issn: str | None
    control_number: str | None
    author: str | None
    year: str | None
    exchange_id: str | None
    batch_id: str


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    temporal: Literal["ok"]
