"""The exchange's deadlines: when a run acts by itself next, and whether it still should.

Plain functions of the exchange's state and its ``Deadlines`` (fixed at the proposal), like
``rules``; "now" is an argument. A day-based deadline falls at midnight UTC at the end of
the day it names.

None of them raises, whatever the input (a run's input may come from any caller, or from a
snapshot): a deadline that cannot be counted, a ``respond_by`` that names no day or whose
day is the calendar's last, a period of days that runs past the calendar, is no deadline.
A librarian would not want such a proposal expired, nor a claim sent the moment a parcel
leaves, on the strength of a number nobody meant; so the run waits for people instead
(a decision, a cancellation, a receipt) and says so once in the exchange's history, as a
``deadline`` step (``NOTE``, ``unreckonable``). A reminder that cannot be counted is
dropped, like one too late to help.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from workflows.exchange.types import PROPOSED, SHIPPED, Deadlines, ExchangeState

# What a run does when a deadline falls.
REMINDER = "reminder"
EXPIRE = "expire"
CLAIM = "claim"
NOTE = "note"  # write in the history that a deadline cannot be counted
# Which deadline could not be counted (``ExchangeState.deadline_notes``).
RESPOND_BY = "respond_by"
RECEIPT = "receipt"
CLAIM_INTERVAL = "claim_interval"
# When a note is due: at once.
_AT_ONCE = datetime.min.replace(tzinfo=UTC)


def midnight_after(day: str) -> datetime | None:
    """The end of ``day`` (midnight UTC), or None if it names no day the calendar can end."""
    try:
        return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _moment(at: str) -> datetime | None:
    """A time the run wrote down (ISO 8601; UTC if it carries no offset), or None."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _days_after(start: datetime | None, days: int) -> datetime | None:
    if start is None:
        return None
    try:
        return start + timedelta(days=days)
    except (TypeError, ValueError, OverflowError):
        return None


def reminder_at(d: Deadlines) -> datetime | None:
    """``reminder_days`` before the end of the day a decision is due by; None for no reminder."""
    if d.respond_by is None or d.reminder_days <= 0:
        return None
    end = midnight_after(d.respond_by)
    return None if end is None else _days_after(end, -d.reminder_days)


def reminder_too_late(d: Deadlines, now: datetime) -> bool:
    """A deadline so short that its reminder time has passed at the proposal."""
    reminder = reminder_at(d)
    return reminder is not None and reminder <= now


def _counted(state: ExchangeState, d: Deadlines) -> tuple[str, datetime | None] | None:
    """The deadline the state keeps, by name, and when it falls (None: it cannot be counted).
    A run started before the lifecycle rules keeps none."""
    if not state.lifecycle:
        return None
    if state.state == PROPOSED and d.respond_by is not None:
        return RESPOND_BY, midnight_after(d.respond_by)
    if state.state == SHIPPED and state.shipped_at is not None:
        if state.overdue_claims == 0:
            return RECEIPT, _days_after(_moment(state.shipped_at), d.receipt_days)
        if state.overdue_claims == 1 and state.last_claim_at is not None:
            return CLAIM_INTERVAL, _days_after(_moment(state.last_claim_at), d.claim_interval_days)
    return None


def unreckonable(state: ExchangeState, d: Deadlines) -> tuple[str, str] | None:
    """The deadline the state keeps but that cannot be counted, and the history's note on it."""
    counted = _counted(state, d)
    if counted is None or counted[1] is not None:
        return None
    name = counted[0]
    if name == RESPOND_BY:
        why = f"the decision deadline {d.respond_by!r} names no day that can be counted to"
        then = "no reminder and no expiry; the proposal waits for a decision or a cancellation"
    elif name == RECEIPT:
        why = _period_problem("the shipment", state.shipped_at, d.receipt_days, "a receipt")
        then = "no overdue claims; the exchange waits for the recipient's receipt"
    else:
        last = state.last_claim_at
        why = _period_problem("the first", last, d.claim_interval_days, "a second claim")
        then = "no second claim; the exchange waits for the recipient's receipt"
    return name, f"{why}: {then}"


def _period_problem(start_name: str, start: str | None, days: int, what: str) -> str:
    if start is None or _moment(start) is None:
        return f"the time of {start_name} ({start!r}) cannot be read"
    return f"{what} {days!r} days after {start_name} cannot be counted to"


def next_deadline(state: ExchangeState, d: Deadlines) -> tuple[datetime, str] | None:
    """When the run must act by itself next, and what it does then."""
    counted = _counted(state, d)
    if counted is None:
        return None
    name, at = counted
    if at is None:
        return None if name in state.deadline_notes else (_AT_ONCE, NOTE)
    if name != RESPOND_BY:
        return at, CLAIM
    reminder = reminder_at(d)
    if state.reminder_due and reminder is not None:
        return reminder, REMINDER
    return at, EXPIRE


def deadline_due(state: ExchangeState, d: Deadlines, kind: str, now: datetime) -> bool:
    """Whether the deadline a timer was set for still stands (no step moved it meanwhile)."""
    current = next_deadline(state, d)
    return current is not None and current[1] == kind and current[0] <= now
