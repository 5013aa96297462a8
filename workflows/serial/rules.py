"""The serial exchange's rules: when an issue is claimed, what an answer to a claim does, and
when the run wakes next.

Plain functions of dates and states, shared by the workflow, its activities and the service
(``answer_claim`` applies ``apply_answer``), so that every one of them decides alike and no
Temporal server is needed to test them. Days are UTC: a claim due on a day goes out at 00:00
UTC of that day.

An issue is claimed at most twice: the first claim on its claim day (``claim_on``: expected
day plus the title's grace period), the second ``second_claim_days`` after the first unless the
sender answered. An answer "sent on ..." or "not yet published" moves the claim day on (the
issue is expected again, its claims kept for the record): when that day comes and the issue is
still missing, the next claim goes out, up to the second; never a third. A partner claims an
issue of a title we send it itself, from the day it was expected (``partner_claim_refusal``):
the service refuses by that rule and the portal offers the claim by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from workflows.serial.types import (
    ACTIVE,
    ANSWER_CEASED,
    CLAIMED,
    EXPECTED,
    NOT_YET_PUBLISHED,
    SENT,
    SKIPPED,
    WILL_NOT_BE_PUBLISHED,
)

MAX_CLAIMS = 2
OPEN_STATES = (EXPECTED, CLAIMED)
# The yearly review: staff are reminded on 1 December to confirm the title for the next year.
REVIEW_MONTH, REVIEW_DAY = 12, 1


def claim_due(
    state: str,
    claims: int,
    claim_on: date,
    last_claimed_on: date | None,
    second_claim_days: int,
    today: date,
) -> int | None:
    """The number of the claim due today (1 or 2), or None."""
    day = next_claim_day(state, claims, claim_on, last_claimed_on, second_claim_days)
    if day is None or day > today:
        return None
    return claims + 1


# Why a partner's claim is refused: the problem types of the API's answer.
NOT_OPEN = "issue-state"  # received or skipped: nothing to claim
CLAIMED_TWICE = "claimed-twice"
NOT_DUE = "not-due"  # its day has not come


def partner_claim_refusal(state: str, claims: int, expected_on: date, today: date) -> str | None:
    """Why a partner may not claim the issue today (``NOT_OPEN``, ``CLAIMED_TWICE``,
    ``NOT_DUE``), or None: it may. An issue still awaited is claimed from its expected day on
    (the day itself included), at most ``MAX_CLAIMS`` times."""
    if state not in OPEN_STATES:
        return NOT_OPEN
    if claims >= MAX_CLAIMS:
        return CLAIMED_TWICE
    if expected_on > today:
        return NOT_DUE
    return None


def next_claim_day(
    state: str,
    claims: int,
    claim_on: date,
    last_claimed_on: date | None,
    second_claim_days: int,
) -> date | None:
    """The day the issue's next claim is due (perhaps already past), or None: none is to come.

    Expected (never claimed, or answered "sent"/"not yet published" since): its claim day.
    Claimed once and not answered: ``second_claim_days`` after the first claim."""
    if claims >= MAX_CLAIMS:
        return None
    if state == EXPECTED:
        return claim_on
    if state == CLAIMED and claims == 1:
        return (last_claimed_on or claim_on) + timedelta(days=max(second_claim_days, 0))
    return None


@dataclass(frozen=True)
class AnswerEffect:
    """What an answer to a claim does: the issue's state and claim day, and whether the whole
    title ceased (its remaining open issues skipped, its run ended)."""

    state: str
    claim_on: date
    title_ceased: bool = False


def apply_answer(
    answer: str,
    *,
    claim_on: date,
    sent_on: date | None,
    today: date,
    claim_after_days: int,
) -> AnswerEffect:
    """The effect of the sender's ``answer`` on an issue whose claim day is ``claim_on``.

    "sent" (on ``sent_on``, today if not said): claimed again if still missing
    ``claim_after_days`` after it was sent; "not_yet_published": ``claim_after_days`` from
    today; "will_not_be_published": skipped; "ceased": skipped, and the title ceased."""
    grace = timedelta(days=max(claim_after_days, 0))
    if answer == SENT:
        return AnswerEffect(EXPECTED, (sent_on or today) + grace)
    if answer == NOT_YET_PUBLISHED:
        return AnswerEffect(EXPECTED, today + grace)
    if answer == WILL_NOT_BE_PUBLISHED:
        return AnswerEffect(SKIPPED, claim_on)
    if answer == ANSWER_CEASED:
        return AnswerEffect(SKIPPED, claim_on, title_ceased=True)
    raise ValueError(f"no such answer to a claim: {answer!r}")


def next_wake(open_issue_dates: list[date], review_on: date | None, year_end: date) -> date:
    """The earliest day something is due: a claim, the review (None: reminded already), or the
    year's end; never later than the year's end."""
    days = [d for d in open_issue_dates if d is not None]
    if review_on is not None:
        days.append(review_on)
    return min([*days, year_end])


def review_day(year: int) -> date:
    return date(year, REVIEW_MONTH, REVIEW_DAY)


def year_end(year: int) -> date:
    """The first day after the year: its run closes the year then."""
    return date(year + 1, 1, 1)


def midnight(day: date) -> datetime:
    """00:00 UTC of ``day``: the moment a thing due on that day is done."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def goes_on(state: str, confirmed_year: int | None, year: int) -> bool:
    """Whether a title goes on into ``year + 1`` at the end of ``year``: still active and
    confirmed for it by its yearly review."""
    return state == ACTIVE and confirmed_year is not None and confirmed_year >= year + 1
