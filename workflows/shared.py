"""Dataclasses that cross the workflow boundary: one in and one out for every call.

Dates and times travel as ISO 8601 strings so that any SDK's default converter reads them.
Only the standard library is imported here, because workflow code imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORKFLOW_ID_PREFIX = "exchange-"

# States an exchange passes through; the API returns these.
PROPOSED = "proposed"
ACCEPTED = "accepted"
DECLINED = "declined"
SHIPPED = "shipped"
RECEIVED = "received"
CATALOGUED = "catalogued"
COMPLETED = "completed"
FINAL_STATES = frozenset({DECLINED, COMPLETED})

# ApplicationError types the API turns into problem responses.
ERR_INVALID_TRANSITION = "InvalidTransition"
ERR_NOT_ALLOWED = "NotAllowed"
ERR_INVALID_REQUEST = "InvalidRequest"
ERR_NOT_FOUND = "NotFound"


def workflow_id(exchange_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{exchange_id}"


@dataclass
class Actor:
    """Who acts: ``party`` is the library code (ours or the partner's), ``name`` goes to history."""

    party: str
    name: str


@dataclass
class LineOffer:
    line_id: str
    quantity: int


@dataclass
class ExchangeInput:
    exchange_id: str
    sender: str
    recipient: str
    home: str
    lines: list[LineOffer]
    next_seq: int = 2


@dataclass
class LineQuantity:
    line_id: str
    quantity: int


@dataclass
class DecisionInput:
    actor: Actor
    accept: list[LineQuantity] | None = None
    decline_reason: str | None = None


@dataclass
class ShipmentInput:
    actor: Actor
    carrier: str
    tracking: str | None = None
    parcels: int | None = None
    shipped_on: str | None = None


@dataclass
class ReceivedLine:
    line_id: str
    received: int
    damaged: int = 0


@dataclass
class ReceiptInput:
    actor: Actor
    lines: list[ReceivedLine]
    received_on: str | None = None


@dataclass
class AttachMarcInput:
    actor: Actor
    batch_id: str


@dataclass
class ExchangeStatus:
    exchange_id: str
    state: str


@dataclass
class ShipmentDetails:
    carrier: str
    tracking: str | None
    parcels: int | None
    shipped_on: str


@dataclass
class StepRecord:
    """One step to write to the database projection; ``seq`` makes the write idempotent."""

    exchange_id: str
    seq: int
    step: str
    state: str
    actor: str
    at: str
    note: str | None = None
    accepted: list[LineQuantity] | None = None
    decline_reason: str | None = None
    shipment: ShipmentDetails | None = None
    received: list[ReceivedLine] | None = None
    received_on: str | None = None


@dataclass
class StepRecorded:
    seq: int
    written: bool


@dataclass
class ImportBatchInput:
    batch_id: str


@dataclass
class ImportBatchResult:
    batch_id: str
    state: str
    total: int
    imported: int
    rejected: int
    error: str | None = None


@dataclass
class ExchangeOutcome:
    exchange_id: str
    state: str
    batches: list[str] = field(default_factory=list)
