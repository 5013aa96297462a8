"""The webhook delivery workflow on the time-skipping test server, its activity replaced by a
double that fails first: retries until the partner accepts, giving up after the delivery
window, and an exchange that starts one delivery per notice without waiting for any
(``WEBHOOK_PATCH``). Real HTTP and signatures are tested in ``test_service_webhooks`` and
``test_webhooks``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError, RetryState
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from tests.fast.workflow_support import (
    PARTNER,
    PARTNER_ACTOR,
    STAFF,
    Doubles,
    exchange_input,
    finished,
    time_skipping_server,
    worker,
)
from workflows.delivery import workflow as delivery_module
from workflows.delivery.types import DeliveryInput, DeliveryResult
from workflows.delivery.workflow import WebhookDeliveryWorkflow, delivery_workflow_id
from workflows.exchange.types import (
    COMPLETED,
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


async def test_a_delivery_is_retried_until_the_partner_accepts(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles(delivery_failures=3)
    exchange_id = str(uuid.uuid4())
    async with worker(env, doubles) as task_queue:
        handle = await env.client.start_workflow(
            WebhookDeliveryWorkflow.run,
            DeliveryInput(exchange_id, seq=4, retry_seconds=30.0),
            id=delivery_workflow_id(exchange_id, 4),
            task_queue=task_queue,
        )
        # The backoff (30 s, 60 s, 120 s) passes on the server's clock.
        assert await finished(handle) == DeliveryResult(attempts=4, already_delivered=False)
    assert doubles.deliveries == {(exchange_id, 4): 4}


async def test_a_delivery_gives_up_after_its_window(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_module, "DELIVERY_WINDOW", timedelta(hours=2))
    doubles = Doubles(delivery_failures=10**6)  # the endpoint never recovers
    exchange_id = str(uuid.uuid4())
    async with worker(env, doubles, sandboxed=False) as task_queue:
        handle = await env.client.start_workflow(
            WebhookDeliveryWorkflow.run,
            DeliveryInput(exchange_id, seq=2, retry_seconds=30.0),
            id=delivery_workflow_id(exchange_id, 2),
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await finished(handle)
    cause = failed.value.cause
    # The next attempt would fall after the window: the last failure stands, out of time.
    assert isinstance(cause, ActivityError) and cause.retry_state == RetryState.TIMEOUT
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.message == "the endpoint answered 503"
    # 30 s doubling up to the one-hour cap: eight attempts start within two hours.
    assert doubles.deliveries[(exchange_id, 2)] == 8


async def test_an_exchange_starts_one_delivery_per_notice_and_does_not_wait(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles(notices_deliver=True, delivery_failures=10**6)
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(1,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            ExchangeWorkflow.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        accept = DecisionInput(PARTNER_ACTOR, accept=[LineQuantity("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.decide, accept)
        await handle.execute_update(ExchangeWorkflow.ship, ShipmentInput(STAFF, "EMS"))
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 1)])
        await handle.execute_update(ExchangeWorkflow.receive, receipt)
        # The exchange ends while every delivery is still failing and retrying.
        assert (await finished(handle)).state == COMPLETED
        # Staff are told of the partner's receipt too; that notice is delivered the same way.
        told = [n for n in doubles.notices if n.party == PARTNER]
        children = [env.client.get_workflow_handle(delivery_workflow_id(ex, n.seq)) for n in told]
        statuses = [(await child.describe()).status for child in children]
        for n in doubles.notices:
            with contextlib.suppress(RPCError):  # a notice without a delivery has no child
                await env.client.get_workflow_handle(delivery_workflow_id(ex, n.seq)).terminate(
                    "test over"
                )
    assert [n.event for n in told] == ["proposal", "shipment", "completed"]
    assert statuses == [WorkflowExecutionStatus.RUNNING] * 3
