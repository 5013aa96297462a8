"""Which issues of a serial to expect in a year, and by when: from its frequency and numbering.

As Koha predicts serial issues from a numbering pattern: the volume follows the year (or does
not exist), the issue number restarts every year or runs on across years, and a year may hold
double issues (two numbers published as one piece). Staff then edit what the prediction got
wrong (a skipped issue, a title that ceased); the prediction itself is a plain function of the
title's pattern and the year, so the staff pages, the API and the workflow all predict alike.

An issue is expected by the last day of the month it comes out in (a double issue: the month
of its later number, so it is never claimed before it could exist); it is claimed after that
day plus the title's grace period. Only the standard library is imported: workflow code uses
this module.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_ISSUES_PER_YEAR = 366


class PatternError(ValueError):
    """A frequency or numbering that cannot describe a year of issues; its text says why."""


@dataclass(frozen=True)
class Frequency:
    """How often the title comes out: ``issues_per_year`` numbers, in ``months`` (one month
    per number, 1-12; left out: spread evenly over the year), some ``combined`` into one piece
    (each group the numbers, 1-based within the year, that come out together)."""

    issues_per_year: int
    months: tuple[int, ...] | None = None
    combined: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class Numbering:
    """How issues are numbered. ``volume_start`` is the volume of ``first_year`` (None: the
    title has no volumes); with ``volume_each_year`` each year is the next volume. Issue
    numbers restart at 1 every year (``restart_yearly``) or run on from ``issue_start``."""

    first_year: int
    volume_start: int | None = 1
    volume_each_year: bool = True
    restart_yearly: bool = True
    issue_start: int = 1


@dataclass(frozen=True)
class ExpectedIssue:
    seq: int  # the piece's place in the year, from 1
    year: int
    volume: int | None
    numbers: tuple[int, ...]  # one, or the numbers of a double issue
    published_month: int
    expected_on: date  # the last day of the month it comes out
    claim_on: date  # expected_on plus the grace period
    key: str = field(default="")  # stable: year and numbers, e.g. "2026:5-6"

    @property
    def number_label(self) -> str:
        """The issue's number as printed: "5", or "5/6" for a double issue."""
        return "/".join(str(n) for n in self.numbers)


def month_of(frequency: Frequency, position: int) -> int:
    """The month the ``position``-th number of the year (from 1) comes out in."""
    if frequency.months is not None:
        return frequency.months[position - 1]
    return 1 + (position - 1) * 12 // frequency.issues_per_year


def check(frequency: Frequency, numbering: Numbering) -> None:
    """Raise ``PatternError`` for a pattern that describes no year of issues."""
    n = frequency.issues_per_year
    if not 1 <= n <= MAX_ISSUES_PER_YEAR:
        raise PatternError(f"issues a year must be from 1 to {MAX_ISSUES_PER_YEAR}, not {n}")
    if frequency.months is not None:
        if len(frequency.months) != n:
            raise PatternError(f"{len(frequency.months)} months given for {n} issues a year")
        if any(not 1 <= m <= 12 for m in frequency.months):
            raise PatternError("a month is from 1 to 12")
        if list(frequency.months) != sorted(frequency.months):
            raise PatternError("the months must be in the order the issues come out")
    seen: set[int] = set()
    for group in frequency.combined:
        if len(group) < 2:
            raise PatternError("a double issue combines at least two numbers")
        if list(group) != list(range(group[0], group[0] + len(group))):
            raise PatternError("a double issue combines numbers that follow each other")
        if group[0] < 1 or group[-1] > n:
            raise PatternError(f"a double issue's numbers are from 1 to {n}")
        if seen & set(group):
            raise PatternError("a number is in two double issues")
        seen |= set(group)
    if numbering.issue_start < 1:
        raise PatternError("the first issue number is at least 1")


def volume_of(numbering: Numbering, year: int) -> int | None:
    if numbering.volume_start is None:
        return None
    if not numbering.volume_each_year:
        return numbering.volume_start
    return numbering.volume_start + (year - numbering.first_year)


def predict(
    frequency: Frequency, numbering: Numbering, year: int, claim_after_days: int
) -> list[ExpectedIssue]:
    """The pieces expected in ``year``, in order; none before the title's first year."""
    check(frequency, numbering)
    if year < numbering.first_year:
        return []
    n = frequency.issues_per_year
    offset = 0 if numbering.restart_yearly else (year - numbering.first_year) * n
    first = 1 if numbering.restart_yearly else numbering.issue_start
    groups = {group[0]: group for group in frequency.combined}
    inside = {member for group in frequency.combined for member in group[1:]}
    issues: list[ExpectedIssue] = []
    for position in range(1, n + 1):
        if position in inside:
            continue
        members = groups.get(position, (position,))
        month = month_of(frequency, members[-1])
        expected = date(year, month, calendar.monthrange(year, month)[1])
        numbers = tuple(first + offset + m - 1 for m in members)
        issues.append(
            ExpectedIssue(
                seq=len(issues) + 1,
                year=year,
                volume=volume_of(numbering, year),
                numbers=numbers,
                published_month=month,
                expected_on=expected,
                claim_on=expected + timedelta(days=claim_after_days),
                key=f"{year}:{'-'.join(str(x) for x in numbers)}",
            )
        )
    return issues
