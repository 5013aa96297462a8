"""Dataclasses of the offer list workflow and its activities: one in and one out for every call.

Days travel as ISO 8601 strings (``closes_on``: a date; ``at``: a time with its offset) so any
SDK's default converter reads them. Only the standard library is imported here, because
workflow code imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORKFLOW_ID_PREFIX = "offer-list-"

# The states of a list while its workflow runs (the database also knows draft and withdrawn,
# which never have a workflow).
PUBLISHED = "published"
CLOSED = "closed"

# The events ``announce_offer_list`` writes notices for (``list_notices.record_list_notices``).
EVENT_PUBLISHED = "published"
EVENT_CLOSING = "closing"
EVENT_CLOSED = "closed"

# Refusals of the updates (``ApplicationError.type``), which the API turns into problems.
ERR_LIST_CLOSED = "list-closed"
ERR_INVALID_CLOSING_DAY = "invalid-closing-day"


def offer_list_workflow_id(list_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{list_id}"


@dataclass
class OfferListState:
    """Everything the workflow knows that changes; one run hands it to the next.

    It travels as JSON in ``OfferListInput.snapshot`` when a run continues as new: rename or
    retype none of the fields, and give every new one a default.
    """

    state: str
    closes_on: str
    # The "published" notices are written (and their deliveries started).
    published_notices: bool = False
    # Whether a "closing soon" notice is to come for the current closing day: decided when the
    # list is published and again when the day moves, never by whether its moment has just
    # passed (an update that runs across the moment must not lose the notice).
    closing_notice_due: bool = False
    closing_notice_sent: bool = False
    closed_at: str | None = None
    closed_by: str | None = None
    close_note: str | None = None
    # Who took what, as ``offer_list_closing.close_list`` answered.
    summary: dict[str, Any] | None = None
    closed_notices: bool = False
    extensions: int = 0


@dataclass
class OfferListInput:
    list_id: str
    closes_on: str
    home: str
    closing_soon_days: int = 3
    retry_seconds: float = 30.0
    # The state of the run before, when this run continues it.
    snapshot: OfferListState | None = None


@dataclass
class CloseRequest:
    """Close the list now (staff); ``note`` is kept with the close for the staff's records."""

    actor: str
    note: str | None = None


@dataclass
class ExtendRequest:
    """Move the closing day (ISO date, from today on) of a list that is still open."""

    actor: str
    closes_on: str


@dataclass
class OfferListStatus:
    list_id: str
    state: str
    closes_on: str


# --- activities --------------------------------------------------------------------------


@dataclass
class ListAnnouncement:
    list_id: str
    event: str  # EVENT_PUBLISHED, EVENT_CLOSING, EVENT_CLOSED
    at: str


@dataclass
class ListNotices:
    """The notices an announcement wrote (or had written before: a retry finds them)."""

    notice_ids: list[int] = field(default_factory=list)


@dataclass
class CloseListInput:
    list_id: str
    actor: str
    at: str


@dataclass
class ListClosed:
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClosingDayInput:
    list_id: str
    closes_on: str


@dataclass
class ClosingDaySet:
    list_id: str
    closes_on: str
