"""Database tables.

The exchange tables are a projection of the exchange workflows (written by activities) kept
for listing and search; the workflow stays the authority on what may happen next.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.exchange.storage.utc import utc_field


class Partner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=300)
    country: str = Field(max_length=2)
    isil: str | None = Field(default=None, max_length=32)
    marc_format: str = Field(max_length=16)
    # How its ISO 2709 files are read and its UNIMARC names converted; None: the defaults.
    marc_encoding: str | None = Field(default=None, max_length=16)
    heading_form: str | None = Field(default=None, max_length=16)
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=100)
    created_at: datetime = utc_field(now=True)


class PartnerAddress(SQLModel, table=True):
    """Where a partner's parcels and letters go; the packing list prints the postal one."""

    __tablename__ = "partner_address"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    kind: str = Field(default="postal", max_length=16)  # postal, shipping
    lines: str = Field(max_length=1000)  # the address as printed, one line per line
    country: str | None = Field(default=None, max_length=2)


class PartnerContact(SQLModel, table=True):
    """A person at a partner library: who is written to, and in which language."""

    __tablename__ = "partner_contact"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    language: str = Field(default="en", max_length=8)
    role: str | None = Field(default=None, max_length=64)
    receives_notices: bool = True
    # Which notices by e-mail (``service.email_notices.KINDS``); None: all of them.
    notices: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class NumberSequence(SQLModel, table=True):
    """The last number handed out per series and year; one conditional UPDATE takes the next."""

    __tablename__ = "number_sequence"

    series: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last: int = 0


class AuditEntry(SQLModel, table=True):
    """One change to partners, agreements, keys, users or deposits: who, when, before, after."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(index=True)
    actor: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=200)
    entity: str = Field(max_length=32, index=True)  # partner, agreement, key, user, deposit
    entity_key: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)  # created, updated, revoked, disabled, deposited
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=32)
    secret_hash: str = Field(max_length=64)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    role: str = Field(max_length=32)
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field(now=True)
    expires_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class Exchange(SQLModel, table=True):
    # A partner's list is its exchanges, newest first.
    __table_args__ = (Index("ix_exchange_partner_created", "partner_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=36)
    # What people say on the phone and write on a parcel: EX-2026-0042 (``number_sequence``).
    number: str | None = Field(default=None, max_length=16, unique=True, index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    direction: str = Field(max_length=16, index=True)
    state: str = Field(max_length=16, index=True)
    respond_by: date | None = None
    decline_reason: str | None = None
    shipment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_on: date | None = None
    cancel_reason: str | None = None
    completed_on: date | None = None
    receipt_days: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(now=True)
    updated_at: datetime = utc_field(now=True)


class ExchangeLine(SQLModel, table=True):
    __tablename__ = "exchange_line"

    id: str = Field(primary_key=True, max_length=36)
    exchange_id: str = Field(foreign_key="exchange.id", index=True)
    position: int
    title: str = Field(max_length=1000)
    isbn: str | None = Field(default=None, max_length=32)
    issn: str | None = Field(default=None, max_length=16)
    author: str | None = Field(default=None, max_length=500)
    year: int | None = None
    record_id: int | None = None
    quantity: int
    unit_value: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(12, 2), nullable=True)
    )
    currency: str | None = Field(default=None, max_length=3)
    accepted_quantity: int | None = None
    received: int | None = None
    damaged: int | None = None
    # Migration 0014: what we paid for one copy (bought to send; in ``currency``, kept apart
    # from the declared value), the language (ISO 639-2) and one copy's weight for customs.
    purchase_cost: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(14, 2), nullable=True)
    )
    language: str | None = Field(default=None, max_length=3)
    weight_grams: int | None = None


class ExchangeEvent(SQLModel, table=True):
    """One step of an exchange's history; the workflow's ``seq`` stops a retry repeating it."""

    __tablename__ = "exchange_event"
    __table_args__ = (UniqueConstraint("exchange_id", "seq", name="uq_exchange_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: str = Field(foreign_key="exchange.id", index=True)
    seq: int
    at: datetime = utc_field()
    actor: str = Field(max_length=64)
    step: str = Field(max_length=32)
    state: str = Field(max_length=16)
    note: str | None = None
    # The note as a catalog message id and its values, so each reader sees it in their own
    # language; ``note`` keeps the English words for old rows and for the API.
    note_id: str | None = Field(default=None, max_length=64)
    note_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class MarcBatch(SQLModel, table=True):
    __tablename__ = "marc_batch"

    id: str = Field(primary_key=True, max_length=36)
    exchange_id: str | None = Field(default=None, foreign_key="exchange.id", index=True)
    uploaded_by: str = Field(max_length=64)
    filename: str | None = Field(default=None, max_length=500)
    stored_path: str = Field(max_length=1000)
    size_bytes: int = 0
    format: str | None = Field(default=None, max_length=16)
    # The character set the file is read in (the upload's, else the partner's); None: detect.
    encoding: str | None = Field(default=None, max_length=16)
    state: str = Field(max_length=16)
    dry_run: bool = False
    expected_total: int | None = None
    processed: int = 0
    next_offset: int = 0
    created: int = 0
    merged: int = 0
    multi_matches: int = 0
    duplicates: int = 0
    encoding_suspects: int = 0
    total: int = 0
    imported: int = 0
    rejected: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    error: str | None = None
    created_at: datetime = utc_field(now=True)
    finished_at: datetime | None = utc_field(nullable=True)
    # Staged imports (``service/staging.py``): the commit moves ``committed_through`` (the last
    # position written to the catalogue) in the same transaction as each chunk; an undo walks
    # back from the end, ``undo_position`` being the lowest position it has undone.
    committed_through: int = 0
    commit_counts: dict[str, int] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    commit_started_at: datetime | None = utc_field(nullable=True)
    committed_at: datetime | None = utc_field(nullable=True)
    committed_by: str | None = Field(default=None, max_length=64)
    undo_position: int | None = None
    undo_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    undo_kept: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    undone_at: datetime | None = utc_field(nullable=True)
    undone_by: str | None = Field(default=None, max_length=64)


class CatalogueRecord(SQLModel, table=True):
    __tablename__ = "catalogue_record"
    __table_args__ = (UniqueConstraint("batch_id", "position", name="uq_record_batch_position"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="marc_batch.id", index=True)
    exchange_id: str | None = Field(default=None, foreign_key="exchange.id", index=True)
    position: int
    control_number: str | None = Field(default=None, max_length=64, index=True)
    title: str | None = None
    isbn: str | None = Field(default=None, max_length=32, index=True)
    issn: str | None = Field(default=None, max_length=16, index=True)
    author: str | None = None
    year: str | None = Field(default=None, max_length=8)
    holdings: int = 1
    marc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = utc_field(now=True)
    # Where it came from (``batch_id``/``exchange_id`` above are the batch that created it).
    partner_id: int | None = Field(default=None, index=True)
    # Bumped by every change a batch makes (create 1, merge, replace); an undo puts it back,
    # so an undo can tell that a later batch changed the record since (``record_history``).
    revision: int = 1
    updated_at: datetime | None = utc_field(nullable=True)


class RecordHistory(SQLModel, table=True):
    """One change a batch made to a catalogue record: imported, merged, replaced, undone.

    ``record_id`` is no foreign key: the history of a record an undo removed stays readable.
    One entry per (batch, position, action), so a commit chunk run twice writes nothing twice.
    """

    __tablename__ = "record_history"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", "action", name="uq_record_history_step"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(index=True)
    batch_id: str = Field(foreign_key="marc_batch.id", index=True)
    position: int
    exchange_id: str | None = Field(default=None, max_length=36)
    partner_id: int | None = None
    action: str = Field(max_length=16)  # imported, merged, replaced, undone
    revision: int  # the record's revision after this change
    holdings: int = 0  # copies this change added (+) or took back (-)
    at: datetime = utc_field()
    actor: str = Field(max_length=64)
    # Before a replace: the record's MARC and match keys, which its undo puts back.
    previous_marc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    previous_keys: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    note: str | None = None


class Agreement(SQLModel, table=True):
    """A memorandum of understanding: exchanges with a partner need one valid on the day."""

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    signed_on: date
    valid_from: date
    valid_to: date
    programmes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    response_days: int
    receipt_days: int
    yearly_quota: int | None = None
    created_at: datetime = utc_field(now=True)
    # What the partner wants (``service.profiles``): subject class ranges, languages, material
    # types, years; None: everything.
    profile: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Migration 0014: how the balance is counted (blanket, pieces, titles, value), in which
    # currency a value balance is kept, and how far it may lean before staff are warned.
    balance_model: str = Field(default="pieces", max_length=16)
    currency: str | None = Field(default=None, max_length=3)
    tolerance: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))


class FundItem(SQLModel, table=True):
    """A deposited publication; copies beyond those retained form the exchange fund.

    The counters change only through conditional UPDATEs (see ``service/fund.py``), so two
    proposals can never reserve the same copy, whatever the database.
    """

    __tablename__ = "fund_item"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=1000)
    isbn: str | None = Field(default=None, max_length=32, index=True)
    issn: str | None = Field(default=None, max_length=16, index=True)
    control_number: str | None = Field(default=None, max_length=64, index=True)
    author: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=500)
    year: int | None = None
    marc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    copies_received: int = 0
    copies_retained: int = 0
    copies_reserved: int = 0
    copies_shipped: int = 0
    created_at: datetime = utc_field(now=True)
    updated_at: datetime = utc_field(now=True)


class Reservation(SQLModel, table=True):
    """Copies of a fund item held for one line of an outgoing proposal."""

    id: int | None = Field(default=None, primary_key=True)
    fund_item_id: int = Field(foreign_key="fund_item.id", index=True)
    exchange_id: str = Field(foreign_key="exchange.id", index=True)
    line_id: str = Field(max_length=36, index=True)
    copies: int
    state: str = Field(max_length=16)  # held, released, consumed


class Claim(SQLModel, table=True):
    """A discrepancy the sender must answer: an overdue parcel, or copies missing or damaged."""

    __table_args__ = (UniqueConstraint("exchange_id", "claim_no", name="uq_claim_no"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: str = Field(foreign_key="exchange.id", index=True)
    claim_no: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # overdue, missing, damaged
    line_id: str | None = Field(default=None, max_length=36)
    copies: int = 0
    state: str = Field(max_length=16)  # open, resent, written_off, resolved
    note: str | None = None
    raised_at: datetime = utc_field()
    settled_at: datetime | None = utc_field(nullable=True)


class Notice(SQLModel, table=True):
    """A notification to one side: of an exchange's step, or of an offer list or wish list.

    ``party`` is a partner's code, or our own code for a notice to staff. An exchange's
    notices are numbered by its ``seq``; the others have a stable ``key`` instead (for
    example ``offer-list:<id>:published:<code>``), which makes writing them idempotent.
    """

    __table_args__ = (UniqueConstraint("exchange_id", "seq", name="uq_notice_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: str | None = Field(default=None, foreign_key="exchange.id", index=True)
    seq: int
    party: str = Field(max_length=32)
    event: str = Field(max_length=32)
    note: str | None = None
    created_at: datetime = utc_field()
    offer_list_id: str | None = Field(default=None, foreign_key="offer_list.id", index=True)
    key: str | None = Field(default=None, max_length=200, unique=True, index=True)
    # The note as a catalog message id and its values, so an e-mail is written in the
    # reader's language (``note`` keeps the English words).
    note_id: str | None = Field(default=None, max_length=64)
    note_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Migration 0015: a serial title's notice (claims, dispatches, the yearly review).
    serial_id: int | None = Field(default=None, index=True)


class LedgerEntry(SQLModel, table=True):
    """What a completed exchange moved, per partner and year: the basis of the balance."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("exchange_id", "currency", name="uq_ledger_exchange"),)

    id: int | None = Field(default=None, primary_key=True)
    # None for a serial issue's entry (migration 0015), which names ``serial_issue_id``.
    exchange_id: str | None = Field(default=None, foreign_key="exchange.id", index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    year: int = Field(index=True)
    direction: str = Field(max_length=16)
    titles: int
    copies: int
    currency: str = Field(default="", max_length=3)
    value: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    created_at: datetime = utc_field(now=True)
    # Migration 0014: what the copies cost us to buy (in ``currency``), apart from ``value``.
    purchase_cost: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(14, 2), nullable=True)
    )
    # Migration 0015: the serial issue this entry counts (one entry per issue at most).
    serial_issue_id: int | None = Field(default=None, unique=True, index=True)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST with an ``Idempotency-Key``, replayed to its retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=64)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = utc_field(now=True, index=True)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver a notice to a partner's webhook."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    attempt: int
    url: str = Field(max_length=2000)
    status_code: int | None = None
    error: str | None = None
    succeeded: bool = False
    duration_ms: int = 0
    at: datetime = utc_field()


class RecordKey(SQLModel, table=True):
    """A normalised identifier of a catalogue record: ``isbn:``, ``issn:``, ``sys:``, ``ctl:``."""

    __tablename__ = "record_key"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="catalogue_record.id", index=True)
    key: str = Field(max_length=200, index=True)


class BatchKey(SQLModel, table=True):
    """Identifiers already seen in a batch, to find the same publication twice in one file."""

    __tablename__ = "batch_key"
    __table_args__ = (UniqueConstraint("batch_id", "key", name="uq_batch_key"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="marc_batch.id", index=True)
    key: str = Field(max_length=200)
    position: int


class ImportOutcome(SQLModel, table=True):
    """What became of one record of a batch."""

    __tablename__ = "import_outcome"
    __table_args__ = (UniqueConstraint("batch_id", "position", name="uq_outcome_position"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="marc_batch.id", index=True)
    position: int
    outcome: str = Field(max_length=16)
    record_id: int | None = Field(default=None, index=True)
    line_id: str | None = Field(default=None, max_length=36)
    title: str | None = None
    reason: str | None = None
    candidates: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    flags: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Staged: ``outcome`` is the proposed action (create, merge, multi_match, duplicate,
    # rejected), ``record_id`` the record it merges into; the converted MARC 21 record and its
    # index, written to the catalogue only by the commit.
    match_points: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    marc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    keys: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    control_number: str | None = Field(default=None, max_length=64)
    isbn: str | None = Field(default=None, max_length=32)
    issn: str | None = Field(default=None, max_length=16)
    author: str | None = None
    year: str | None = Field(default=None, max_length=8)
    # The cataloguer's decision (None: the proposed action) and its target record.
    action: str | None = Field(default=None, max_length=16)
    target_record_id: int | None = None
    # What the commit did (created, merged, replaced, ignored, skipped), then the undo
    # (removed, taken_back, restored, kept).
    applied: str | None = Field(default=None, max_length=16)
    undone: str | None = Field(default=None, max_length=16)


class WebUser(SQLModel, table=True):
    """A person who signs in to the pages: staff with a role, or a partner library's user."""

    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=32)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    display_name: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field(now=True)
    disabled_at: datetime | None = utc_field(nullable=True)
    # Where a staff user's notices go by e-mail, and in which language; None: none.
    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=8)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="web_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(index=True)


class HealthProbe(SQLModel, table=True):
    """One row that ``/health`` writes, so a full disk or a read-only database shows there."""

    __tablename__ = "health_probe"

    id: int = Field(primary_key=True)
    checked_at: datetime = utc_field()


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins with one user name from one address, counted for all API processes.

    Times are seconds since the epoch, so that the one statement that counts a failure can
    also compute the delay it earns, in the same SQL on SQLite and PostgreSQL.
    """

    __tablename__ = "signin_failure"

    username: str = Field(primary_key=True, max_length=64)
    address: str = Field(primary_key=True, max_length=64)
    failures: int
    delay_seconds: float
    last_failed_at: float = Field(index=True)
    blocked_until: float


# The tables of offer lists, wish lists and e-mail notices live beside these; importing them
# here registers them on the metadata wherever the models are imported.
from services.exchange.balance_models import ExchangeDocument, ExchangeRate  # noqa: E402, F401
from services.exchange.offer_models import (  # noqa: E402, F401
    EmailDelivery,
    OfferItem,
    OfferList,
    OfferListAddressee,
    OfferPick,
    OfferSelection,
    WishHit,
    WishItem,
)
from services.exchange.serial_models import (  # noqa: E402, F401
    SerialDispatch,
    SerialIssue,
    SerialTitle,
)
