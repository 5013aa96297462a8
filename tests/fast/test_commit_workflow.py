"""The commit and undo workflows on the time-skipping test server, their chunk activities
replaced by doubles over a made-up batch: the chunk loops (forwards for a commit, backwards
for an undo), continue-as-new, a chunk out of attempts ending the batch failed, and an
exchange that becomes catalogued only when a batch of it is committed (``COMMIT_PATCH``),
counting each batch once. The activities on a real database are tested in
``test_service_staging``, the whole path through the API in ``test_staged_import``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.fast.workflow_support import (
    PARTNER_ACTOR,
    STAFF,
    Doubles,
    FakeBatch,
    exchange_input,
    finished,
    time_skipping_server,
    until,
    worker,
)
from workflows.committing import workflow as commit_module
from workflows.committing.types import (
    BATCH_COMMITTED_SIGNAL,
    COMMIT,
    BatchCommitted,
    CommitChunkInput,
    CommitFailure,
    CommitInput,
    CommitProgress,
)
from workflows.committing.workflow import CommitWorkflow, UndoWorkflow
from workflows.exchange.types import (
    COMPLETED,
    RECEIVED,
    AttachMarcInput,
    DecisionInput,
    LineQuantity,
    ReceiptInput,
    ReceivedLine,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server for this module alone (see ``workflow_support``)."""
    async with time_skipping_server() as server:
        yield server


@dataclass
class CommitDoubles(Doubles):
    """The import doubles, and a commit and an undo over batches of ``totals`` records that
    put every record in the catalogue (or fail every attempt, with ``fault``)."""

    totals: dict[str, int] = field(default_factory=dict)
    fault: str | None = None
    commit_chunks: list[CommitChunkInput] = field(default_factory=list)
    undo_chunks: list[CommitChunkInput] = field(default_factory=list)
    failures: list[CommitFailure] = field(default_factory=list)

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="commit_chunk")
        async def commit_chunk(inp: CommitChunkInput) -> CommitProgress:
            self.commit_chunks.append(inp)
            if self.fault is not None:
                raise ApplicationError(self.fault, type="OperationalError")
            total = self.totals[inp.batch_id]
            last = min((inp.start_position or 1) + inp.size - 1, total)
            state = "committed" if last >= total else "committing"
            return CommitProgress(last + 1, last >= total, last, total, last, state)

        @activity.defn(name="undo_chunk")
        async def undo_chunk(inp: CommitChunkInput) -> CommitProgress:
            self.undo_chunks.append(inp)
            total = self.totals[inp.batch_id]
            top = total if inp.start_position is None else inp.start_position
            bottom = max(top - inp.size + 1, 1)
            state = "undone" if bottom <= 1 else "undoing"
            undone = total - bottom + 1
            return CommitProgress(bottom - 1, bottom <= 1, undone, total, undone, state)

        @activity.defn(name="fail_commit")
        async def fail_commit(inp: CommitFailure) -> CommitProgress:
            self.failures.append(inp)
            return CommitProgress(1, True, 0, 0, 0, "failed", error=inp.reason)

        return [*super().activities(), commit_chunk, undo_chunk, fail_commit]


def _commit(doubles: CommitDoubles, total: int, **fields: Any) -> CommitInput:
    batch_id = str(uuid.uuid4())
    doubles.totals[batch_id] = total
    return CommitInput(batch_id, actor="staff:cat", chunk_size=2, heartbeat_seconds=30.0, **fields)


async def test_a_commit_goes_forwards_and_an_undo_backwards_chunk_by_chunk(
    env: WorkflowEnvironment,
) -> None:
    doubles = CommitDoubles()
    inp = _commit(doubles, total=5)
    async with worker(env, doubles) as task_queue:
        done = await finished(
            await env.client.start_workflow(
                CommitWorkflow.run, inp, id=f"commit-{inp.batch_id}", task_queue=task_queue
            )
        )
        undone = await finished(
            await env.client.start_workflow(
                UndoWorkflow.run, inp, id=f"undo-{inp.batch_id}", task_queue=task_queue
            )
        )
    assert (done.state, done.processed, done.records) == ("committed", 5, 5)
    assert [c.start_position for c in doubles.commit_chunks] == [None, 3, 5]
    assert {(c.size, c.actor) for c in doubles.commit_chunks} == {(2, "staff:cat")}
    assert (undone.state, undone.processed) == ("undone", 5)
    assert [c.start_position for c in doubles.undo_chunks] == [None, 3, 1], "5-4, 3-2, 1"


async def test_a_long_commit_continues_as_new_from_the_next_chunk(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commit_module, "CONTINUE_AS_NEW_AFTER_EVENTS", 12)
    doubles = CommitDoubles()
    inp = _commit(doubles, total=20)
    async with worker(env, doubles, sandboxed=False) as task_queue:
        handle = await env.client.start_workflow(
            CommitWorkflow.run, inp, id=f"commit-{inp.batch_id}", task_queue=task_queue
        )
        done = await finished(handle)
        first = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert (done.state, done.processed) == ("committed", 20)
    assert [c.start_position or 1 for c in doubles.commit_chunks] == list(range(1, 21, 2))


async def test_a_chunk_that_keeps_failing_ends_the_commit_failed_with_the_reason(
    env: WorkflowEnvironment,
) -> None:
    doubles = CommitDoubles(fault="the database refused the rows")
    inp = _commit(doubles, total=5, chunk_attempts=3)
    async with worker(env, doubles) as task_queue:
        done = await finished(
            await env.client.start_workflow(
                CommitWorkflow.run, inp, id=f"commit-{inp.batch_id}", task_queue=task_queue
            )
        )
    reason = "the commit stopped: OperationalError: the database refused the rows"
    assert (done.state, done.error) == ("failed", reason)
    assert len(doubles.commit_chunks) == 3, "three attempts, then no more"
    assert [(f.batch_id, f.kind, f.reason) for f in doubles.failures] == [
        (inp.batch_id, COMMIT, reason)
    ]


async def test_an_exchange_is_catalogued_when_its_batch_is_committed_not_when_staged(
    env: WorkflowEnvironment,
) -> None:
    doubles = CommitDoubles()
    batch_id = str(uuid.uuid4())
    doubles.batches[batch_id] = FakeBatch(total=5, rejected=frozenset({2}))
    doubles.totals[batch_id] = 5
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(outgoing=False, quantities=(1,))  # the partner sends to us
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            ExchangeWorkflow.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        accept = DecisionInput(STAFF, accept=[LineQuantity("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.decide, accept)
        await handle.execute_update(ExchangeWorkflow.ship, ShipmentInput(PARTNER_ACTOR, "EMS"))
        attach = AttachMarcInput(PARTNER_ACTOR, batch_id, chunk_size=2, heartbeat_seconds=30.0)
        await handle.execute_update(ExchangeWorkflow.attach_marc, attach)
        await until(lambda: "marc_staged" in doubles.step_names(ex), "the staging")
        receipt = ReceiptInput(STAFF, [ReceivedLine("l1", 1)])
        status = await handle.execute_update(ExchangeWorkflow.receive, receipt)
        assert status.state == RECEIVED, "staged records do not catalogue it"
        assert (await handle.query(ExchangeWorkflow.status)).state == RECEIVED

        commit = CommitInput(batch_id, actor="staff:cat", exchange_id=ex, chunk_size=2)
        await finished(
            await env.client.start_workflow(
                CommitWorkflow.run, commit, id=f"commit-{batch_id}", task_queue=task_queue
            )
        )
        outcome = await finished(handle)

    assert outcome.state == COMPLETED
    assert doubles.step_names(ex) == [
        "accept",
        "ship",
        "marc_uploaded",
        "marc_staged",
        "receive",
        "marc_committed",
        "catalogue",
        "complete",
    ]
    staged = next(s for s in doubles.steps if s.step == "marc_staged")
    assert staged.note == f"batch {batch_id}: 5 records staged for review, 1 rejected"
    committed = next(s for s in doubles.steps if s.step == "marc_committed")
    assert (committed.note, committed.actor) == (
        f"batch {batch_id}: 5 records committed",
        "staff:cat",
    )
    catalogue = next(s for s in doubles.steps if s.step == "catalogue")
    assert catalogue.note == "5 records in the catalogue"
    assert "marc_ready" not in doubles.events(ex), "the partner uploaded them itself"


async def test_a_batch_committed_twice_is_counted_once(env: WorkflowEnvironment) -> None:
    doubles = CommitDoubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(outgoing=False, quantities=(1,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            ExchangeWorkflow.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        for _ in range(2):
            await handle.signal(BATCH_COMMITTED_SIGNAL, BatchCommitted("b-1", 3, "staff:cat"))
        await handle.signal(BATCH_COMMITTED_SIGNAL, BatchCommitted("b-2", 1, "staff:cat"))
        await until(
            lambda: doubles.step_names(ex).count("marc_committed") == 2, "both batches counted"
        )
        # The notice activity runs after the step's; wait for it too, or the count races.
        await until(
            lambda: (
                [n.event for n in doubles.notices if n.exchange_id == ex].count("marc_ready") >= 2
            ),
            "both batches announced",
        )
        state = await handle.query(ExchangeWorkflow.status)
        await handle.terminate("done with it")
    assert state.state == "proposed", "committed records do not move a proposal"
    notes = [s.note for s in doubles.steps if s.step == "marc_committed"]
    assert notes == ["batch b-1: 3 records committed", "batch b-2: 1 record committed"]
    assert [n.event for n in doubles.notices if n.exchange_id == ex].count("marc_ready") == 2


async def test_a_commit_whose_exchange_has_ended_still_completes(
    env: WorkflowEnvironment,
) -> None:
    doubles = CommitDoubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(outgoing=False, quantities=(1,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            ExchangeWorkflow.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        await handle.terminate("gone")
        commit = _commit(doubles, total=3, exchange_id=ex)
        done = await finished(
            await env.client.start_workflow(
                CommitWorkflow.run, commit, id=f"commit-{commit.batch_id}", task_queue=task_queue
            )
        )
    assert (done.state, done.records) == ("committed", 3)
    assert "marc_committed" not in doubles.step_names(ex)
