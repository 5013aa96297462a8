"""The real workflows on Temporal's time-skipping test server, with test doubles for their
activities: no database, no HTTP, and a month of deadlines passes in a moment.

The doubles are registered under the activity names the workflows schedule
(``record_step``, ``notify``, ...), so the workflow code runs unchanged; each records what it
was asked, for the tests to read. Each test module starts a test server of its own
(``time_skipping_server``, about a second) and each test a worker on a task queue of its own.
Not the session's ``skipping_env``: these tests skip years of its clock (waiting on a result
lets the server run to its next timer and beyond), and the HTTP tests on that server date
their deadlines from its clock.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from workflows.delivery.types import DeliveryInput, DeliveryResult, EmailsSent
from workflows.exchange.types import (
    Actor,
    Deadlines,
    ExchangeInput,
    LineOffer,
    NoticeInput,
    NoticeRecorded,
    RevisionRecord,
    RevisionResult,
    StepRecord,
    StepRecorded,
)
from workflows.importing.types import (
    BatchFailure,
    ChunkInput,
    ChunkProgress,
    ImportBatchInput,
    ImportBatchResult,
)
from workflows.worker import WORKFLOWS

T = TypeVar("T")

HOME = "HOME"
PARTNER = "RSL"
STAFF = Actor(HOME, "staff")
PARTNER_ACTOR = Actor(PARTNER, "partner")


@dataclass
class FakeBatch:
    """A MARC file as the import activities see it: ``total`` records, some rejected; with
    ``fault``, every chunk attempt fails with it (a database that refuses the rows, say)."""

    total: int = 5
    rejected: frozenset[int] = frozenset({2})
    fault: str | None = None

    def counts(self, upto: int) -> tuple[int, int]:
        """Imported and rejected among records 1..upto."""
        rejected = sum(1 for n in self.rejected if n <= upto)
        return upto - rejected, rejected


@dataclass
class Doubles:
    """Every activity of the three workflows, recording its calls instead of writing."""

    notices_deliver: bool = False  # notices ask for webhook delivery
    delivery_failures: int = 0  # attempts of each delivery that fail before one succeeds
    batches: dict[str, FakeBatch] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    notices: list[NoticeInput] = field(default_factory=list)
    revisions: list[RevisionRecord] = field(default_factory=list)
    deliveries: Counter[tuple[str, int]] = field(default_factory=Counter)
    emailed: Counter[tuple[str, int]] = field(default_factory=Counter)  # send_notice_emails
    chunks: list[ChunkInput] = field(default_factory=list)
    whole_imports: list[str] = field(default_factory=list)
    failed_batches: list[BatchFailure] = field(default_factory=list)

    def step_names(self, exchange_id: str) -> list[str]:
        return [s.step for s in self.steps if s.exchange_id == exchange_id]

    def events(self, exchange_id: str) -> list[str]:
        """The partner's notices (staff notices, to HOME, are checked on their own)."""
        return [n.event for n in self.notices if n.exchange_id == exchange_id and n.party != HOME]

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="record_step")
        async def record_step(record: StepRecord) -> StepRecorded:
            self.steps.append(record)
            return StepRecorded(record.seq, written=True)

        @activity.defn(name="revise_lines")
        async def revise_lines(record: RevisionRecord) -> RevisionResult:
            self.revisions.append(record)
            lines = [
                LineOffer(f"r{record.seq}-{n}", s.quantity) for n, s in enumerate(record.lines)
            ]
            return RevisionResult(lines)

        @activity.defn(name="notify")
        async def notify(notice: NoticeInput) -> NoticeRecorded:
            self.notices.append(notice)
            return NoticeRecorded(notice.seq, True, self.notices_deliver, retry_seconds=30.0)

        @activity.defn(name="deliver_webhook")
        async def deliver_webhook(inp: DeliveryInput) -> DeliveryResult:
            self.deliveries[(inp.exchange_id, inp.seq)] += 1
            attempt = activity.info().attempt
            if attempt <= self.delivery_failures:
                raise ApplicationError("the endpoint answered 503")
            return DeliveryResult(attempts=attempt, already_delivered=False)

        @activity.defn(name="send_notice_emails")
        async def send_notice_emails(inp: DeliveryInput) -> EmailsSent:
            self.emailed[(inp.exchange_id, inp.seq)] += 1
            return EmailsSent(sent=0, already=0)

        @activity.defn(name="import_chunk")
        async def import_chunk(inp: ChunkInput) -> ChunkProgress:
            self.chunks.append(inp)
            batch = self.batches.setdefault(inp.batch_id, FakeBatch())
            if batch.fault is not None:
                raise ApplicationError(batch.fault, type="OperationalError")
            upto = min(inp.start_index + inp.size - 1, batch.total)
            imported, rejected = batch.counts(upto)
            return ChunkProgress(
                next_index=upto + 1,
                next_offset=upto * 100,  # a made-up byte offset, 100 bytes a record
                done=upto >= batch.total,
                processed=upto,
                imported=imported,
                rejected=rejected,
            )

        @activity.defn(name="import_marc_batch")
        async def import_marc_batch(inp: ImportBatchInput) -> ImportBatchResult:
            self.whole_imports.append(inp.batch_id)
            batch = self.batches.setdefault(inp.batch_id, FakeBatch())
            imported, rejected = batch.counts(batch.total)
            return ImportBatchResult(inp.batch_id, "completed", batch.total, imported, rejected)

        @activity.defn(name="fail_batch")
        async def fail_batch(inp: BatchFailure) -> ChunkProgress:
            self.failed_batches.append(inp)
            return ChunkProgress(1, 0, True, 0, 0, 0, error=inp.reason)

        return [
            record_step,
            revise_lines,
            notify,
            deliver_webhook,
            send_notice_emails,
            import_chunk,
            import_marc_batch,
            fail_batch,
        ]


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    path = Path(sys.executable).parent / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path))
    try:
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def worker(
    env: WorkflowEnvironment,
    doubles: Doubles,
    *,
    sandboxed: bool = True,
    task_queue: str | None = None,
) -> AsyncIterator[str]:
    """Run every workflow with the doubles on a fresh task queue, which it yields.

    In the sandbox, as the real worker runs them. A test that ``monkeypatch``es a workflow
    module's constant (a shorter history limit) runs them unsandboxed: the sandbox imports
    workflow modules afresh and would not see the change.
    """
    task_queue = task_queue or f"fast-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=doubles.activities(),
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
        # A bug fails the workflow at once, instead of retrying its task until a test hangs.
        workflow_failure_exception_types=[Exception],
    ):
        yield task_queue


def exchange_input(
    *,
    outgoing: bool = True,
    quantities: tuple[int, ...] = (2, 1),
    partner: str = PARTNER,
    deadlines: Deadlines | None = None,
) -> ExchangeInput:
    """A proposal as the API starts it: lines l1, l2, ..., seq 1 already written."""
    sender, recipient = (HOME, PARTNER) if outgoing else (PARTNER, HOME)
    return ExchangeInput(
        exchange_id=str(uuid.uuid4()),
        sender=sender,
        recipient=recipient,
        home=HOME,
        lines=[LineOffer(f"l{n}", q) for n, q in enumerate(quantities, start=1)],
        partner=partner,
        deadlines=deadlines or Deadlines(),
    )


async def server_day(env: WorkflowEnvironment, days: int) -> str:
    """A date ``days`` ahead on the test server's clock (earlier tests have moved it on)."""
    return (await env.get_current_time() + timedelta(days=days)).date().isoformat()


async def refusal(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> ApplicationError:
    """The error an update's validator refused it with."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, arg)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.non_retryable
    return cause


async def finished(handle: WorkflowHandle[Any, T], timeout: float = 10.0) -> T:
    """The workflow's result; the server skips time meanwhile, up to its next deadline."""
    return await asyncio.wait_for(handle.result(), timeout)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait in real time for work the server runs after a timer (activities take a moment)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never happened")
        await asyncio.sleep(0.02)
