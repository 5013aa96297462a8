"""Our staff hear of the partner's and the system's steps (``STAFF_NOTICE_PATCH``): the exchange
workflow on the time-skipping test server, its activities replaced by the doubles of
``workflow_support``, which keep every notice with its party. The rule alone is tested at the
end; the replay of runs from before the patch is ``tests/test_replay``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, col, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import ExchangeEvent, Notice, Partner, PartnerContact
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import projection
from tests.fast.conftest import HOME_CODE, Database, insert_exchange, new_partner
from tests.fast.workflow_support import (
    HOME,
    PARTNER,
    PARTNER_ACTOR,
    STAFF,
    Doubles,
    exchange_input,
    finished,
    server_day,
    time_skipping_server,
    until,
    worker,
)
from workflows.delivery.workflow import delivery_workflow_id
from workflows.exchange import rules
from workflows.exchange.types import (
    COMPLETED,
    DECLINED,
    EXPIRED,
    Actor,
    ClaimAnswerInput,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    LineQuantity,
    NoticeInput,
    ReceiptInput,
    ReceivedLine,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow as W


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as server:
        yield server


def _heard(doubles: Doubles, exchange_id: str, party: str) -> list[str]:
    return [n.event for n in doubles.notices if n.exchange_id == exchange_id and n.party == party]


def _seqs_are_one_sequence(doubles: Doubles, exchange_id: str) -> None:
    """Steps, the partner's notices and the staff's share one sequence, none used twice."""
    seqs = sorted(
        [s.seq for s in doubles.steps if s.exchange_id == exchange_id]
        + [n.seq for n in doubles.notices if n.exchange_id == exchange_id]
    )
    assert seqs == list(range(2, 2 + len(seqs)))


async def test_staff_hear_of_the_partners_steps_and_never_of_their_own(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(2,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            W.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        await handle.execute_update(W.decide, DecisionInput(PARTNER_ACTOR, [LineQuantity("l1", 2)]))
        await handle.execute_update(W.ship, ShipmentInput(STAFF, carrier="EMS"))
        receipt = ReceiptInput(PARTNER_ACTOR, [ReceivedLine("l1", 2, damaged=1)])
        await handle.execute_update(W.receive, receipt)
        await handle.execute_update(W.answer_claim, ClaimAnswerInput(STAFF, "c1", "write_off"))
        assert (await finished(handle)).state == COMPLETED

    assert _heard(doubles, ex, HOME) == ["decision", "receipt"]
    assert _heard(doubles, ex, PARTNER) == ["proposal", "shipment", "claim", "completed"]
    staff = [n for n in doubles.notices if n.party == HOME]
    assert staff[1].note == "2 of 2 copies received, 1 damaged"
    assert staff[1].note_id is not None, "the note travels as a message id for the e-mail"
    _seqs_are_one_sequence(doubles, ex)


async def test_staff_hear_of_a_partners_proposal_and_its_shipment(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(outgoing=False, quantities=(1,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            W.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        await until(
            lambda: _heard(doubles, ex, HOME) == ["proposal"], "the staff's proposal notice"
        )
        assert _heard(doubles, ex, PARTNER) == [], "the partner made the proposal itself"
        await handle.execute_update(W.decide, DecisionInput(STAFF, decline_reason="no room"))
        assert (await finished(handle)).state == DECLINED

    assert _heard(doubles, ex, HOME) == ["proposal"]
    assert _heard(doubles, ex, PARTNER) == ["decision"]
    _seqs_are_one_sequence(doubles, ex)


async def test_staff_hear_of_the_systems_reminder_and_expiry(env: WorkflowEnvironment) -> None:
    doubles = Doubles()
    async with worker(env, doubles) as task_queue:
        respond_by = await server_day(env, days=10)
        inp = exchange_input(deadlines=Deadlines(respond_by=respond_by, reminder_days=3))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            W.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        assert (await finished(handle)).state == EXPIRED

    assert _heard(doubles, ex, HOME) == ["reminder", "expiry"]
    assert _heard(doubles, ex, PARTNER) == ["proposal", "reminder", "expiry"]
    _seqs_are_one_sequence(doubles, ex)


async def test_a_staff_notice_with_an_address_starts_its_delivery(
    env: WorkflowEnvironment,
) -> None:
    doubles = Doubles(notices_deliver=True, delivery_failures=10**6)
    async with worker(env, doubles) as task_queue:
        inp = exchange_input(quantities=(1,))
        ex = inp.exchange_id
        handle = await env.client.start_workflow(
            W.run, inp, id=workflow_id(ex), task_queue=task_queue
        )
        await handle.execute_update(W.decide, DecisionInput(PARTNER_ACTOR, [LineQuantity("l1", 1)]))
        [staff] = [n for n in doubles.notices if n.party == HOME]
        child = env.client.get_workflow_handle(delivery_workflow_id(ex, staff.seq))
        assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
        # Clean up the retrying deliveries (the test server may have let one go already).
        for notice in doubles.notices:
            delivery = env.client.get_workflow_handle(delivery_workflow_id(ex, notice.seq))
            with contextlib.suppress(RPCError):
                await delivery.terminate("test over")
        await handle.terminate("test over")
    assert staff.event == "decision"


def test_the_rule_tells_staff_of_the_partner_and_the_system_only() -> None:
    state = rules.proposed_state(exchange_input())
    state.lifecycle = True
    inp: ExchangeInput = exchange_input()
    partner, staff = Actor(PARTNER, "partner"), Actor(HOME, "staff")
    assert rules.tells_staff(state, inp, partner, "decision")
    assert not rules.tells_staff(state, inp, staff, "shipment")
    for event in ("reminder", "expiry", "claim"):
        assert rules.tells_staff(state, inp, None, event)
    for event in ("completed", "marc_ready"):
        assert not rules.tells_staff(state, inp, None, event)
    assert not rules.tells_staff(state, exchange_input(partner=""), partner, "decision")
    state.lifecycle = False  # a run from before notices: nobody is told
    assert not rules.tells_staff(state, inp, partner, "decision")


def test_the_partner_and_our_staff_are_asked_apart() -> None:
    """The staff's notice never replaces the partner's: both rules are asked, apart."""
    state = rules.proposed_state(exchange_input())
    state.lifecycle = True
    inp = exchange_input()
    assert rules.notifies(state, inp, None) and rules.tells_staff(state, inp, None, "reminder")
    assert not rules.notifies(state, inp, PARTNER_ACTOR)
    assert rules.tells_staff(state, inp, PARTNER_ACTOR, "receipt")


# --- the projection: a notice to our staff, and whether a delivery has anyone to reach -------


def _notice_row(db: Database, exchange_id: str, seq: int) -> tuple[Notice, ExchangeEvent]:
    with Session(db.engine) as session:
        notice = session.exec(
            select(Notice).where(col(Notice.exchange_id) == exchange_id, col(Notice.seq) == seq)
        ).one()
        event = session.exec(
            select(ExchangeEvent).where(
                col(ExchangeEvent.exchange_id) == exchange_id, col(ExchangeEvent.seq) == seq
            )
        ).one()
        return notice, event


def test_a_staff_notice_is_kept_with_its_note_and_delivered_only_by_e_mail(
    database: Database,
) -> None:
    _partner, caller = new_partner(database)
    exchange_id, _ = insert_exchange(database, caller, "incoming", [LineIn(title="A", quantity=1)])
    at = "2026-12-01T10:00:00+00:00"
    staff = NoticeInput(
        exchange_id, 2, HOME_CODE, "proposal", at, "1 line", "offer_lines", {"n": 1}
    )
    name = "Perpustakaan Nasional"
    # Our side has no webhook: without e-mail set up, nothing to deliver.
    written = projection.record_notice(database.engine, staff, home=HOME_CODE, home_name=name)
    assert written == (True, False)
    notice, event = _notice_row(database, exchange_id, 2)
    assert (notice.party, notice.note_id, notice.note_params) == (
        HOME_CODE,
        "offer_lines",
        {"n": 1},
    )
    assert event.note_params is not None
    assert event.note_params["party_name"] == name
    # The department's mailbox is an address: a retry writes nothing, and asks to deliver.
    retry = projection.record_notice(
        database.engine,
        staff,
        home=HOME_CODE,
        home_name=name,
        staff_email="exchange@perpusnas.example",
        email=True,
    )
    assert retry == (False, True)


def test_a_partner_without_a_webhook_is_delivered_to_when_a_contact_wants_the_kind(
    database: Database,
) -> None:
    partner, caller = new_partner(database)
    exchange_id, _ = insert_exchange(database, caller, "incoming", [LineIn(title="A", quantity=1)])
    with Session(database.engine) as session:
        partner_id = session.exec(select(Partner.id).where(col(Partner.code) == partner.code)).one()
        assert partner_id is not None
        session.add(
            PartnerContact(
                partner_id=partner_id,
                name="Anna",
                email="anna@partner.example",
                language="ru",
                notices=["shipment"],
            )
        )
        session.commit()
    at = "2026-12-01T10:00:00+00:00"
    wanted = NoticeInput(exchange_id, 2, partner.code, "shipment", at)
    unwanted = NoticeInput(exchange_id, 3, partner.code, "reminder", at)
    assert projection.record_notice(database.engine, wanted, home=HOME_CODE, email=True) == (
        True,
        True,
    )
    assert projection.record_notice(database.engine, unwanted, home=HOME_CODE, email=True) == (
        True,
        False,
    )
    assert projection.record_notice(database.engine, wanted) == (False, False), "no e-mail set up"
