"""The serial exchange's rules one by one: when a claim is due (first, second, never a third),
what each answer to a claim does, and the day the run wakes next."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflows.serial import rules
from workflows.serial.types import CLAIMED, EXPECTED, RECEIVED, SKIPPED

DAY = date(2027, 3, 2)


def test_the_first_claim_is_due_on_the_claim_day_and_not_before() -> None:
    assert rules.claim_due(EXPECTED, 0, DAY, None, 30, date(2027, 3, 1)) is None
    assert rules.claim_due(EXPECTED, 0, DAY, None, 30, DAY) == 1
    assert rules.claim_due(EXPECTED, 0, DAY, None, 30, date(2027, 5, 1)) == 1


def test_the_second_claim_comes_second_claim_days_after_the_first_and_never_a_third() -> None:
    assert rules.claim_due(CLAIMED, 1, DAY, DAY, 30, date(2027, 3, 31)) is None
    assert rules.claim_due(CLAIMED, 1, DAY, DAY, 30, date(2027, 4, 1)) == 2
    assert rules.next_claim_day(CLAIMED, 1, DAY, DAY, 30) == date(2027, 4, 1)
    assert rules.claim_due(CLAIMED, 2, DAY, date(2027, 4, 1), 30, date(2028, 1, 1)) is None
    assert rules.next_claim_day(CLAIMED, 2, DAY, date(2027, 4, 1), 30) is None


def test_received_and_skipped_issues_are_never_claimed() -> None:
    for state in (RECEIVED, SKIPPED):
        assert rules.claim_due(state, 0, DAY, None, 30, date(2030, 1, 1)) is None
        assert rules.next_claim_day(state, 1, DAY, DAY, 30) is None


def test_answers_move_the_claim_day_or_close_the_issue() -> None:
    sent = rules.apply_answer(
        "sent",
        claim_on=DAY,
        sent_on=date(2027, 3, 10),
        today=date(2027, 3, 12),
        claim_after_days=20,
    )
    assert sent == rules.AnswerEffect(EXPECTED, date(2027, 3, 30))
    # Answered after the first claim: the next claim (the second) waits for the new day.
    assert rules.claim_due(EXPECTED, 1, sent.claim_on, DAY, 30, date(2027, 3, 29)) is None
    assert rules.claim_due(EXPECTED, 1, sent.claim_on, DAY, 30, date(2027, 3, 30)) == 2
    later = rules.apply_answer(
        "not_yet_published",
        claim_on=DAY,
        sent_on=None,
        today=date(2027, 3, 12),
        claim_after_days=20,
    )
    assert later == rules.AnswerEffect(EXPECTED, date(2027, 4, 1))
    never = rules.apply_answer(
        "will_not_be_published", claim_on=DAY, sent_on=None, today=DAY, claim_after_days=20
    )
    assert never == rules.AnswerEffect(SKIPPED, DAY)
    ceased = rules.apply_answer("ceased", claim_on=DAY, sent_on=None, today=DAY, claim_after_days=2)
    assert ceased.state == SKIPPED and ceased.title_ceased
    with pytest.raises(ValueError, match="no such answer"):
        rules.apply_answer("lost", claim_on=DAY, sent_on=None, today=DAY, claim_after_days=2)


def test_the_run_wakes_at_the_earliest_thing_due_and_never_after_the_years_end() -> None:
    end = rules.year_end(2027)
    review = rules.review_day(2027)
    assert (review, end) == (date(2027, 12, 1), date(2028, 1, 1))
    assert rules.next_wake([date(2027, 5, 1), DAY], review, end) == DAY
    assert rules.next_wake([], review, end) == review
    assert rules.next_wake([], None, end) == end
    assert rules.next_wake([date(2028, 3, 1)], None, end) == end
    assert rules.midnight(DAY) == datetime(2027, 3, 2, tzinfo=UTC)


def test_a_title_goes_on_only_when_active_and_confirmed_for_the_next_year() -> None:
    assert rules.goes_on("active", 2028, 2027)
    assert not rules.goes_on("active", 2027, 2027)
    assert not rules.goes_on("active", None, 2027)
    assert not rules.goes_on("ended", 2028, 2027)
