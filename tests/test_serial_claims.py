"""The serial workflow's database side with a real worker, a real database and Temporal's dev
server: a year's issues written once, claims as keyed notices written once (the activity run
twice answers the same notices), delivered to the partner's webhook by the delivery workflow,
and the race of a receipt with a claim decided by the conditional UPDATE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle

from services.exchange.models import Notice, Partner, WebhookDelivery
from services.exchange.serial_models import SerialIssue, SerialTitle
from services.exchange.service import serial_claims, serial_runs
from services.exchange.service.context import Context
from services.exchange.storage.db import session_scope
from tests.conftest import Stack
from tests.support import register_partner
from tests.webhook_receiver import Receiver
from workflows.serial.types import (
    CLAIMED,
    EVENT_CLAIM,
    EXPECTED,
    RECEIVED,
    SerialStatus,
    serial_workflow_id,
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1).start()
    yield r
    r.stop()


def _title(stack: Stack, code: str, *, first_year: int, issn: str = "0378-5955") -> int:
    with session_scope(stack.engine) as session:
        partner = session.exec(select(Partner).where(col(Partner.code) == code)).one()
        title = SerialTitle(
            partner_id=partner.id or 0,
            issn=issn,
            title="Vestnik Biblioteki",
            direction="incoming",
            frequency={"issues_per_year": 12, "months": None, "combined": []},
            numbering={"volume_start": 1, "volume_each_year": True, "restart_yearly": True},
            copies=1,
            first_year=first_year,
            claim_after_days=30,
            second_claim_days=30,
            created_by="test",
        )
        session.add(title)
        session.flush()
        assert title.id is not None
        return title.id


def _issues(stack: Stack, serial_id: int) -> list[SerialIssue]:
    with Session(stack.engine) as session:
        return list(
            session.exec(
                select(SerialIssue)
                .where(col(SerialIssue.serial_id) == serial_id)
                .order_by(col(SerialIssue.claim_on))
            )
        )


def _claim_notices(stack: Stack, serial_id: int) -> list[Notice]:
    with Session(stack.engine) as session:
        return list(
            session.exec(
                select(Notice)
                .where(col(Notice.serial_id) == serial_id, col(Notice.event) == EVENT_CLAIM)
                .order_by(col(Notice.id))
            )
        )


async def test_claims_are_written_once_and_a_receipt_first_wins(stack: Stack) -> None:
    partner, _key = await register_partner(stack.http, stack.staff)
    today = datetime.now(UTC).date()
    last_year = today.year - 1
    serial_id = _title(stack, partner["code"], first_year=last_year)

    assert serial_claims.ensure_year(stack.engine, serial_id, last_year) == 12
    assert serial_claims.ensure_year(stack.engine, serial_id, last_year) == 0, "by key, once"
    issues = _issues(stack, serial_id)
    assert [i.numbers for i in issues] == [str(n) for n in range(1, 13)]
    # A receipt of no. 2 before the claims: it is never claimed.
    with session_scope(stack.engine) as session:
        session.execute(
            update(SerialIssue).where(col(SerialIssue.id) == issues[1].id).values(state=RECEIVED)
        )

    first = serial_claims.claim_due_issues(stack.engine, serial_id, today)
    again = serial_claims.claim_due_issues(stack.engine, serial_id, today)
    notices = _claim_notices(stack, serial_id)
    assert first.claimed == 11 and again.claimed == 0
    assert first.notice_ids == again.notice_ids == [n.id for n in notices], "same notices"
    assert {n.key for n in notices} == {
        serial_claims.claim_key(i.id or 0, 1) for i in issues if i.numbers != "2"
    }
    assert {n.party for n in notices} == {partner["code"]}
    assert all(n.note_id == EVENT_CLAIM and n.note_params for n in notices)
    after = {i.numbers: i for i in _issues(stack, serial_id)}
    assert after["2"].state == RECEIVED and after["2"].claims == 0
    assert after["1"].state == CLAIMED and after["1"].last_claimed_on == today
    # The second claims are due 30 days after the first.
    assert first.next_due is not None and (first.next_due - today).days == 30


async def test_a_claim_read_before_a_receipt_does_nothing_after_it(stack: Stack) -> None:
    partner, _key = await register_partner(stack.http, stack.staff)
    today = datetime.now(UTC).date()
    serial_id = _title(stack, partner["code"], first_year=today.year - 1)
    serial_claims.ensure_year(stack.engine, serial_id, today.year - 1)
    seen = _issues(stack, serial_id)[0]
    assert seen.state == EXPECTED
    # The receipt commits between the claim's reading and its UPDATE.
    with session_scope(stack.engine) as session:
        session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.id) == seen.id, col(SerialIssue.state) == EXPECTED)
            .values(state=RECEIVED, received_on=today, copies_received=1)
        )
    with Session(stack.engine) as session:
        title = session.get(SerialTitle, serial_id)
        assert title is not None
        session.expunge(title)
    assert serial_claims.claim_once(stack.engine, title, seen, 1, today, partner["code"]) is None
    [now] = [i for i in _issues(stack, serial_id) if i.id == seen.id]
    assert (now.state, now.claims) == (RECEIVED, 0)
    assert _claim_notices(stack, serial_id) == [], "no notice for a claim that lost"
    # A claim that wins first: the receipt's conditional UPDATE from claimed still goes through.
    other = _issues(stack, serial_id)[1]
    notice = serial_claims.claim_once(stack.engine, title, other, 1, today, partner["code"])
    assert notice is not None
    with session_scope(stack.engine) as session:
        won = session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.id) == other.id, col(SerialIssue.state) == CLAIMED)
            .values(state=RECEIVED, received_on=today, copies_received=1)
        )
        assert won.rowcount == 1  # type: ignore[attr-defined]
    assert serial_claims.claim_once(stack.engine, title, other, 1, today, partner["code"]) is None


async def test_the_workflow_claims_and_delivers_to_the_webhook(
    stack: Stack, receiver: Receiver
) -> None:
    partner, _key = await register_partner(stack.http, stack.staff, webhook_url=receiver.url)
    today = datetime.now(UTC).date()
    year = today.year
    serial_id = _title(stack, partner["code"], first_year=year, issn="0028-0836")
    ctx = Context(stack.engine, stack.client, stack.settings)
    await serial_runs.start(ctx, serial_id, year)
    await serial_runs.start(ctx, serial_id, year)  # a second start leaves the run alone
    # The issues whose claim day is past (30 days after the end of their month) are claimed.
    due = [
        e
        for e in serial_claims.predict(
            *serial_claims.pattern(_title_row(stack, serial_id)), year, 30
        )
        if e.claim_on <= today
    ]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while len(_delivered(stack, serial_id)) < len(due):
        assert loop.time() < deadline, "the claims were not delivered"
        await asyncio.sleep(0.2)
    notices = _claim_notices(stack, serial_id)
    assert len(notices) == len(due) and len(receiver.accepted()) >= len(due)
    handle = stack.client.get_workflow_handle(serial_workflow_id(serial_id))
    status = await handle.query("status", result_type=SerialStatus)
    assert status.year == year and status.state == "active"
    assert status.next_wake is not None and date.fromisoformat(status.next_wake) > today
    # A receipt does not wake the run (its next wake finds the issue received): no signal.
    before = await _signals(handle)
    await serial_runs.poke(ctx, serial_id, "receipt")
    assert await _signals(handle) == before
    # An edit makes the run ask again; nothing new is claimed on the same day.
    await serial_runs.poke(ctx, serial_id, "issue edited")
    assert await _signals(handle) == before + 1
    await asyncio.sleep(1.0)
    assert len(_claim_notices(stack, serial_id)) == len(due)
    await serial_runs.poke(ctx, 10**9, "issue edited")  # no such run: logged, not raised
    await handle.terminate("test over")


async def _signals(handle: WorkflowHandle[Any, Any]) -> int:
    """The signals the run's history holds so far."""
    history = await handle.fetch_history()
    return sum(
        1 for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    )


def _title_row(stack: Stack, serial_id: int) -> SerialTitle:
    with Session(stack.engine) as session:
        title = session.get(SerialTitle, serial_id)
        assert title is not None
        session.expunge(title)
        return title


def _delivered(stack: Stack, serial_id: int) -> set[int]:
    with Session(stack.engine) as session:
        return set(
            session.exec(
                select(WebhookDelivery.notice_id)
                .join(Notice, col(Notice.id) == col(WebhookDelivery.notice_id))
                .where(col(Notice.serial_id) == serial_id, col(WebhookDelivery.succeeded))
            )
        )
