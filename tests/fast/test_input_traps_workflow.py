"""No input makes a workflow fail its task: each is started directly (as a future caller or a
continue-as-new snapshot would, past the API's own bounds) with what no computation can take,
and it keeps answering queries and updates, records why it cannot keep a deadline, and can
still be ended by people. Runs on the time-skipping server with the activity doubles, whose
worker fails the workflow (not just its task) on any exception, so a trap shows at once.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.fast.workflow_support import (
    PARTNER,
    PARTNER_ACTOR,
    STAFF,
    Doubles,
    FakeBatch,
    exchange_input,
    finished,
    refusal,
    server_day,
    time_skipping_server,
    until,
    worker,
)
from workflows.delivery.types import DeliveryInput, DeliveryResult
from workflows.delivery.workflow import WebhookDeliveryWorkflow, delivery_workflow_id
from workflows.errors import ERR_INVALID_REQUEST
from workflows.exchange import rules
from workflows.exchange.types import (
    CANCELLED,
    COMPLETED,
    EXPIRED,
    PROPOSED,
    SHIPPED,
    ActionsQuery,
    AttachMarcInput,
    CancelInput,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    ExchangeOutcome,
    LineQuantity,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow as W
from workflows.importing.types import ImportBatchResult, ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id

Handle = WorkflowHandle[W, ExchangeOutcome]


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server for this module alone (see ``workflow_support``)."""
    async with time_skipping_server() as server:
        yield server


async def _start(env: WorkflowEnvironment, task_queue: str, inp: ExchangeInput) -> Handle:
    return await env.client.start_workflow(
        W.run, inp, id=workflow_id(inp.exchange_id), task_queue=task_queue
    )


def _accept_all(inp: ExchangeInput) -> DecisionInput:
    return DecisionInput(
        PARTNER_ACTOR, accept=[LineQuantity(x.line_id, x.quantity) for x in inp.lines]
    )


def _notes(doubles: Doubles, exchange_id: str, step: str) -> list[str | None]:
    return [s.note for s in doubles.steps if s.exchange_id == exchange_id and s.step == step]


@pytest.mark.parametrize(
    "respond_by",
    ["9999-12-31", "2026-02-30", "next week", "\x00"],
    ids=["last-day-of-the-calendar", "no-such-day", "not-a-date", "nul"],
)
async def test_a_decision_deadline_that_cannot_be_counted_leaves_the_proposal_to_people(
    env: WorkflowEnvironment, respond_by: str
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(deadlines=Deadlines(respond_by=respond_by))
        ex = inp.exchange_id
        handle = await _start(env, task_queue, inp)
        await until(lambda: doubles.step_names(ex) == ["deadline"], "the deadline's note")
        # Queries, refusals and steps all still answer.
        assert (await handle.query(W.status)).state == PROPOSED
        assert (await handle.query(W.actions, ActionsQuery(PARTNER))).actions == [
            "decide",
            "cancel",
            "upload_marc",
        ]
        error = await refusal(handle, W.decide, DecisionInput(PARTNER_ACTOR, accept=[]))
        assert error.type == ERR_INVALID_REQUEST
        cancel = CancelInput(STAFF, reason="the partner asked us to withdraw it")
        assert (await handle.execute_update(W.cancel, cancel)).state == CANCELLED
        assert (await finished(handle)).state == CANCELLED

    # The cancel step is what releases the reserved copies (``record_step``).
    assert doubles.step_names(ex) == ["deadline", "cancel"]
    [note] = _notes(doubles, ex, "deadline")
    assert note == (
        f"the decision deadline {respond_by!r} names no day that can be counted to: "
        "no reminder and no expiry; the proposal waits for a decision or a cancellation"
    )
    assert doubles.events(ex) == ["proposal", "cancellation"]


async def test_a_reminder_that_cannot_be_counted_is_dropped_and_the_expiry_stands(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        respond_by = await server_day(env, days=5)
        inp = exchange_input(deadlines=Deadlines(respond_by=respond_by, reminder_days=10**9))
        handle = await _start(env, task_queue, inp)
        assert (await finished(handle)).state == EXPIRED
    assert doubles.step_names(inp.exchange_id) == ["expire"]


@pytest.mark.parametrize(
    ("deadlines", "note"),
    [
        (
            Deadlines(receipt_days=10**9),
            "a receipt 1000000000 days after the shipment cannot be counted to: "
            "no overdue claims; the exchange waits for the recipient's receipt",
        ),
        (
            Deadlines(receipt_days=3_000_000),  # a timedelta, but past the year 9999
            "a receipt 3000000 days after the shipment cannot be counted to: "
            "no overdue claims; the exchange waits for the recipient's receipt",
        ),
    ],
    ids=["beyond-timedelta", "beyond-the-calendar"],
)
async def test_a_receipt_deadline_that_cannot_be_counted_raises_no_claims(
    env: WorkflowEnvironment, deadlines: Deadlines, note: str
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(1,), deadlines=deadlines)
        ex = inp.exchange_id
        handle = await _start(env, task_queue, inp)
        await handle.execute_update(W.decide, _accept_all(inp))
        assert (await handle.execute_update(W.ship, ShipmentInput(STAFF, "EMS"))).state == SHIPPED
        await until(lambda: "deadline" in doubles.step_names(ex), "the deadline's note")
        assert (await handle.query(W.status)).state == SHIPPED
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)])
        await handle.execute_update(W.receive, receipt)
        assert (await finished(handle)).state == COMPLETED
    assert doubles.step_names(ex) == ["accept", "ship", "deadline", "receive", "complete"]
    assert _notes(doubles, ex, "deadline") == [note]


async def test_a_second_claim_that_cannot_be_counted_is_noted_and_the_first_stands(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(
            quantities=(1,), deadlines=Deadlines(receipt_days=1, claim_interval_days=10**9)
        )
        ex = inp.exchange_id
        handle = await _start(env, task_queue, inp)
        await handle.execute_update(W.decide, _accept_all(inp))
        await handle.execute_update(W.ship, ShipmentInput(STAFF, "EMS"))
        await env.sleep(timedelta(days=2))
        await until(lambda: "deadline" in doubles.step_names(ex), "the deadline's note")
        # One claim only, so loss is not open to the sender; the receipt still is.
        error = await refusal(handle, W.mark_lost, LostInput(STAFF))
        assert error.message.endswith("1 so far")
        await handle.execute_update(W.receive, ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)]))
        assert (await finished(handle)).state == COMPLETED
    assert doubles.step_names(ex) == ["accept", "ship", "claim", "deadline", "receive", "complete"]
    [note] = _notes(doubles, ex, "deadline")
    assert note is not None
    assert note.startswith("a second claim 1000000000 days after the first cannot be counted to")


async def test_a_snapshot_with_a_shipment_time_that_is_no_time_goes_on(
    env: WorkflowEnvironment,
) -> None:
    """A continued run's state is input too: a shipment time that cannot be read is noted,
    and batch uploaders out of step with the batches cost nothing."""
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        first = exchange_input(quantities=(1,))
        snapshot = replace(
            rules.proposed_state(first),
            state=SHIPPED,
            accepted=[LineQuantity("l1", 1)],
            shipped_at="yesterday",
            batches=["b-1"],
            batch_uploaders=[],
            lifecycle=True,
        )
        inp = replace(first, lines=[], snapshot=snapshot)
        ex = inp.exchange_id
        handle = await _start(env, task_queue, inp)
        await until(lambda: "deadline" in doubles.step_names(ex), "the deadline's note")
        attach = AttachMarcInput(STAFF, "b-2", chunk_size=2)
        await handle.execute_update(W.attach_marc, attach)
        await until(lambda: "marc_staged" in doubles.step_names(ex), "the import")
        await handle.execute_update(W.receive, ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)]))
        assert (await finished(handle)).state == COMPLETED
    assert doubles.step_names(ex) == [
        "deadline",
        "marc_uploaded",
        "marc_staged",
        "receive",
        "complete",
    ]


async def test_a_day_that_is_no_day_is_refused_before_it_reaches_the_history(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(1,))
        handle = await _start(env, task_queue, inp)
        await handle.execute_update(W.decide, _accept_all(inp))
        error = await refusal(handle, W.ship, ShipmentInput(STAFF, "EMS", shipped_on="2026-13-01"))
        assert (error.type, error.message) == (
            ERR_INVALID_REQUEST,
            "shipped_on must be a date (YYYY-MM-DD), not '2026-13-01'",
        )
        await handle.execute_update(W.ship, ShipmentInput(STAFF, "EMS"))
        bad = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)], received_on="tomorrow")
        error = await refusal(handle, W.receive, bad)
        assert error.message == "received_on must be a date (YYYY-MM-DD), not 'tomorrow'"
        await handle.execute_update(W.receive, replace(bad, received_on=None))
        assert (await finished(handle)).state == COMPLETED
    assert doubles.step_names(inp.exchange_id) == ["accept", "ship", "receive", "complete"]


@pytest.mark.parametrize(
    ("chunk_size", "heartbeat_seconds", "chunk_attempts"),
    [(0, math.nan, 0), (-5, -1.0, -1), (10**9, 1e300, 10**9)],
    ids=["zero-and-nan", "negative", "huge"],
)
async def test_import_settings_out_of_range_are_brought_into_it(
    env: WorkflowEnvironment, chunk_size: int, heartbeat_seconds: float, chunk_attempts: int
) -> None:
    doubles = Doubles()
    batch_id = str(uuid.uuid4())
    doubles.batches[batch_id] = FakeBatch(total=3)
    async with worker(env, doubles) as task_queue:
        handle = await env.client.start_workflow(
            ImportWorkflow.run,
            ImportInput(
                batch_id,
                chunk_size=chunk_size,
                heartbeat_seconds=heartbeat_seconds,
                chunk_attempts=chunk_attempts,
            ),
            id=import_workflow_id(batch_id),
            task_queue=task_queue,
        )
        result = await finished(handle)
    assert result == ImportBatchResult(batch_id, "completed", total=3, imported=2, rejected=1)
    expected = [1, 2, 3] if chunk_size < 1 else [1]
    assert [c.start_index for c in doubles.chunks] == expected


@pytest.mark.parametrize("retry_seconds", [0.0, -3.0, math.nan, math.inf, 1e12])
async def test_a_delivery_retry_setting_out_of_range_still_delivers(
    env: WorkflowEnvironment, retry_seconds: float
) -> None:
    doubles = Doubles(delivery_failures=1)
    exchange_id = str(uuid.uuid4())
    async with worker(env, doubles) as task_queue:
        handle = await env.client.start_workflow(
            WebhookDeliveryWorkflow.run,
            DeliveryInput(exchange_id, seq=3, retry_seconds=retry_seconds),
            id=delivery_workflow_id(exchange_id, 3),
            task_queue=task_queue,
        )
        assert await finished(handle) == DeliveryResult(attempts=2, already_delivered=False)
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert doubles.deliveries == {(exchange_id, 3): 2}
