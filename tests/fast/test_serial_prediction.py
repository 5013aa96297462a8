"""The prediction of a serial's issues for a year (issue 16), as plain functions."""

from __future__ import annotations

from datetime import date

import pytest

from workflows.serial.prediction import (
    Frequency,
    Numbering,
    PatternError,
    predict,
)


def test_a_monthly_title_is_expected_at_each_months_end_and_claimed_after_the_grace() -> None:
    issues = predict(Frequency(12), Numbering(first_year=2015, volume_start=1), 2026, 60)
    assert [i.numbers for i in issues] == [(n,) for n in range(1, 13)]
    assert {i.volume for i in issues} == {12}, "volume 1 in 2015, so 12 in 2026"
    assert issues[1].expected_on == date(2026, 2, 28)
    assert issues[11].expected_on == date(2026, 12, 31)
    assert issues[0].claim_on == date(2026, 4, 1), "31 January + 60 days"
    assert [i.seq for i in issues] == list(range(1, 13))
    assert issues[4].key == "2026:5"


def test_a_leap_year_february_ends_on_the_29th() -> None:
    issues = predict(Frequency(12), Numbering(first_year=2020), 2028, 0)
    assert issues[1].expected_on == date(2028, 2, 29)


def test_quarterly_issues_spread_over_the_year() -> None:
    issues = predict(Frequency(4), Numbering(first_year=2026), 2026, 30)
    assert [i.published_month for i in issues] == [1, 4, 7, 10]
    assert [i.expected_on for i in issues] == [
        date(2026, 1, 31),
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]


def test_a_double_issue_is_one_piece_expected_when_its_later_number_comes_out() -> None:
    frequency = Frequency(6, months=(2, 4, 6, 8, 10, 12), combined=((5, 6),))
    issues = predict(frequency, Numbering(first_year=2026), 2026, 30)
    assert [i.number_label for i in issues] == ["1", "2", "3", "4", "5/6"]
    assert issues[-1].expected_on == date(2026, 12, 31)
    assert issues[-1].key == "2026:5-6"
    assert [i.seq for i in issues] == [1, 2, 3, 4, 5]


def test_continuous_numbering_runs_on_across_years() -> None:
    numbering = Numbering(first_year=2024, restart_yearly=False, issue_start=101)
    issues = predict(Frequency(4), numbering, 2026, 30)
    assert [i.numbers for i in issues] == [(109,), (110,), (111,), (112,)]


def test_a_title_without_volumes_or_with_one_volume() -> None:
    no_volumes = predict(Frequency(1), Numbering(first_year=2000, volume_start=None), 2026, 0)
    assert no_volumes[0].volume is None
    one = Numbering(first_year=2000, volume_start=7, volume_each_year=False)
    assert predict(Frequency(2), one, 2026, 0)[1].volume == 7


def test_nothing_is_expected_before_the_first_year() -> None:
    assert predict(Frequency(12), Numbering(first_year=2027), 2026, 30) == []


@pytest.mark.parametrize(
    ("frequency", "reason"),
    [
        (Frequency(0), "issues a year must be from 1"),
        (Frequency(367), "issues a year must be from 1"),
        (Frequency(4, months=(1, 2, 3)), "3 months given for 4 issues"),
        (Frequency(2, months=(13, 14)), "a month is from 1 to 12"),
        (Frequency(2, months=(6, 3)), "in the order"),
        (Frequency(6, combined=((5,),)), "at least two numbers"),
        (Frequency(6, combined=((3, 5),)), "follow each other"),
        (Frequency(6, combined=((6, 7),)), "from 1 to 6"),
        (Frequency(6, combined=((1, 2), (2, 3))), "in two double issues"),
    ],
)
def test_a_pattern_that_describes_no_year_is_refused_with_its_reason(
    frequency: Frequency, reason: str
) -> None:
    with pytest.raises(PatternError, match=reason):
        predict(frequency, Numbering(first_year=2026), 2026, 30)


def test_every_pattern_of_up_to_weekly_gives_each_number_once_in_order() -> None:
    """Whatever the frequency, the numbers of a year are 1..n, each once, dates never back."""
    for n in range(1, 53):
        issues = predict(Frequency(n), Numbering(first_year=2026), 2026, 10)
        assert [x for i in issues for x in i.numbers] == list(range(1, n + 1))
        days = [i.expected_on for i in issues]
        assert days == sorted(days)
        assert all(d.year == 2026 for d in days)
