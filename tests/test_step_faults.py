"""Steps sent to an exchange's workflow when Temporal is slow, full or does not answer in time.

Temporal lets only a few updates (10) be in flight per workflow and refuses more; a worker that
is late to take the workflow's task keeps them in flight. None of that may reach the caller as
a 5xx from a healthy system: steps wait their turn in the API, a full workflow answers 429 with
Retry-After, and a step whose answer did not come in time answers 503 with Retry-After; its
retry with the same ``Idempotency-Key`` is the same update to Temporal, so it gets the first
step's outcome instead of a 409 for a second step.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import Input, Meta, Request, WaitPolicy
from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import ExchangeEvent
from services.exchange.service import steps
from services.exchange.service.step_queue import StepQueue, TooManySteps
from tests.conftest import Stack, running_stack
from tests.dev_server import late_worker
from tests.support import lines, register_partner
from workflows.exchange.types import Actor, ShipmentInput, workflow_id

WORKER_LATE_BY = 12.0  # seconds: longer than the SDK retries a refused update (about 10 s)


async def _proposal(stack: Stack) -> tuple[str, dict[str, Any], dict[str, str]]:
    """A proposed exchange (its workflow waits for a worker); the decision url, body and key."""
    partner, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(1)},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    exchange = r.json()
    body = {"accept": [{"line_id": exchange["lines"][0]["id"], "quantity": 1}]}
    return exchange["id"], body, key


def _events(stack: Stack, exchange_id: str, step: str) -> int:
    with Session(stack.engine) as session:
        count: int = session.exec(
            select(func.count()).where(
                col(ExchangeEvent.exchange_id) == exchange_id, col(ExchangeEvent.step) == step
            )
        ).one()
        return count


def _assert_retry_after(r: httpx.Response) -> None:
    assert r.headers.get("retry-after", "").isdigit(), r.headers


async def test_thirty_concurrent_steps_on_one_exchange_wait_their_turn(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(
        temporal_env.client,
        "crowd",
        tmp_path,
        f"sqlite:///{tmp_path / 'exchange.db'}",
        with_worker=False,
    ) as stack:
        exchange_id, body, key = await _proposal(stack)
        url = f"/api/v1/exchanges/{exchange_id}/decision"
        sent = [
            asyncio.create_task(stack.http.post(url, json=body, headers=key)) for _ in range(30)
        ]
        await asyncio.sleep(WORKER_LATE_BY)  # a worker busy elsewhere, or starting
        async with late_worker(stack):
            responses = await asyncio.wait_for(asyncio.gather(*sent), timeout=120)
        statuses = Counter(r.status_code for r in responses)
        assert statuses[200] == 1, {r.status_code: r.text for r in responses}
        assert set(statuses) <= {200, 409, 429}, {r.status_code: r.text for r in responses}
        for r in responses:
            if r.status_code == 429:
                _assert_retry_after(r)
        assert _events(stack, exchange_id, "accept") == 1


async def _fill_update_slots(stack: Stack, exchange_id: str) -> int:
    """Send refused-to-be steps (a shipment before any decision) straight to Temporal until it
    takes no more; with no worker they stay in flight. Returns how many it took."""
    client = stack.client
    (payload,) = await client.data_converter.encode(
        [ShipmentInput(actor=Actor(party=stack.settings.home_code, name="filler"), carrier="EMS")]
    )
    taken = 0
    for _ in range(100):
        request = UpdateWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id(exchange_id)),
            request=Request(
                meta=Meta(update_id=f"filler-{uuid.uuid4()}"),
                input=Input(name="ship", args=Payloads(payloads=[payload])),
            ),
            wait_policy=WaitPolicy(
                lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
            ),
        )
        try:
            await client.workflow_service.update_workflow_execution(
                request, retry=False, timeout=timedelta(seconds=0.5)
            )
        except RPCError as exc:
            if exc.status == RPCStatusCode.RESOURCE_EXHAUSTED:
                return taken
            # no answer within the deadline: admitted, waiting for a worker
            assert exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED), exc
            taken += 1
    raise AssertionError("Temporal never refused an update")


async def test_a_full_workflow_answers_with_retry_after_and_the_retry_gets_the_step(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Other API processes can fill Temporal's slots between them. The SDK retries a refused
    update for some 15 to 20 s; the caller gets 429 if it gives up within the step's deadline,
    else 503 (not confirmed in time), both with Retry-After, and the retry gets its step."""
    async with running_stack(
        temporal_env.client,
        "full",
        tmp_path,
        f"sqlite:///{tmp_path / 'exchange.db'}",
        with_worker=False,
    ) as stack:
        exchange_id, body, key = await _proposal(stack)
        assert await _fill_update_slots(stack, exchange_id) >= 1
        url = f"/api/v1/exchanges/{exchange_id}/decision"
        headers = {**key, "Idempotency-Key": f"decision-{uuid.uuid4()}"}
        r = await stack.http.post(url, json=body, headers=headers)
        assert (r.status_code, r.json()["type"]) in (
            (429, "/problems/too-many-steps"),
            (503, "/problems/step-not-recorded"),
        ), r.text
        _assert_retry_after(r)
        async with late_worker(stack):  # the fillers are refused, the slots free again
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            while r.status_code in (429, 503) and loop.time() < deadline:
                await asyncio.sleep(int(r.headers["retry-after"]))
                r = await stack.http.post(url, json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert "idempotent-replayed" not in r.headers, "a refusal is not kept for the retry"
        assert r.json()["state"] == "accepted"
        assert _events(stack, exchange_id, "accept") == 1


async def test_a_step_unconfirmed_in_time_gets_503_and_its_retry_the_first_outcome(
    temporal_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer to a step can be lost (Temporal stops, a worker is late) after the workflow
    took it; the retry must learn that outcome, not be refused as a second decision."""
    monkeypatch.setattr(steps, "STEP_DEADLINE", 3.0, raising=False)
    async with running_stack(
        temporal_env.client,
        "unconfirmed",
        tmp_path,
        f"sqlite:///{tmp_path / 'exchange.db'}",
        with_worker=False,
    ) as stack:
        exchange_id, body, key = await _proposal(stack)
        url = f"/api/v1/exchanges/{exchange_id}/decision"
        headers = {**key, "Idempotency-Key": f"decision-{uuid.uuid4()}"}
        async with AsyncExitStack() as later:
            try:
                first = await stack.http.post(url, json=body, headers=headers, timeout=15)
            finally:  # the update Temporal kept is taken now
                await later.enter_async_context(late_worker(stack))
            assert first.status_code == 503, first.text
            assert first.json()["type"] == "/problems/step-not-recorded"
            _assert_retry_after(first)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            while _events(stack, exchange_id, "accept") == 0 and loop.time() < deadline:
                await asyncio.sleep(0.1)
            assert _events(stack, exchange_id, "accept") == 1, "the first step was taken"
            retry = await stack.http.post(url, json=body, headers=headers)
            assert retry.status_code == 200, retry.text
            assert retry.json()["state"] == "accepted"
            again = await stack.http.post(url, json=body, headers=key)
            assert again.status_code == 409, "without the key, a second decision is refused"
        assert _events(stack, exchange_id, "accept") == 1


async def test_the_step_queue_lets_few_through_and_bounds_the_rest() -> None:
    queue = StepQueue(in_flight=1, waiting=1)
    loop = asyncio.get_running_loop()
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with queue.turn("x", loop.time() + 10):
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    waiter = asyncio.create_task(hold())  # waits its turn
    await asyncio.sleep(0.05)
    with pytest.raises(TooManySteps):  # one in flight, one waiting: no room for a third
        async with queue.turn("x", loop.time() + 10):
            pass
    async with queue.turn("other exchange", loop.time() + 1):
        pass  # another exchange has its own lane
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), timeout=10)

    release.clear()
    entered.clear()
    holder = asyncio.create_task(hold())
    await entered.wait()
    with pytest.raises(TooManySteps):  # its turn does not come before the deadline
        async with queue.turn("x", loop.time() + 0.2):
            pass
    release.set()
    await asyncio.wait_for(holder, timeout=10)
    async with queue.turn("x", loop.time() + 0.2):
        pass  # a lane with no steps left is gone, and a fresh one starts empty
