"""States and dataclasses of the exchange workflow: one in and one out for every call.

Dates and times travel as ISO 8601 strings so that any SDK's default converter reads them.
Only the standard library (and the import workflow's types, likewise) is imported here,
because workflow code imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.importing.types import DEFAULT_CHUNK_ATTEMPTS

WORKFLOW_ID_PREFIX = "exchange-"

# States an exchange passes through; the API returns these.
PROPOSED = "proposed"
ACCEPTED = "accepted"
DECLINED = "declined"
SHIPPED = "shipped"
RECEIVED = "received"
CATALOGUED = "catalogued"
COMPLETED = "completed"
EXPIRED = "expired"
CANCELLED = "cancelled"
LOST = "lost"
FINAL_STATES = frozenset({DECLINED, COMPLETED, EXPIRED, CANCELLED, LOST})
# Every state in lifecycle order, for lists and filters.
STATES = (
    PROPOSED,
    ACCEPTED,
    DECLINED,
    SHIPPED,
    RECEIVED,
    CATALOGUED,
    COMPLETED,
    EXPIRED,
    CANCELLED,
    LOST,
)

# Claims: what a receipt or an overdue parcel raises, and how each is settled.
CLAIM_OVERDUE = "overdue"
CLAIM_MISSING = "missing"
CLAIM_DAMAGED = "damaged"
CLAIM_OPEN = "open"
CLAIM_RESENT = "resent"
CLAIM_WRITTEN_OFF = "written_off"
CLAIM_RESOLVED = "resolved"
CLAIM_SETTLED = frozenset({CLAIM_WRITTEN_OFF, CLAIM_RESOLVED})


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
class Deadlines:
    """Days that drive the exchange's durable timers, fixed when it is proposed."""

    respond_by: str | None = None
    reminder_days: int = 3
    receipt_days: int = 60
    claim_interval_days: int = 14


@dataclass
class ClaimState:
    claim_no: str
    kind: str
    state: str
    line_id: str | None = None
    copies: int = 0
    note: str | None = None


@dataclass
class ExchangeState:
    """Everything the exchange workflow knows that changes; one run hands it to the next.

    It travels as JSON in ``ExchangeInput.snapshot`` when a run continues as new, and runs
    already in flight carry it under these field names: rename or retype none of them, and give
    every new field a default. Lists (not dicts keyed by id) keep the JSON as it always was;
    their order is the order lines were offered and claims raised.
    """

    state: str
    seq: int
    offered: list[LineOffer]
    accepted: list[LineQuantity]
    claims: list[ClaimState]
    batches: list[str]
    batch_uploaders: list[str]
    records_imported: int
    reminder_due: bool
    overdue_claims: int
    shipped_at: str | None
    last_claim_at: str | None
    # False only for runs started before the lifecycle rules (deadlines, claims, notices).
    # Only lifecycle runs continue as new, so a snapshot written before this field is True.
    lifecycle: bool = True
    # The deadlines (``deadlines.RESPOND_BY``, ...) found impossible to count, each noted once.
    deadline_notes: list[str] = field(default_factory=list)
    # The batches whose commit this exchange has counted (``batch_committed``), each once.
    committed_batches: list[str] = field(default_factory=list)


@dataclass
class ExchangeInput:
    exchange_id: str
    sender: str
    recipient: str
    home: str
    lines: list[LineOffer]
    next_seq: int = 2
    partner: str = ""
    deadlines: Deadlines | None = None
    # The state of the run before, when this run continues it (the name is the wire format's).
    snapshot: ExchangeState | None = None


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
    chunk_size: int = 1000
    heartbeat_seconds: float = 60.0
    chunk_attempts: int = DEFAULT_CHUNK_ATTEMPTS


@dataclass
class LineSpec:
    title: str
    quantity: int
    isbn: str | None = None
    issn: str | None = None
    author: str | None = None
    year: int | None = None
    record_id: int | None = None
    unit_value: str | None = None
    currency: str | None = None
    # Added with issue 17 (defaults, so older payloads decode): what we paid for one copy (as
    # text, in ``currency``), the language (ISO 639-2) and one copy's weight in grams.
    purchase_cost: str | None = None
    language: str | None = None
    weight_grams: int | None = None


@dataclass
class ReviseInput:
    actor: Actor
    lines: list[LineSpec]


@dataclass
class CancelInput:
    actor: Actor
    reason: str


@dataclass
class LostInput:
    actor: Actor
    note: str | None = None


@dataclass
class ClaimAnswerInput:
    actor: Actor
    claim_no: str
    action: str
    note: str | None = None


@dataclass
class ClaimConfirmInput:
    actor: Actor
    claim_no: str
    note: str | None = None


@dataclass
class RevisionRecord:
    exchange_id: str
    seq: int
    actor: str
    at: str
    lines: list[LineSpec]


@dataclass
class RevisionResult:
    lines: list[LineOffer]


@dataclass
class NoticeInput:
    exchange_id: str
    seq: int
    party: str
    event: str
    at: str
    note: str | None = None
    # The note as a message id and its values (``workflows.exchange.notes.Note``).
    note_id: str | None = None
    note_params: dict[str, Any] | None = None


@dataclass
class NoticeRecorded:
    seq: int
    written: bool
    deliver: bool = False
    retry_seconds: float = 30.0


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
    claims: list[ClaimState] | None = None
    cancel_reason: str | None = None
    completed_on: str | None = None
    # The note as a message id and its values, for the pages (``workflows.exchange.notes``).
    note_id: str | None = None
    note_params: dict[str, Any] | None = None


@dataclass
class StepRecorded:
    seq: int
    written: bool


@dataclass
class ExchangeOutcome:
    exchange_id: str
    state: str
    batches: list[str] = field(default_factory=list)


@dataclass
class ActionsQuery:
    """Which steps a party could take now (for pages that show only the allowed actions)."""

    party: str


@dataclass
class AvailableActions:
    state: str
    actions: list[str]
    answerable_claims: list[str]
    confirmable_claims: list[str]
