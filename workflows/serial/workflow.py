"""The serial exchange workflow: one run per title and year, waking only when something is due.

A run writes its year's predicted issues (``prepare_serial_year``), then sleeps on one durable
timer until the next thing due: the earliest claim of an issue still missing (00:00 UTC of its
day), the yearly review reminder (1 December) or the year's end. A ``serial_changed`` signal,
which the service sends after every change that may move those days (a receipt, an edit, an
answer, a review, an end), cuts the sleep short and the run asks the database again. The
database is the truth: the run only times things, and each wake's activity decides from the
rows what is due (``claim_due_issues``: conditional UPDATEs, one keyed notice per claim). The
claims' notices are delivered by one delivery workflow each, started as abandoned children
(a partner's webhook may take days), as the offer list does.

At the year's end a title confirmed for the next year continues as new into it; any other ends
(``close_serial_year`` ends it: not confirmed). A title ended or ceased meanwhile ends the run at
its next wake. The history is bounded by the year: a few wakes per issue (its claims, the
signals of its receipt or answer), the review and the close; a run that still grows long (a
flood of signals) continues as new within its year, its review reminder remembered.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.delivery.types import DeliveryInput, notice_workflow_id
from workflows.delivery.workflow import WebhookDeliveryWorkflow
from workflows.errors import ERR_INVALID_REQUEST, ERR_NOT_FOUND
from workflows.serial import rules
from workflows.serial.types import (
    ACTIVE,
    SIGNAL_CHANGED,
    WORKFLOW_NAME,
    ClaimInput,
    ClaimsDone,
    ReviewInput,
    ReviewReminded,
    SerialChanged,
    SerialInput,
    SerialStatus,
    SerialYear,
    SerialYearClosed,
    SerialYearInput,
)

ACTIVITY_TIMEOUT = timedelta(seconds=60)
_NON_RETRYABLE = [ERR_NOT_FOUND, ERR_INVALID_REQUEST]
# Worth hours of retries (the database down) before the run puts the thing off.
_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=25,
    non_retryable_error_types=_NON_RETRYABLE,
)
# A wake whose activity failed after all its attempts is tried again this much later.
TRY_AGAIN_AFTER = timedelta(hours=1)
CONTINUE_AS_NEW_AFTER_EVENTS = 2_000
GONE = "gone"  # the status of a run whose title does not exist


@workflow.defn(name=WORKFLOW_NAME)
class SerialExchangeWorkflow:
    @workflow.init
    def __init__(self, inp: SerialInput) -> None:
        self._inp = inp
        self._state = ACTIVE
        self._reminded = inp.reminded
        self._next_due: date | None = None
        self._next_wake: date | None = None
        self._pokes = 0  # signals received
        self._asked = 0  # signals received when the run last asked the database
        self._done = False

    @workflow.run
    async def run(self, inp: SerialInput) -> SerialStatus:
        year = await self._prepare()
        if year is None:
            self._state, self._done = GONE, True
            return self.status()
        self._state = year.state
        self._next_due = _parse(year.next_due)
        review_on, year_end = date.fromisoformat(year.review_on), date.fromisoformat(year.year_end)
        while self._state == ACTIVE:
            today = self._today()
            if today >= year_end:
                break
            if not self._reminded and today >= review_on:
                await self._remind()
                continue
            if self._next_due is not None and self._next_due <= today:
                if not await self._claim(today):
                    await self._sleep_until(self._now() + TRY_AGAIN_AFTER)
                continue
            if _history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(replace(inp, reminded=self._reminded))
            wake = rules.next_wake(
                [self._next_due] if self._next_due else [],
                None if self._reminded else review_on,
                year_end,
            )
            self._next_wake = wake
            if await self._sleep_until(rules.midnight(wake)):
                await self._claim(self._today())  # ask again: something changed
        if self._state == ACTIVE:
            closed = await self._close(year_end)
            self._state = closed.state
            if closed.next_year is not None:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    replace(inp, year=closed.next_year, reminded=False),
                )
        self._done = True
        self._next_wake = None
        return self.status()

    @workflow.signal(name=SIGNAL_CHANGED)
    def changed(self, change: SerialChanged) -> None:
        self._pokes += 1

    @workflow.query
    def status(self) -> SerialStatus:
        wake = None if self._done or self._next_wake is None else self._next_wake.isoformat()
        return SerialStatus(year=self._inp.year, state=self._state, next_wake=wake)

    # --- the clock --------------------------------------------------------------------------

    def _now(self) -> datetime:
        return workflow.now() + timedelta(seconds=self._inp.clock_offset_seconds)

    def _today(self) -> date:
        return self._now().date()

    async def _sleep_until(self, at: datetime) -> bool:
        """A durable timer until ``at``, cut short by a signal; True if a signal came."""
        if self._pokes != self._asked:
            return True  # a signal came while an activity ran
        remaining = (at - self._now()).total_seconds()
        if remaining <= 0:
            return False
        try:
            await workflow.wait_condition(lambda: self._pokes != self._asked, timeout=remaining)
        except TimeoutError:
            return False
        return True

    # --- the activities ---------------------------------------------------------------------

    async def _prepare(self) -> SerialYear | None:
        try:
            return await workflow.execute_activity(
                "prepare_serial_year",
                SerialYearInput(self._inp.serial_id, self._inp.year),
                result_type=SerialYear,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=_RETRY,
            )
        except ActivityError as error:
            if getattr(error.cause, "type", None) == ERR_NOT_FOUND:
                workflow.logger.warning("serial %s: no such title", self._inp.serial_id)
                return None
            raise

    async def _claim(self, today: date) -> bool:
        """Claim what is due (and learn the next day one is, and the title's state); False if
        the database could not be reached after all the attempts."""
        self._asked = self._pokes
        try:
            done = await workflow.execute_activity(
                "claim_due_issues",
                ClaimInput(self._inp.serial_id, today.isoformat()),
                result_type=ClaimsDone,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning(
                "serial %s: claims not written, again in %s: %s",
                self._inp.serial_id,
                TRY_AGAIN_AFTER,
                error.cause or error,
            )
            return False
        self._state = done.state
        due = _parse(done.next_due)
        # The activity claims everything due by today; a day not after it would wake at once.
        self._next_due = due if due is None or due > today else today + timedelta(days=1)
        await self._deliver(done.notice_ids)
        return True

    async def _remind(self) -> None:
        try:
            reminded = await workflow.execute_activity(
                "remind_serial_review",
                ReviewInput(self._inp.serial_id, self._inp.year),
                result_type=ReviewReminded,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=_RETRY,
            )
        except ActivityError as error:  # the year goes on without it
            workflow.logger.warning(
                "serial %s: the review reminder was not written: %s",
                self._inp.serial_id,
                error.cause or error,
            )
            self._reminded = True
            return
        self._reminded = True
        await self._deliver(reminded.notice_ids)

    async def _close(self, year_end: date) -> SerialYearClosed:
        """Close the year; a database away for hours is tried again an hour later, and so on:
        the close decides whether the title goes on, it cannot be skipped."""
        while True:
            try:
                return await workflow.execute_activity(
                    "close_serial_year",
                    SerialYearInput(self._inp.serial_id, self._inp.year),
                    result_type=SerialYearClosed,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=_RETRY,
                )
            except ActivityError as error:
                if getattr(error.cause, "type", None) == ERR_NOT_FOUND:
                    return SerialYearClosed(state=GONE)
                workflow.logger.warning(
                    "serial %s: year %s not closed, again in %s: %s",
                    self._inp.serial_id,
                    self._inp.year,
                    TRY_AGAIN_AFTER,
                    error.cause or error,
                )
                await workflow.sleep(TRY_AGAIN_AFTER)

    async def _deliver(self, notice_ids: list[int]) -> None:
        """One delivery workflow per notice, all started in one workflow task, each abandoned
        (its retries outlive this run); one started before (a retried day) is left to go on."""
        starts = [
            workflow.start_child_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryInput("", 0, self._inp.retry_seconds, notice_id=notice_id),
                id=notice_workflow_id(notice_id),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
            for notice_id in notice_ids
        ]
        for outcome in await asyncio.gather(*starts, return_exceptions=True):
            if isinstance(outcome, WorkflowAlreadyStartedError):
                continue
            if isinstance(outcome, BaseException):
                raise outcome


def _parse(day: str | None) -> date | None:
    return date.fromisoformat(day) if day else None


def _history_is_long() -> bool:
    info = workflow.info()
    return (
        info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
        or info.is_continue_as_new_suggested()
    )
