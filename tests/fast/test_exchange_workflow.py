"""The exchange workflow on the time-skipping test server, its activities replaced by doubles:
a lifecycle through updates, refusals that change nothing, deadlines firing by timer, and a
long exchange continuing as new with its state. The rules themselves are tested one by one in
``test_exchange_rules``; the same flows through the API in ``test_lifecycle`` and
``test_deadlines``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from tests.fast.workflow_support import (
    HOME,
    PARTNER,
    PARTNER_ACTOR,
    STAFF,
    Doubles,
    exchange_input,
    finished,
    refusal,
    server_day,
    time_skipping_server,
    until,
    worker,
)
from workflows.errors import ERR_INVALID_REQUEST, ERR_INVALID_TRANSITION, ERR_NOT_ALLOWED
from workflows.exchange import workflow as exchange_module
from workflows.exchange.types import (
    ACCEPTED,
    CLAIM_DAMAGED,
    CLAIM_MISSING,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_RESOLVED,
    CLAIM_WRITTEN_OFF,
    COMPLETED,
    DECLINED,
    EXPIRED,
    LOST,
    PROPOSED,
    RECEIVED,
    SHIPPED,
    ActionsQuery,
    AvailableActions,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    ClaimState,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    ExchangeOutcome,
    LineQuantity,
    LineSpec,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow as W


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server for this module alone (see ``workflow_support``)."""
    async with time_skipping_server() as server:
        yield server


Handle = WorkflowHandle[W, ExchangeOutcome]


async def _start(env: WorkflowEnvironment, task_queue: str, inp: ExchangeInput) -> Handle:
    return await env.client.start_workflow(
        W.run, inp, id=workflow_id(inp.exchange_id), task_queue=task_queue
    )


async def _actions(handle: Handle, party: str) -> AvailableActions:
    return await handle.query(W.actions, ActionsQuery(party))


def _accept_all(inp: ExchangeInput) -> DecisionInput:
    return DecisionInput(
        PARTNER_ACTOR, accept=[LineQuantity(x.line_id, x.quantity) for x in inp.lines]
    )


async def test_a_step_sent_with_the_start_sees_the_runs_lifecycle() -> None:
    """A revision sent the moment the proposal is made reaches the run's first task together
    with its start, and its validator runs before ``run``: it is taken, not refused as a step
    of a run from before the lifecycle. (A server of its own: an update left waiting for a
    worker stops the shared server's time skipping for the tests after it.)"""
    doubles = Doubles()
    task_queue = f"fast-first-{uuid.uuid4().hex[:8]}"
    inp = exchange_input()
    async with time_skipping_server() as own:
        handle = await _start(own, task_queue, inp)  # no worker on the queue yet
        revised = asyncio.create_task(
            handle.execute_update(W.revise, ReviseInput(STAFF, [LineSpec("Babad", 3)]))
        )
        await asyncio.sleep(0.5)  # the update waits in the server with the start
        async with worker(own, doubles, task_queue=task_queue):
            await revised
            assert [r.lines[0].title for r in doubles.revisions] == ["Babad"]
            assert (await handle.query(W.status)).state == PROPOSED
            await handle.terminate("test over")


async def test_an_exchange_runs_its_lifecycle_through_updates(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(2, 1))
        handle = await _start(env, task_queue, inp)
        assert (await _actions(handle, PARTNER)).actions == ["decide", "cancel", "upload_marc"]
        assert (await _actions(handle, HOME)).actions == ["revise", "cancel", "upload_marc"]

        assert (await handle.execute_update(W.decide, _accept_all(inp))).state == ACCEPTED
        shipment = ShipmentInput(STAFF, carrier="EMS", tracking="RR1")
        assert (await handle.execute_update(W.ship, shipment)).state == SHIPPED
        # One copy of l1 arrives damaged; l2 is not reported, so it is missing.
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 2, damaged=1)])
        assert (await handle.execute_update(W.receive, receipt)).state == RECEIVED
        home = await _actions(handle, HOME)
        assert home.actions == ["upload_marc"] and home.answerable_claims == ["c1", "c2"]

        await handle.execute_update(W.answer_claim, ClaimAnswerInput(STAFF, "c1", "resend"))
        await handle.execute_update(W.answer_claim, ClaimAnswerInput(STAFF, "c2", "write_off"))
        partner = await _actions(handle, PARTNER)
        assert partner.confirmable_claims == ["c1"] and partner.answerable_claims == []
        status = await handle.execute_update(
            W.confirm_claim, ClaimConfirmInput(PARTNER_ACTOR, "c1")
        )
        assert status.state == COMPLETED
        outcome = await finished(handle)

    assert outcome == ExchangeOutcome(inp.exchange_id, COMPLETED, [])
    ex = inp.exchange_id
    assert doubles.step_names(ex) == [
        "accept",
        "ship",
        "receive",
        "claim_answer",
        "claim_answer",
        "claim_resolved",
        "complete",
    ]
    steps = {s.step: s for s in doubles.steps}
    assert steps["accept"].accepted == [LineQuantity("l1", 2), LineQuantity("l2", 1)]
    assert steps["receive"].note == "2 of 3 copies received, 1 damaged"
    assert steps["receive"].claims == [
        ClaimState("c1", CLAIM_DAMAGED, CLAIM_OPEN, "l1", 1),
        ClaimState("c2", CLAIM_MISSING, CLAIM_OPEN, "l2", 1),
    ]
    assert steps["claim_resolved"].claims == [
        ClaimState("c1", CLAIM_DAMAGED, CLAIM_RESOLVED, "l1", 1)
    ]
    # The partner hears of every step but its own; steps and notices share one sequence.
    assert doubles.events(ex) == ["proposal", "shipment", "claim", "claim", "completed"]
    seqs = sorted([s.seq for s in doubles.steps] + [n.seq for n in doubles.notices])
    assert seqs == list(range(2, 2 + len(seqs)))


async def test_a_refused_update_leaves_the_exchange_as_it_was(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(2, 1))
        handle = await _start(env, task_queue, inp)
        before = [await _actions(handle, party) for party in (HOME, PARTNER, "OTHER")]
        refused = [
            (W.ship, ShipmentInput(STAFF, carrier="EMS"), ERR_INVALID_TRANSITION,
             "cannot record the shipment of an exchange that is proposed (it must be accepted)"),
            (W.decide, DecisionInput(STAFF, decline_reason="no room"), ERR_NOT_ALLOWED,
             f"only the recipient ({PARTNER}) may decide on this exchange"),
            (W.decide, DecisionInput(PARTNER_ACTOR, accept=[LineQuantity("l1", 3)]),
             ERR_INVALID_REQUEST, "line l1: quantity must be between 1 and the 2 offered"),
            (W.decide, DecisionInput(PARTNER_ACTOR, accept=[LineQuantity("l9", 1)]),
             ERR_INVALID_REQUEST, "line l9 is not part of this exchange"),
            (W.answer_claim, ClaimAnswerInput(STAFF, "c1", "resend"), ERR_INVALID_REQUEST,
             "there is no claim c1 on this exchange"),
            (W.cancel, CancelInput(STAFF, reason="  "), ERR_INVALID_REQUEST,
             "a cancellation needs a reason"),
            (W.mark_lost, LostInput(STAFF), ERR_INVALID_TRANSITION,
             "cannot mark as lost an exchange that is proposed (it must be shipped)"),
        ]  # fmt: skip
        for update, arg, kind, message in refused:
            error = await refusal(handle, update, arg)
            assert (error.type, error.message) == (kind, message)

        assert (await handle.query(W.status)).state == PROPOSED
        assert [await _actions(handle, party) for party in (HOME, PARTNER, "OTHER")] == before
        assert doubles.step_names(inp.exchange_id) == []
        assert doubles.events(inp.exchange_id) == ["proposal"]
        decline = DecisionInput(PARTNER_ACTOR, decline_reason="no room")
        assert (await handle.execute_update(W.decide, decline)).state == DECLINED
        assert (await finished(handle)).state == DECLINED
    assert [s.seq for s in doubles.steps] == [3], "the refusals used no sequence numbers"


async def test_a_reminder_then_expiry_fire_by_timer(env: WorkflowEnvironment) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        respond_by = await server_day(env, days=10)
        inp = exchange_input(deadlines=Deadlines(respond_by=respond_by, reminder_days=3))
        handle = await _start(env, task_queue, inp)
        ex = inp.exchange_id
        # Three days before the end of the deadline's day, still undecided: a reminder.
        await env.sleep(timedelta(days=8, hours=1))
        await until(lambda: "reminder" in doubles.events(ex), "the reminder")
        assert doubles.step_names(ex) == ["reminder"]
        assert doubles.steps[0].note == f"a decision is due by {respond_by}"
        assert (await handle.query(W.status)).state == PROPOSED
        # Waiting on the result lets the server skip to the deadline.
        assert (await finished(handle)).state == EXPIRED
    assert doubles.step_names(ex) == ["reminder", "expire"]
    assert doubles.events(ex) == ["proposal", "reminder", "expiry"]


async def test_no_reminder_when_the_deadline_is_too_close(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        respond_by = await server_day(env, days=1)
        inp = exchange_input(deadlines=Deadlines(respond_by=respond_by, reminder_days=3))
        handle = await _start(env, task_queue, inp)
        assert (await finished(handle)).state == EXPIRED
    assert doubles.step_names(inp.exchange_id) == ["expire"]


async def test_an_overdue_receipt_raises_two_claims_then_loss_is_allowed(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(deadlines=Deadlines(receipt_days=60, claim_interval_days=14))
        ex = inp.exchange_id
        handle = await _start(env, task_queue, inp)
        await handle.execute_update(W.decide, _accept_all(inp))
        await handle.execute_update(W.ship, ShipmentInput(STAFF, carrier="EMS"))

        await env.sleep(timedelta(days=61))
        await until(lambda: doubles.step_names(ex).count("claim") == 1, "the first claim")
        error = await refusal(handle, W.mark_lost, LostInput(STAFF))
        assert (
            error.message == "a shipment can be marked lost after two unanswered claims; 1 so far"
        )
        assert "lost" not in (await _actions(handle, HOME)).actions

        await env.sleep(timedelta(days=15))
        await until(lambda: doubles.step_names(ex).count("claim") == 2, "the second claim")
        home = await _actions(handle, HOME)
        assert home.actions == ["lost", "upload_marc"] and home.answerable_claims == []
        lost = LostInput(STAFF, note="parcel never arrived")
        assert (await handle.execute_update(W.mark_lost, lost)).state == LOST
        assert (await finished(handle)).state == LOST

    claims = [s for s in doubles.steps if s.step == "claim"]
    assert [c.note for c in claims] == [
        "receipt overdue: claim 1 (c1)",
        "receipt overdue: claim 2 (c2)",
    ]
    assert claims[0].claims == [ClaimState("c1", CLAIM_OVERDUE, CLAIM_OPEN, None, 0, "claim 1")]
    final = doubles.steps[-1]
    assert final.step == "lost" and final.note == "parcel never arrived"
    assert final.claims == [
        ClaimState(f"c{n}", CLAIM_OVERDUE, CLAIM_WRITTEN_OFF, None, 0, "lost") for n in (1, 2)
    ]
    assert doubles.events(ex) == ["proposal", "shipment", "claim", "claim", "lost"]


async def test_a_long_exchange_continues_as_new_with_its_state(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_module, "CONTINUE_AS_NEW_AFTER_EVENTS", 40)
    doubles = Doubles()
    async with worker(env, doubles, sandboxed=False) as task_queue:
        inp = exchange_input(quantities=(1, 1, 1, 1, 1, 1))
        handle = await _start(env, task_queue, inp)
        first_run = (await handle.describe()).run_id
        await handle.execute_update(W.decide, _accept_all(inp))
        await handle.execute_update(W.ship, ShipmentInput(STAFF, carrier="EMS"))
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine(x.line_id, 1, 1) for x in inp.lines])
        await handle.execute_update(W.receive, receipt)
        claims = [f"c{n}" for n in range(1, 7)]
        for no in claims[:3]:
            await handle.execute_update(W.answer_claim, ClaimAnswerInput(STAFF, no, "resend"))
        # Whatever run is current, it knows the claims of the runs before it.
        partner = await _actions(handle, PARTNER)
        assert partner.confirmable_claims == claims[:3]
        for no in claims[3:]:
            await handle.execute_update(W.answer_claim, ClaimAnswerInput(STAFF, no, "write_off"))
        for no in claims[:3]:
            await handle.execute_update(W.confirm_claim, ClaimConfirmInput(PARTNER_ACTOR, no))
        assert (await finished(handle)).state == COMPLETED

        first = env.client.get_workflow_handle(handle.id, run_id=first_run)
        assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
        last = await handle.fetch_history()
        payloads = last.events[0].workflow_execution_started_event_attributes.input.payloads
        [carried] = await DataConverter.default.decode(payloads, [ExchangeInput])

    assert carried.snapshot is not None and carried.lines == []
    assert carried.snapshot.accepted == [LineQuantity(x.line_id, 1) for x in inp.lines]
    assert [c.claim_no for c in carried.snapshot.claims] == claims
    assert CLAIM_RESENT in {c.state for c in carried.snapshot.claims}
    assert carried.next_seq == carried.snapshot.seq + 1
    steps = [s.seq for s in doubles.steps] + [n.seq for n in doubles.notices]
    assert sorted(steps) == list(range(2, 2 + len(steps))), "no number twice across runs"
    assert doubles.step_names(inp.exchange_id)[-1] == "complete"
