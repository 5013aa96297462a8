"""Dataclasses of the serial exchange workflow and its activities: one in and one out per call.

Days travel as ISO 8601 strings, so any SDK's default converter reads them. Only the standard
library is imported here, because workflow code imports this module. The state names are the
database's (``services.exchange.serial_models``; a test checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORKFLOW_NAME = "SerialExchangeWorkflow"
WORKFLOW_ID_PREFIX = "serial-"
SIGNAL_CHANGED = "serial_changed"

# serial_title.direction
INCOMING = "incoming"
OUTGOING = "outgoing"
# serial_title.state
ACTIVE = "active"
ENDED = "ended"
CEASED = "ceased"
# serial_issue.state
EXPECTED = "expected"
CLAIMED = "claimed"
RECEIVED = "received"
SKIPPED = "skipped"
# serial_issue.answer
SENT = "sent"
NOT_YET_PUBLISHED = "not_yet_published"
WILL_NOT_BE_PUBLISHED = "will_not_be_published"
ANSWER_CEASED = "ceased"
# serial_title.end_reason of a title its yearly review did not confirm
NOT_CONFIRMED = "not_confirmed"

# The events of the serial notices: the workflow's activities write the first two (and the API
# a partner's claim), the API the others.
EVENT_CLAIM = "serial_claim"
EVENT_REVIEW = "serial_review"
EVENT_DISPATCH = "serial_dispatch"
EVENT_ENDED = "serial_ended"


def serial_workflow_id(serial_id: int) -> str:
    return f"{WORKFLOW_ID_PREFIX}{serial_id}"


@dataclass
class SerialInput:
    """One run: one title, one year. The fields after ``year`` have defaults, so a run started
    with the two of the contract reads alike; rename or retype none of them (a continued run
    gets its input as JSON)."""

    serial_id: int
    year: int
    # The review reminder of this year went out already (a run continued as new in its year).
    reminded: bool = False
    retry_seconds: float = 30.0  # the deliveries' retry interval (settings.webhook_retry_seconds)
    # The run's clock is Temporal's plus this: tests and benchmarks on a dev server, which cannot
    # skip time, put the run a few seconds before a due midnight. Zero in production.
    clock_offset_seconds: float = 0.0


@dataclass
class SerialChanged:
    """The signal the service sends after a change that may move the timers."""

    reason: str


@dataclass
class SerialStatus:
    year: int
    state: str
    next_wake: str | None  # the day (00:00 UTC) the run wakes next; None once it is done


# --- activities --------------------------------------------------------------------------


@dataclass
class SerialYearInput:
    serial_id: int
    year: int


@dataclass
class SerialYear:
    """The title as a year's run starts: its issues of the year are written by now."""

    state: str
    direction: str
    next_due: str | None  # the earliest day a claim of an open issue is due
    review_on: str  # 1 December of the year
    year_end: str  # 1 January of the next year
    inserted: int = 0  # issues written now (0 when a retry or a reading wrote them before)


@dataclass
class ClaimInput:
    serial_id: int
    today: str


@dataclass
class ClaimsDone:
    """The claims of a day (those written by an earlier attempt of the same day included)."""

    notice_ids: list[int] = field(default_factory=list)
    next_due: str | None = None
    state: str = ACTIVE
    claimed: int = 0  # claims written by this attempt


@dataclass
class ReviewInput:
    serial_id: int
    year: int


@dataclass
class ReviewReminded:
    notice_ids: list[int] = field(default_factory=list)


@dataclass
class SerialYearClosed:
    """``next_year`` when the title goes on (confirmed for it), else None (it ended)."""

    state: str
    next_year: int | None = None
