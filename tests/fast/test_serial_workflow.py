"""The serial exchange workflow on the time-skipping test server over whole years, its
activities replaced by doubles that keep a monthly incoming title's issues in memory and decide
with the real rules (``workflows.serial.rules``), as the database activities do.

A year: claims go out at 00:00 UTC of their days (the first on the issue's claim day, the
second ``second_claim_days`` later, never a third), a skipped issue and one received before
its claim day (the receipt's signal) are never claimed, the review reminder comes on 1
December, and at the year's end a confirmed title continues as new into the next year (where
December's missing issue is claimed) while an unconfirmed one ends. The run's history stays
small: it wakes for claims, signals, the review and the close, never daily.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from services.exchange import serial_models
from tests.fast.workflow_support import finished, time_skipping_server, until
from workflows.delivery.types import DeliveryInput, DeliveryResult, EmailsSent
from workflows.delivery.workflow import WebhookDeliveryWorkflow
from workflows.serial import rules, types
from workflows.serial.prediction import Frequency, Numbering, predict
from workflows.serial.types import (
    ACTIVE,
    CLAIMED,
    ENDED,
    EXPECTED,
    RECEIVED,
    SKIPPED,
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
    serial_workflow_id,
)
from workflows.serial.workflow import SerialExchangeWorkflow as W

CLAIM_AFTER = 20
SECOND_AFTER = 30
MONTHLY = Frequency(issues_per_year=12)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as server:
        yield server


@dataclass
class Issue:
    id: int
    key: str
    year: int
    expected_on: date
    claim_on: date
    state: str = EXPECTED
    claims: int = 0
    last_claimed_on: date | None = None


@dataclass
class Title:
    """One incoming monthly title and its issues, as the activities would find them."""

    first_year: int
    confirmed_year: int | None = None
    state: str = ACTIVE
    # The years whose issues are predicted (a second year may be left empty).
    years: set[int] = field(default_factory=set)
    issues: dict[str, Issue] = field(default_factory=dict)
    claims: list[tuple[str, int, date]] = field(default_factory=list)  # (key, n, today)
    prepared: list[int] = field(default_factory=list)
    asked: list[date] = field(default_factory=list)
    reviews: list[tuple[int, date]] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    webhooks: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    next_id: int = field(default_factory=lambda: random.randrange(10**6, 10**9))
    clock: Callable[[], datetime] | None = None
    at: list[tuple[str, datetime]] = field(default_factory=list)  # (what, server time)

    def issue(self, year: int, number: int) -> Issue:
        return self.issues[f"{year}:{number}"]

    def next_due(self) -> date | None:
        if self.state != ACTIVE:
            return None
        days = [
            d
            for i in self.issues.values()
            if (
                d := rules.next_claim_day(
                    i.state, i.claims, i.claim_on, i.last_claimed_on, SECOND_AFTER
                )
            )
            is not None
        ]
        return min(days, default=None)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="prepare_serial_year")
        async def prepare_serial_year(inp: SerialYearInput) -> SerialYear:
            self.prepared.append(inp.year)
            if inp.year in self.years and self.state == ACTIVE:
                numbering = Numbering(first_year=self.first_year)
                for e in predict(MONTHLY, numbering, inp.year, CLAIM_AFTER):
                    if e.key not in self.issues:
                        self.issues[e.key] = Issue(
                            self._id(), e.key, e.year, e.expected_on, e.claim_on
                        )
            due = self.next_due()
            return SerialYear(
                self.state,
                types.INCOMING,
                due.isoformat() if due else None,
                rules.review_day(inp.year).isoformat(),
                rules.year_end(inp.year).isoformat(),
            )

        @activity.defn(name="claim_due_issues")
        async def claim_due_issues(inp: ClaimInput) -> ClaimsDone:
            today = date.fromisoformat(inp.today)
            self.asked.append(today)
            ids: list[int] = []
            for i in self.issues.values():
                n = rules.claim_due(
                    i.state, i.claims, i.claim_on, i.last_claimed_on, SECOND_AFTER, today
                )
                if n is None or self.state != ACTIVE:
                    continue
                i.state, i.claims, i.last_claimed_on = CLAIMED, n, today
                self.claims.append((i.key, n, today))
                ids.append(self._id())
            due = self.next_due()
            return ClaimsDone(ids, due.isoformat() if due else None, self.state, len(ids))

        @activity.defn(name="remind_serial_review")
        async def remind_serial_review(inp: ReviewInput) -> ReviewReminded:
            today = activity.info().current_attempt_scheduled_time.astimezone(UTC).date()
            self.reviews.append((inp.year, today))
            return ReviewReminded([self._id()])

        @activity.defn(name="close_serial_year")
        async def close_serial_year(inp: SerialYearInput) -> SerialYearClosed:
            self.closes.append(inp.year)
            if rules.goes_on(self.state, self.confirmed_year, inp.year):
                return SerialYearClosed(self.state, inp.year + 1)
            if self.state == ACTIVE:
                self.state = ENDED
            return SerialYearClosed(self.state, None)

        @activity.defn(name="deliver_webhook")
        async def deliver_webhook(inp: DeliveryInput) -> DeliveryResult:
            assert inp.notice_id is not None
            self.webhooks.append(inp.notice_id)
            return DeliveryResult(attempts=1, already_delivered=False)

        @activity.defn(name="send_notice_emails")
        async def send_notice_emails(inp: DeliveryInput) -> EmailsSent:
            assert inp.notice_id is not None
            self.emails.append(inp.notice_id)
            return EmailsSent(sent=1, already=0)

        return [
            prepare_serial_year,
            claim_due_issues,
            remind_serial_review,
            close_serial_year,
            deliver_webhook,
            send_notice_emails,
        ]


@asynccontextmanager
async def serial_worker(env: WorkflowEnvironment, title: Title) -> AsyncIterator[str]:
    task_queue = f"fast-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[W, WebhookDeliveryWorkflow],
        activities=title.activities(),
        workflow_runner=SandboxedWorkflowRunner(),
        workflow_failure_exception_types=[Exception],
    ):
        yield task_queue


Handle = WorkflowHandle[W, SerialStatus]


async def _next_year(env: WorkflowEnvironment) -> int:
    return (await env.get_current_time()).astimezone(UTC).year + 1


async def _start(env: WorkflowEnvironment, task_queue: str, year: int) -> Handle:
    serial_id = random.randrange(10**6, 10**9)
    return await env.client.start_workflow(
        W.run,
        SerialInput(serial_id, year, retry_seconds=1.0),
        id=serial_workflow_id(serial_id),
        task_queue=task_queue,
    )


async def _skip_to(env: WorkflowEnvironment, day: date, hours: int = 12) -> None:
    """Let the server clock run on to ``hours`` UTC of ``day`` (timers fire on the way)."""
    now = await env.get_current_time()
    target = rules.midnight(day) + timedelta(hours=hours)
    assert target > now, (target, now)
    await env.sleep(target - now)


async def _receive(env: WorkflowEnvironment, handle: Handle, title: Title, issue: Issue) -> None:
    """Staff check the issue in (the database's change) and the service pokes the run."""
    issue.state = RECEIVED
    await handle.signal(W.changed, SerialChanged("receipt"))
    asked = len(title.asked)
    await until(lambda: len(title.asked) > asked, "the run asked again after the receipt")


async def _events(env: WorkflowEnvironment, handle: Handle) -> int:
    return len(await _history(env, handle))


async def _history(env: WorkflowEnvironment, handle: Handle) -> list[str]:
    """The event types of the handle's first run."""
    first = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    return [EventType.Name(e.event_type) for e in (await first.fetch_history()).events]


def test_state_names_are_the_databases() -> None:
    assert (types.ACTIVE, types.ENDED, types.CEASED) == (
        serial_models.ACTIVE,
        serial_models.ENDED,
        serial_models.CEASED,
    )
    assert (types.EXPECTED, types.CLAIMED, types.RECEIVED, types.SKIPPED) == (
        serial_models.EXPECTED,
        serial_models.CLAIMED,
        serial_models.RECEIVED,
        serial_models.SKIPPED,
    )
    answers = (types.SENT, types.NOT_YET_PUBLISHED, types.WILL_NOT_BE_PUBLISHED)
    assert (*answers, types.ANSWER_CEASED) == serial_models.ANSWERS


async def test_a_year_of_a_monthly_title_claims_on_time_and_continues_when_confirmed(
    env: WorkflowEnvironment,
) -> None:
    year = await _next_year(env)
    title = Title(first_year=year - 3, confirmed_year=year + 1, years={year})
    async with serial_worker(env, title) as task_queue:
        handle = await _start(env, task_queue, year)
        await until(lambda: title.prepared == [year], "the year prepared")
        assert len(title.issues) == 12
        title.issue(year, 3).state = SKIPPED  # staff: not published this year
        await handle.signal(W.changed, SerialChanged("edit"))
        # Most issues arrive in their month; 5 three days before its claim day.
        on_time = [1, 2, 4, 6, 8, 10]
        arrivals = [(date(year, n, 15), n) for n in on_time]
        arrivals.append((title.issue(year, 5).claim_on - timedelta(days=3), 5))
        # 7 is claimed once and arrives ten days after its claim: no second claim.
        arrivals.append((title.issue(year, 7).claim_on + timedelta(days=10), 7))
        for day, n in sorted(arrivals):
            await _skip_to(env, day)
            await _receive(env, handle, title, title.issue(year, n))
        status = await handle.query(W.status)
        assert (status.year, status.state) == (year, ACTIVE)
        second = await finished(handle, timeout=30)
        first_run = await _history(env, handle)

    # 9 is never received: two claims, never a third; 11 and 12 (December's, claimed next
    # year) as well. 3 (skipped) and the ones received before their day: never.
    i7, i9, i11, i12 = (title.issue(year, n) for n in (7, 9, 11, 12))
    assert title.claims == [
        (i7.key, 1, i7.claim_on),
        (i9.key, 1, i9.claim_on),
        (i9.key, 2, i9.claim_on + timedelta(days=SECOND_AFTER)),
        (i11.key, 1, i11.claim_on),
        (i11.key, 2, i11.claim_on + timedelta(days=SECOND_AFTER)),
        (i12.key, 1, i12.claim_on),
        (i12.key, 2, i12.claim_on + timedelta(days=SECOND_AFTER)),
    ]
    assert i11.claim_on.year == year and i12.claim_on.year == year + 1
    assert title.issue(year, 3).claims == 0 and title.issue(year, 5).claims == 0
    assert i7.state == RECEIVED and i7.claims == 1
    # The review reminder on 1 December of each year, the close of each year.
    assert title.reviews == [(year, date(year, 12, 1)), (year + 1, date(year + 1, 12, 1))]
    assert title.closes == [year, year + 1] and title.prepared == [year, year + 1]
    # Confirmed for the next year only: it continued as new into it, then ended there.
    assert (second.year, second.state, second.next_wake) == (year + 1, ENDED, None)
    await until(lambda: sorted(title.webhooks) == sorted(set(title.webhooks)), "deliveries")
    await until(lambda: len(set(title.webhooks)) == 7 + 2, "a delivery per notice")
    # Bounded: a year of 12 issues with 9 signals (8 receipts, an edit), 4 claims with their
    # deliveries, the review and the close: about 12 events a signal, 20 a claim; and one
    # timer per wake, never one a day.
    timers = first_run.count("EVENT_TYPE_TIMER_STARTED")
    assert len(first_run) < 250, f"{len(first_run)} events in a year"
    assert timers <= 9 + 4 + 2, f"{timers} timers in a year"


async def test_an_unconfirmed_title_ends_at_the_years_end(env: WorkflowEnvironment) -> None:
    year = await _next_year(env)
    title = Title(first_year=year, confirmed_year=year, years={year, year + 1})
    async with serial_worker(env, title) as task_queue:
        handle = await _start(env, task_queue, year)
        await until(lambda: title.prepared == [year], "the year prepared")
        for issue in title.issues.values():
            issue.state = RECEIVED  # every issue arrives (none is claimed)
        await handle.signal(W.changed, SerialChanged("receipt"))
        status = await finished(handle, timeout=30)
        run = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        described = await run.describe()
        events = await _events(env, handle)

    assert (status.year, status.state) == (year, ENDED)
    assert described.status == WorkflowExecutionStatus.COMPLETED, "it did not continue"
    assert title.claims == [] and title.closes == [year] and title.prepared == [year]
    assert title.reviews == [(year, date(year, 12, 1))]
    assert events < 60, f"{events} events for a year with nothing to claim"


async def test_a_title_ended_meanwhile_ends_its_run_at_the_next_wake(
    env: WorkflowEnvironment,
) -> None:
    year = await _next_year(env)
    title = Title(first_year=year, confirmed_year=year + 5, years={year})
    async with serial_worker(env, title) as task_queue:
        handle = await _start(env, task_queue, year)
        await until(lambda: title.prepared == [year], "the year prepared")
        await _skip_to(env, title.issue(year, 2).claim_on + timedelta(days=1))
        claimed = list(title.claims)
        title.state = ENDED  # the partner no longer sends it
        await handle.signal(W.changed, SerialChanged("end"))
        status = await finished(handle)

    assert status.state == ENDED and status.next_wake is None
    assert [(k, n) for k, n, _ in claimed] == [(f"{year}:1", 1), (f"{year}:2", 1)]
    assert title.claims == claimed, "nothing claimed after the end"
    assert title.closes == [], "an ended title's year is not closed again"


async def test_the_status_says_when_the_run_wakes(env: WorkflowEnvironment) -> None:
    year = await _next_year(env)
    title = Title(first_year=year, confirmed_year=year + 1, years={year})
    async with serial_worker(env, title) as task_queue:
        handle = await _start(env, task_queue, year)
        await until(lambda: title.prepared == [year], "the year prepared")
        first_claim = title.issue(year, 1).claim_on
        await until(lambda: title.asked == [] and title.prepared == [year], "settled")
        status = await handle.query(W.status)
        assert status == SerialStatus(year, ACTIVE, first_claim.isoformat())
        await handle.terminate("test over")
