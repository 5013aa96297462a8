"""The serial exchange workflow's activities: everything that touches the database.

Each is idempotent (see ``services.exchange.service.serial_claims``): a year's issues are
written by key, a claim is a conditional UPDATE written with its keyed notice, the review's
notices are keyed, and closing a year twice answers the same. A title that does not exist is a
business error: non-retryable, no retry will find it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import serial_claims
from services.exchange.settings import Settings
from workflows.errors import ERR_NOT_FOUND
from workflows.serial import rules
from workflows.serial.types import (
    ClaimInput,
    ClaimsDone,
    ReviewInput,
    ReviewReminded,
    SerialYear,
    SerialYearClosed,
    SerialYearInput,
)


def _missing(exc: LookupError) -> ApplicationError:
    return ApplicationError(str(exc), type=ERR_NOT_FOUND, non_retryable=True)


def _day(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


class SerialActivities:
    """Bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    @activity.defn(name="prepare_serial_year")
    def prepare_serial_year(self, inp: SerialYearInput) -> SerialYear:
        """Write the year's predicted issues not there yet; the title as the year starts."""
        try:
            year = serial_claims.prepare_year(self._engine, inp.serial_id, inp.year)
        except LookupError as exc:
            raise _missing(exc) from None
        return SerialYear(
            state=year.state,
            direction=year.direction,
            next_due=_day(year.next_due),
            review_on=rules.review_day(inp.year).isoformat(),
            year_end=rules.year_end(inp.year).isoformat(),
            inserted=year.inserted,
        )

    @activity.defn(name="claim_due_issues")
    def claim_due_issues(self, inp: ClaimInput) -> ClaimsDone:
        """Claim what is due by the day; the notices to deliver and the next day one is due."""
        try:
            done = serial_claims.claim_due_issues(
                self._engine, inp.serial_id, date.fromisoformat(inp.today)
            )
        except LookupError as exc:
            raise _missing(exc) from None
        return ClaimsDone(done.notice_ids, _day(done.next_due), done.state, done.claimed)

    @activity.defn(name="remind_serial_review")
    def remind_serial_review(self, inp: ReviewInput) -> ReviewReminded:
        try:
            ids = serial_claims.remind_review(
                self._engine, inp.serial_id, inp.year, self._settings.home_code
            )
        except LookupError as exc:
            raise _missing(exc) from None
        return ReviewReminded(ids)

    @activity.defn(name="close_serial_year")
    def close_serial_year(self, inp: SerialYearInput) -> SerialYearClosed:
        try:
            state, next_year = serial_claims.close_year(self._engine, inp.serial_id, inp.year)
        except LookupError as exc:
            raise _missing(exc) from None
        return SerialYearClosed(state=state, next_year=next_year)
