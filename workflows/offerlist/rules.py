"""The offer list's rules: when its timers fire, and which updates it takes.

Plain functions of the list's state (``OfferListState``), its input and the workflow's clock,
shared by the validators, the handlers (which ask again under their lock) and the query, so
that no Temporal server is needed to test them. A refusal raises the non-retryable
``ApplicationError`` the caller sees, its message a catalog message (``N_``) filled with its
values.

Moments are UTC: a list closes at 00:00 UTC of the day after its closing day (the closing day
is the last day a selection can be made, everywhere on Earth it is that day at some hour), and
its "closing soon" notice goes at 00:00 UTC ``closing_soon_days`` days before the closing day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from temporalio.exceptions import ApplicationError

from workflows.errors import N_
from workflows.offerlist.types import (
    CLOSED,
    ERR_INVALID_CLOSING_DAY,
    ERR_LIST_CLOSED,
    PUBLISHED,
    CloseRequest,
    ExtendRequest,
    OfferListInput,
    OfferListState,
    OfferListStatus,
)

# The timers of an open list.
CLOSING_SOON = "closing_soon"
CLOSE = "close"
# How far ahead a closing day may be set (the API's ``ClosingDay`` says the same).
MAX_DAYS_AHEAD = 366


def refuse(message: str, kind: str, **values: object) -> ApplicationError:
    """A refusal; ``message`` is a catalog message (``N_``), filled with ``values``."""
    return ApplicationError(message.format(**values), type=kind, non_retryable=True)


def parse_day(day: str) -> date:
    """A closing day as the list keeps it (ISO 8601), or the refusal a bad one gets."""
    try:
        return date.fromisoformat(day)
    except (TypeError, ValueError):
        raise refuse(
            N_("the closing day must be a date (YYYY-MM-DD), not {day}"),
            ERR_INVALID_CLOSING_DAY,
            day=repr(day),
        ) from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def close_moment(closes_on: str) -> datetime:
    """00:00 UTC of the day after the closing day: the closing day is the last one to select."""
    return _midnight(parse_day(closes_on) + timedelta(days=1))


def closing_soon_moment(closes_on: str, inp: OfferListInput) -> datetime:
    """00:00 UTC ``closing_soon_days`` before the closing day (none negative)."""
    return _midnight(parse_day(closes_on) - timedelta(days=max(inp.closing_soon_days, 0)))


def closing_notice_due(state: OfferListState, inp: OfferListInput, now: datetime) -> bool:
    """Whether a "closing soon" notice is to come: not one sent already (a list extended after
    its notice does not send another), and its moment still ahead. A list published (or moved)
    later than that moment gets none: its addressees have just heard of its day."""
    if state.closing_notice_sent:
        return False
    return closing_soon_moment(state.closes_on, inp) > now


def opened_state(inp: OfferListInput, now: datetime) -> OfferListState:
    """A list's state when its workflow starts (the list has just been published)."""
    state = OfferListState(state=PUBLISHED, closes_on=parse_day(inp.closes_on).isoformat())
    state.closing_notice_due = closing_notice_due(state, inp, now)
    return state


def next_timer(state: OfferListState, inp: OfferListInput) -> tuple[datetime, str] | None:
    """The next moment the list waits for, and what it is; None once it is closed."""
    if state.state != PUBLISHED:
        return None
    if state.closing_notice_due and not state.closing_notice_sent:
        return closing_soon_moment(state.closes_on, inp), CLOSING_SOON
    return close_moment(state.closes_on), CLOSE


def close_due(state: OfferListState, now: datetime) -> bool:
    """The closing timer's check when it fires: a day moved meanwhile moves the close."""
    return state.state == PUBLISHED and now >= close_moment(state.closes_on)


def closing_soon_due(state: OfferListState, inp: OfferListInput, now: datetime) -> bool:
    return (
        state.state == PUBLISHED
        and state.closing_notice_due
        and not state.closing_notice_sent
        and now >= closing_soon_moment(state.closes_on, inp)
    )


def require_open(state: OfferListState) -> None:
    if state.state != PUBLISHED:
        raise refuse(
            N_("the offer list is {state}: it can no longer be changed"),
            ERR_LIST_CLOSED,
            state=state.state,
        )


def check_close(state: OfferListState, req: CloseRequest) -> None:
    require_open(state)


def check_extend(state: OfferListState, req: ExtendRequest, today: date) -> date:
    """The new closing day, from today (the workflow's, in UTC) to a year ahead."""
    require_open(state)
    day = parse_day(req.closes_on)
    if day < today:
        raise refuse(
            N_("the closing day cannot be before today ({today})"),
            ERR_INVALID_CLOSING_DAY,
            today=today.isoformat(),
        )
    last = today + timedelta(days=MAX_DAYS_AHEAD)
    if day > last:
        raise refuse(
            N_("the closing day can be at most a year ahead (until {last})"),
            ERR_INVALID_CLOSING_DAY,
            last=last.isoformat(),
        )
    return day


def extended(
    state: OfferListState, inp: OfferListInput, day: date, now: datetime
) -> OfferListState:
    """The state once the closing day has moved: the timers follow it, and the closing notice
    comes for the new day only if none was sent for the old one."""
    state.closes_on = day.isoformat()
    state.extensions += 1
    state.closing_notice_due = closing_notice_due(state, inp, now)
    return state


def closed(
    state: OfferListState, actor: str, at: datetime, note: str | None, summary: dict[str, object]
) -> OfferListState:
    state.state = CLOSED
    state.closed_by = actor
    state.closed_at = at.isoformat()
    state.close_note = note
    state.summary = dict(summary)
    return state


def status(state: OfferListState, inp: OfferListInput) -> OfferListStatus:
    return OfferListStatus(list_id=inp.list_id, state=state.state, closes_on=state.closes_on)
