"""The offer list workflow on the time-skipping test server, its activities replaced by doubles
registered under the names it schedules: the notices of publishing, "closing soon" and the
close at their moments, an early close and a moved closing day by update, refusals that change
nothing, and one delivery workflow per notice. Its rules are also tested one by one here; the
same flow on a full stack (real activities, real database) is ``tests/test_offer_list_closing``.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from tests.fast.workflow_support import finished, refusal, time_skipping_server, until
from workflows.delivery.types import DeliveryInput, DeliveryResult, EmailsSent, notice_workflow_id
from workflows.delivery.workflow import WebhookDeliveryWorkflow
from workflows.offerlist import rules
from workflows.offerlist import workflow as offer_list_module
from workflows.offerlist.types import (
    CLOSED,
    ERR_INVALID_CLOSING_DAY,
    ERR_LIST_CLOSED,
    PUBLISHED,
    CloseListInput,
    CloseRequest,
    ClosingDayInput,
    ClosingDaySet,
    ExtendRequest,
    ListAnnouncement,
    ListClosed,
    ListNotices,
    OfferListInput,
    OfferListState,
    OfferListStatus,
    offer_list_workflow_id,
)
from workflows.offerlist.workflow import OfferListWorkflow as W

HOME = "HOME"
ADDRESSEES = ("NLB", "RSL")


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server for this module alone (see ``workflow_support``)."""
    async with time_skipping_server() as server:
        yield server


@dataclass
class ListDoubles:
    """The list's activities, writing nothing: each records what it was asked. Notices get ids
    from a random base, because delivery workflow ids are unique on the whole test server."""

    announcements: list[ListAnnouncement] = field(default_factory=list)
    closes: list[CloseListInput] = field(default_factory=list)
    closing_days: list[ClosingDayInput] = field(default_factory=list)
    webhooks: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    notices: dict[str, list[int]] = field(default_factory=dict)
    # While set, writing the "closed" notices waits for it (to find the list closed but running).
    hold_closed: asyncio.Event | None = None
    next_id: int = field(default_factory=lambda: random.randrange(10**6, 10**9))

    def events(self) -> list[str]:
        return [a.event for a in self.announcements]

    def at(self, event: str) -> datetime:
        [when] = [datetime.fromisoformat(a.at) for a in self.announcements if a.event == event]
        return when

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="announce_offer_list")
        async def announce_offer_list(a: ListAnnouncement) -> ListNotices:
            if a.event == "closed" and self.hold_closed is not None:
                await self.hold_closed.wait()
            self.announcements.append(a)
            count = len(ADDRESSEES) + (1 if a.event == "closed" else 0)  # + staff's summary
            ids = list(range(self.next_id, self.next_id + count))
            self.next_id += count
            self.notices[a.event] = ids
            return ListNotices(ids)

        @activity.defn(name="close_offer_list")
        async def close_offer_list(c: CloseListInput) -> ListClosed:
            self.closes.append(c)
            return ListClosed({"partners": [{"code": "NLB", "items": 1, "copies": 2}]})

        @activity.defn(name="set_closing_day")
        async def set_closing_day(s: ClosingDayInput) -> ClosingDaySet:
            self.closing_days.append(s)
            return ClosingDaySet(s.list_id, s.closes_on)

        @activity.defn(name="deliver_webhook")
        async def deliver_webhook(inp: DeliveryInput) -> DeliveryResult:
            assert inp.notice_id is not None and (inp.exchange_id, inp.seq) == ("", 0)
            self.webhooks.append(inp.notice_id)
            return DeliveryResult(attempts=1, already_delivered=False)

        @activity.defn(name="send_notice_emails")
        async def send_notice_emails(inp: DeliveryInput) -> EmailsSent:
            assert inp.notice_id is not None
            self.emails.append(inp.notice_id)
            return EmailsSent(sent=1, already=0)

        return [
            announce_offer_list,
            close_offer_list,
            set_closing_day,
            deliver_webhook,
            send_notice_emails,
        ]


@asynccontextmanager
async def list_worker(
    env: WorkflowEnvironment, doubles: ListDoubles, *, sandboxed: bool = True
) -> AsyncIterator[str]:
    """The list's workflow and the delivery workflow with the doubles, on a fresh task queue;
    unsandboxed for a test that changes a workflow module's constant (see ``workflow_support``)."""
    task_queue = f"fast-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[W, WebhookDeliveryWorkflow],
        activities=doubles.activities(),
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
        workflow_failure_exception_types=[Exception],
    ):
        yield task_queue


Handle = WorkflowHandle[W, OfferListStatus]


async def _today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(UTC).date()


async def _start(env: WorkflowEnvironment, task_queue: str, closes_in_days: int) -> Handle:
    closes_on = (await _today(env) + timedelta(days=closes_in_days)).isoformat()
    list_id = str(uuid.uuid4())
    return await env.client.start_workflow(
        W.run,
        OfferListInput(list_id, closes_on, HOME, closing_soon_days=3, retry_seconds=1.0),
        id=offer_list_workflow_id(list_id),
        task_queue=task_queue,
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _on_time(at: datetime | str, moment: datetime) -> bool:
    """A timer fires at its moment, give or take the server's few milliseconds."""
    when = datetime.fromisoformat(at) if isinstance(at, str) else at
    return timedelta(0) <= when - moment < timedelta(seconds=1)


async def _delivered(env: WorkflowEnvironment, doubles: ListDoubles, ids: list[int]) -> None:
    """Each notice has its own delivery workflow, which ran to its end."""
    for notice_id in ids:
        handle = env.client.get_workflow_handle(notice_workflow_id(notice_id))
        await finished(handle)
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert sorted(doubles.webhooks) == sorted(set(doubles.webhooks)), "one delivery a notice"


async def test_a_list_announces_then_warns_then_closes_at_its_moments(
    env: WorkflowEnvironment,
) -> None:
    doubles = ListDoubles()
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=10)
        closes_on = date.fromisoformat((await handle.query(W.status)).closes_on)
        await until(lambda: doubles.events() == ["published"], "the published notices")
        assert (await handle.query(W.status)).state == PUBLISHED
        # Waiting on the result lets the server skip to each timer.
        status = await finished(handle)
        await _delivered(env, doubles, [n for ids in doubles.notices.values() for n in ids])

    assert status == OfferListStatus(handle.id.removeprefix("offer-list-"), CLOSED, str(closes_on))
    assert doubles.events() == ["published", "closing", "closed"]
    assert _on_time(doubles.at("closing"), _midnight(closes_on - timedelta(days=3)))
    [close] = doubles.closes
    assert close.actor == "system"
    assert _on_time(close.at, _midnight(closes_on + timedelta(days=1)))
    assert doubles.at("closed") >= datetime.fromisoformat(close.at)
    every_notice = sorted(n for ids in doubles.notices.values() for n in ids)
    assert len(every_notice) == 2 + 2 + 3
    assert sorted(doubles.webhooks) == every_notice and sorted(doubles.emails) == every_notice
    assert doubles.closing_days == []


async def test_a_list_published_late_gets_no_closing_soon_notice(
    env: WorkflowEnvironment,
) -> None:
    doubles = ListDoubles()
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=1)
        assert (await finished(handle)).state == CLOSED
    assert doubles.events() == ["published", "closed"]
    assert len(doubles.closes) == 1


async def test_staff_close_a_list_early_and_a_closed_list_refuses_updates(
    env: WorkflowEnvironment,
) -> None:
    doubles = ListDoubles(hold_closed=asyncio.Event())
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=20)
        await until(lambda: doubles.events() == ["published"], "the published notices")
        done = await handle.execute_update(W.close, CloseRequest("staff:anna", note="all taken"))
        assert done.state == CLOSED
        # The run is still writing its "closed" notices: the updates meet the validators.
        for update, arg in (
            (W.close, CloseRequest("staff:anna")),
            (W.extend, ExtendRequest("staff:anna", str(await _today(env) + timedelta(days=30)))),
        ):
            error = await refusal(handle, update, arg)
            assert (error.type, error.message) == (
                ERR_LIST_CLOSED,
                "the offer list is closed: it can no longer be changed",
            )
        assert doubles.hold_closed is not None
        doubles.hold_closed.set()
        assert (await finished(handle)).state == CLOSED

    assert doubles.events() == ["published", "closed"]
    [close] = doubles.closes
    assert close.actor == "staff:anna"
    assert doubles.closing_days == [], "a refused extension wrote nothing"


async def test_extending_a_list_moves_its_timers(env: WorkflowEnvironment) -> None:
    doubles = ListDoubles()
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=10)
        await until(lambda: doubles.events() == ["published"], "the published notices")
        later = await _today(env) + timedelta(days=30)
        status = await handle.execute_update(W.extend, ExtendRequest("staff:anna", str(later)))
        assert (status.state, status.closes_on) == (PUBLISHED, str(later))
        assert (await finished(handle)).closes_on == str(later)

    assert doubles.closing_days == [
        ClosingDayInput(handle.id.removeprefix("offer-list-"), str(later))
    ]
    assert doubles.events() == ["published", "closing", "closed"]
    assert _on_time(doubles.at("closing"), _midnight(later - timedelta(days=3)))
    [close] = doubles.closes
    assert _on_time(close.at, _midnight(later + timedelta(days=1)))


async def test_a_list_extended_after_its_warning_is_not_warned_again(
    env: WorkflowEnvironment,
) -> None:
    doubles = ListDoubles()
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=5)
        await env.sleep(timedelta(days=3))
        await until(lambda: "closing" in doubles.events(), "the closing soon notices")
        later = await _today(env) + timedelta(days=14)
        await handle.execute_update(W.extend, ExtendRequest("staff:anna", str(later)))
        await finished(handle)

    assert doubles.events() == ["published", "closing", "closed"]
    [close] = doubles.closes
    assert _on_time(close.at, _midnight(later + timedelta(days=1)))


async def test_an_invalid_closing_day_is_refused_and_changes_nothing(
    env: WorkflowEnvironment,
) -> None:
    doubles = ListDoubles()
    async with list_worker(env, doubles) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=10)
        before = await handle.query(W.status)
        today = await _today(env)
        refused = [
            ("2026-13-01", "the closing day must be a date (YYYY-MM-DD), not '2026-13-01'"),
            ("next week", "the closing day must be a date (YYYY-MM-DD), not 'next week'"),
            (str(today - timedelta(days=1)), f"the closing day cannot be before today ({today})"),
            (
                str(today + timedelta(days=400)),
                "the closing day can be at most a year ahead "
                f"(until {today + timedelta(days=366)})",
            ),
        ]
        for day, message in refused:
            error = await refusal(handle, W.extend, ExtendRequest("staff:anna", day))
            assert (error.type, error.message) == (ERR_INVALID_CLOSING_DAY, message)
        assert await handle.query(W.status) == before
        # Today itself is a valid last day.
        status = await handle.execute_update(W.extend, ExtendRequest("staff:anna", str(today)))
        assert status.closes_on == str(today)
        assert (await finished(handle)).state == CLOSED
    assert [c.closes_on for c in doubles.closing_days] == [str(today)]
    assert doubles.events() == ["published", "closed"], "no warning for a day moved this close"


async def test_a_long_run_continues_as_new_with_its_state(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offer_list_module, "CONTINUE_AS_NEW_AFTER_EVENTS", 25)
    doubles = ListDoubles()
    async with list_worker(env, doubles, sandboxed=False) as task_queue:
        handle = await _start(env, task_queue, closes_in_days=10)
        await until(lambda: doubles.events() == ["published"], "the published notices")
        first_run = (await handle.describe()).run_id
        today = await _today(env)
        for days in range(11, 17):
            await handle.execute_update(
                W.extend, ExtendRequest("staff", str(today + timedelta(days)))
            )
        last = today + timedelta(days=16)
        assert (await handle.query(W.status)).closes_on == str(last)
        status = await finished(handle)
        last_run = (await handle.describe()).run_id

    assert last_run != first_run, "the run continued as new"
    assert status.closes_on == str(last)
    assert doubles.events() == ["published", "closing", "closed"], (
        "published once, in the first run"
    )
    assert len(doubles.closing_days) == 6 and len(doubles.closes) == 1
    assert _on_time(doubles.at("closing"), _midnight(last - timedelta(days=3)))


# --- the rules alone --------------------------------------------------------------------


def _inp(closes_on: str = "2027-01-12", days: int = 3) -> OfferListInput:
    return OfferListInput("L1", closes_on, HOME, closing_soon_days=days)


def test_moments_are_midnights_utc() -> None:
    inp = _inp()
    assert rules.close_moment("2027-01-12") == datetime(2027, 1, 13, tzinfo=UTC)
    assert rules.closing_soon_moment("2027-01-12", inp) == datetime(2027, 1, 9, tzinfo=UTC)
    assert rules.closing_soon_moment("2027-01-12", _inp(days=-2)) == datetime(
        2027, 1, 12, tzinfo=UTC
    ), "a negative warning time counts as none"


def test_the_closing_soon_notice_comes_once_and_only_ahead_of_its_moment() -> None:
    inp = _inp()
    early = datetime(2027, 1, 1, 9, tzinfo=UTC)
    state = rules.opened_state(inp, early)
    assert state.closing_notice_due
    assert rules.next_timer(state, inp) == (datetime(2027, 1, 9, tzinfo=UTC), rules.CLOSING_SOON)
    late = rules.opened_state(inp, datetime(2027, 1, 10, tzinfo=UTC))
    assert not late.closing_notice_due
    assert rules.next_timer(late, inp) == (datetime(2027, 1, 13, tzinfo=UTC), rules.CLOSE)
    state.closing_notice_sent = True
    moved = rules.extended(state, inp, date(2027, 3, 1), early)
    assert not moved.closing_notice_due and moved.extensions == 1
    assert rules.next_timer(moved, inp) == (datetime(2027, 3, 2, tzinfo=UTC), rules.CLOSE)


def test_a_timer_that_fires_after_the_day_moved_does_nothing() -> None:
    state = OfferListState(PUBLISHED, "2027-02-01")
    assert not rules.close_due(state, datetime(2027, 1, 13, tzinfo=UTC))
    assert rules.close_due(state, datetime(2027, 2, 2, tzinfo=UTC))
    state.state = CLOSED
    assert not rules.close_due(state, datetime(2027, 2, 2, tzinfo=UTC))
    assert rules.next_timer(state, _inp()) is None


def test_a_bad_closing_day_in_the_input_is_refused() -> None:
    with pytest.raises(ApplicationError) as refused:
        rules.opened_state(_inp("12/01/2027"), datetime(2027, 1, 1, tzinfo=UTC))
    assert refused.value.type == ERR_INVALID_CLOSING_DAY and refused.value.non_retryable
