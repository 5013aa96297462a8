"""The exchange's deadlines: when a run acts by itself next, and whether it still should.

Plain functions of the exchange's state and its ``Deadlines`` (fixed at the proposal), like
``rules``; "now" is an argument. A day-based deadline falls at midnight UTC at the end of
the day it names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from workflows.exchange.types import PROPOSED, SHIPPED, Deadlines, ExchangeState

# What a run does when a deadline falls.
REMINDER = "reminder"
EXPIRE = "expire"
CLAIM = "claim"


def midnight_after(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=UTC)


def reminder_at(d: Deadlines) -> datetime | None:
    """``reminder_days`` before the end of the day a decision is due by; None for no reminder."""
    if d.respond_by is None or d.reminder_days <= 0:
        return None
    return midnight_after(d.respond_by) - timedelta(days=d.reminder_days)


def reminder_too_late(d: Deadlines, now: datetime) -> bool:
    """A deadline so short that its reminder time has passed at the proposal."""
    reminder = reminder_at(d)
    return reminder is not None and reminder <= now


def next_deadline(state: ExchangeState, d: Deadlines) -> tuple[datetime, str] | None:
    """When the run must act by itself next, and what it does then."""
    if state.state == PROPOSED and d.respond_by is not None:
        reminder = reminder_at(d)
        if state.reminder_due and reminder is not None:
            return reminder, REMINDER
        return midnight_after(d.respond_by), EXPIRE
    if state.state == SHIPPED and state.shipped_at is not None:
        if state.overdue_claims == 0:
            return datetime.fromisoformat(state.shipped_at) + timedelta(days=d.receipt_days), CLAIM
        if state.overdue_claims == 1 and state.last_claim_at is not None:
            last = datetime.fromisoformat(state.last_claim_at)
            return last + timedelta(days=d.claim_interval_days), CLAIM
    return None


def deadline_due(state: ExchangeState, d: Deadlines, kind: str, now: datetime) -> bool:
    """Whether the deadline a timer was set for still stands (no step moved it meanwhile)."""
    current = next_deadline(state, d)
    return current is not None and current[1] == kind and current[0] <= now
