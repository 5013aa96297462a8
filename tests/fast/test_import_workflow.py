"""The import workflow on the time-skipping test server, its chunk activity replaced by a
double over a made-up file: the chunk loop, continue-as-new for a long file, an exchange
importing an attached batch through it (``IMPORT_PATCH``), a chunk that keeps failing ending
its batch failed after its attempts (``CHUNK_FAILURE_PATCH``), and an exchange going on when
its import child is terminated (``IMPORT_FAILURE_PATCH``). The import only stages a batch; an
exchange is catalogued when its commit says so (``COMMIT_PATCH``, ``test_commit_workflow``).
The activity on a real database is tested in ``test_service_imports``, the whole path
through the API in ``test_import``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import WorkflowExecutionStatus
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
from workflows.committing.types import BatchCommitted
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
from workflows.importing import workflow as import_module
from workflows.importing.types import ImportBatchResult, ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server for this module alone (see ``workflow_support``)."""
    async with time_skipping_server() as server:
        yield server


def _batch(doubles: Doubles, total: int, rejected: frozenset[int] = frozenset({2})) -> str:
    batch_id = str(uuid.uuid4())
    doubles.batches[batch_id] = FakeBatch(total, rejected)
    return batch_id


async def test_a_batch_is_read_chunk_by_chunk_until_done(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    batch_id = _batch(doubles, total=5)
    async with worker(env, doubles) as task_queue:
        handle = await env.client.start_workflow(
            ImportWorkflow.run,
            ImportInput(batch_id, chunk_size=2),
            id=import_workflow_id(batch_id),
            task_queue=task_queue,
        )
        result = await finished(handle)
    assert result == ImportBatchResult(batch_id, "completed", total=5, imported=4, rejected=1)
    # Each chunk starts where the one before it stopped, by record and by byte.
    assert [(c.start_index, c.start_offset, c.size) for c in doubles.chunks] == [
        (1, 0, 2),
        (3, 200, 2),
        (5, 400, 2),
    ]


async def test_a_long_file_continues_as_new_from_the_next_chunk(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_module, "CONTINUE_AS_NEW_AFTER_EVENTS", 12)
    doubles = Doubles()
    batch_id = _batch(doubles, total=20, rejected=frozenset({7, 19}))
    async with worker(env, doubles, sandboxed=False) as task_queue:
        handle = await env.client.start_workflow(
            ImportWorkflow.run,
            ImportInput(batch_id, chunk_size=2, heartbeat_seconds=30.0),
            id=import_workflow_id(batch_id),
            task_queue=task_queue,
        )
        result = await finished(handle)
        first = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
        last = await handle.describe()
    assert last.run_id != handle.result_run_id
    assert result == ImportBatchResult(batch_id, "completed", total=20, imported=18, rejected=2)
    # Every chunk once, in order, across the runs; the settings travel to each run.
    assert [c.start_index for c in doubles.chunks] == list(range(1, 21, 2))
    assert {c.size for c in doubles.chunks} == {2}


async def test_an_exchange_imports_an_attached_batch_by_a_child_workflow(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    batch_id = _batch(doubles, total=5)
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
        await until(lambda: "marc_staged" in doubles.step_names(ex), "the import")
        receipt = ReceiptInput(STAFF, [ReceivedLine("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.receive, receipt)
        # Staged, so still received; the commit workflow's signal catalogues it.
        assert (await handle.query(ExchangeWorkflow.status)).state == RECEIVED
        await handle.signal(ExchangeWorkflow.batch_committed, BatchCommitted(batch_id, 4, "staff"))
        outcome = await finished(handle)
        child = env.client.get_workflow_handle(import_workflow_id(batch_id))
        assert (await child.describe()).status == WorkflowExecutionStatus.COMPLETED

    assert outcome.state == COMPLETED and outcome.batches == [batch_id]
    assert doubles.whole_imports == [], "new runs import in chunks, not in one activity"
    assert [c.start_index for c in doubles.chunks] == [1, 3, 5]
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
    imported = next(s for s in doubles.steps if s.step == "marc_staged")
    assert imported.note == f"batch {batch_id}: 5 records staged for review, 1 rejected"
    catalogue = next(s for s in doubles.steps if s.step == "catalogue")
    assert catalogue.note == "4 records in the catalogue"
    # The partner uploaded the records itself, so it is not told they are ready.
    assert "marc_ready" not in doubles.events(ex)


async def test_a_chunk_that_keeps_failing_ends_its_batch_failed_with_the_reason(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    batch_id = str(uuid.uuid4())
    doubles.batches[batch_id] = FakeBatch(total=5, fault="the database refused the rows")
    async with worker(env, doubles) as task_queue:
        handle = await env.client.start_workflow(
            ImportWorkflow.run,
            ImportInput(batch_id, chunk_size=2, chunk_attempts=3),
            id=import_workflow_id(batch_id),
            task_queue=task_queue,
        )
        result = await finished(handle)
    reason = (
        "the import stopped at record 1 after 3 attempts: "
        "OperationalError: the database refused the rows"
    )
    assert result == ImportBatchResult(batch_id, "failed", 0, 0, 0, error=reason)
    assert len(doubles.chunks) == 3, "three attempts, then no more"
    assert [(f.batch_id, f.reason) for f in doubles.failed_batches] == [(batch_id, reason)]


async def test_an_exchange_goes_on_when_its_import_child_is_terminated(
    temporal_env: WorkflowEnvironment,
) -> None:
    """On the session's dev server: the time-skipping server never tells a parent that its
    child was terminated."""
    env = temporal_env
    doubles = Doubles()
    batch_id = str(uuid.uuid4())
    doubles.batches[batch_id] = FakeBatch(total=5, fault="the database refused the rows")
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(1,))  # we send; the partner's receipt completes it
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            ExchangeWorkflow.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        accept = DecisionInput(PARTNER_ACTOR, accept=[LineQuantity("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.decide, accept)
        await handle.execute_update(ExchangeWorkflow.ship, ShipmentInput(STAFF, "EMS"))
        attach = AttachMarcInput(STAFF, batch_id, chunk_attempts=1000)
        await handle.execute_update(ExchangeWorkflow.attach_marc, attach)
        await until(lambda: len(doubles.chunks) >= 2, "the chunk's retries")  # 1 s apart
        child = env.client.get_workflow_handle(import_workflow_id(batch_id))
        await child.terminate("stuck")
        await until(lambda: "marc_staged" in doubles.step_names(ex), "the failure's note")
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.receive, receipt)
        outcome = await finished(handle)

    assert outcome.state == COMPLETED and outcome.batches == [batch_id]
    reason = "the import did not finish: the import workflow was terminated"
    assert [(f.batch_id, f.reason) for f in doubles.failed_batches] == [(batch_id, reason)]
    imported = next(s for s in doubles.steps if s.step == "marc_staged")
    assert imported.note == f"batch {batch_id} failed: {reason}"
    assert "marc_ready" not in doubles.events(ex), "nothing was imported to announce"
