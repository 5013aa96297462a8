"""The projection the worker's activities write: steps, revisions and notices, each once.

The exchange workflow sends each step to ``projection.apply_step`` with its ``seq``; a retried
activity sends it again. Here the tests play the workflow's part, on both databases: every
write happens once, and its side effects (reservations, claims, ledger) go with it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from services.exchange.models import (
    Claim,
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    LedgerEntry,
    Notice,
)
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.fund import DepositIn
from services.exchange.service import fund, projection, reports
from tests.fast.conftest import HOME_CODE, STAFF, Database, insert_exchange, new_partner
from workflows.exchange import types as wf
from workflows.exchange.types import LineQuantity, ReceivedLine, StepRecord


def _at(minute: int) -> str:
    return datetime(2026, 11, 21, 10, minute, tzinfo=UTC).isoformat()


def _step(exchange_id: str, seq: int, step: str, state: str, **details: Any) -> StepRecord:
    """The record the workflow sends for step ``seq``, written at minute ``seq``."""
    return StepRecord(exchange_id, seq, step, state, actor="staff:test", at=_at(seq), **details)


def _events(db: Database, exchange_id: str) -> list[tuple[int, str, str]]:
    with Session(db.engine) as session:
        rows = session.exec(
            select(ExchangeEvent.seq, ExchangeEvent.step, ExchangeEvent.state)
            .where(col(ExchangeEvent.exchange_id) == exchange_id)
            .order_by(col(ExchangeEvent.seq))
        ).all()
    return [(seq, step, state) for seq, step, state in rows]


def _lines(db: Database, exchange_id: str) -> list[ExchangeLine]:
    with Session(db.engine) as session:
        return list(
            session.exec(
                select(ExchangeLine)
                .where(col(ExchangeLine.exchange_id) == exchange_id)
                .order_by(col(ExchangeLine.position))
            )
        )


def _available(db: Database, item_id: int) -> tuple[int, int, int]:
    (item,) = fund.items(db.engine, [item_id])
    return item.copies_reserved, item.copies_shipped, item.copies_available


def _fund_item(db: Database, copies: int) -> int:
    item, _ = fund.deposit(db.engine, DepositIn(title="Atlas", copies=copies), retention=2)
    return item.id


def test_a_step_retried_is_written_once(database: Database) -> None:
    _partner, caller = new_partner(database)
    exchange_id, lines = insert_exchange(
        database, caller, "incoming", [LineIn(title="A", quantity=2), LineIn(title="B", quantity=1)]
    )
    accept = _step(exchange_id, 2, "accept", wf.ACCEPTED, accepted=[LineQuantity(lines[0], 1)])
    assert projection.apply_step(database.engine, accept) is True
    assert projection.apply_step(database.engine, accept) is False
    assert _events(database, exchange_id) == [(1, "propose", "proposed"), (2, "accept", "accepted")]
    assert [line.accepted_quantity for line in _lines(database, exchange_id)] == [1, 0]
    with Session(database.engine) as session:
        exchange = session.get(Exchange, exchange_id)
    assert exchange is not None and exchange.state == wf.ACCEPTED
    updated = exchange.updated_at
    assert (updated if updated.tzinfo else updated.replace(tzinfo=UTC)).isoformat() == _at(2)

    with pytest.raises(LookupError):
        projection.apply_step(database.engine, _step("no-such-exchange", 2, "accept", "accepted"))


def test_two_retries_racing_write_the_step_once(database: Database) -> None:
    _partner, caller = new_partner(database)
    exchange_id, _ = insert_exchange(database, caller, "incoming", [LineIn(title="A", quantity=1)])
    decline = _step(exchange_id, 2, "decline", wf.DECLINED, decline_reason="held already")
    results: list[bool] = []
    start = threading.Barrier(3)

    def retry() -> None:
        start.wait()
        results.append(projection.apply_step(database.engine, decline))

    threads = [threading.Thread(target=retry) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, False, True]
    assert _events(database, exchange_id)[1:] == [(2, "decline", "declined")]


def test_an_outgoing_exchange_moves_its_fund_copies_claims_and_ledger(database: Database) -> None:
    partner, caller = new_partner(database)
    atlas, kamus = _fund_item(database, 6), _fund_item(database, 5)  # 4 and 3 available
    exchange_id, (a, b) = insert_exchange(
        database,
        caller,
        "outgoing",
        [
            LineIn(
                title="Atlas",
                record_id=atlas,
                quantity=3,
                unit_value=Decimal("150000"),
                currency="IDR",
            ),
            LineIn(title="Kamus", record_id=kamus, quantity=2),
        ],
    )
    engine = database.engine
    assert _available(database, atlas) == (3, 0, 1)

    steps = [
        _step(
            exchange_id, 2, "accept", wf.ACCEPTED, accepted=[LineQuantity(a, 2), LineQuantity(b, 2)]
        ),
        _step(
            exchange_id,
            3,
            "ship",
            wf.SHIPPED,
            shipment=wf.ShipmentDetails("Pos Indonesia", "EE1ID", 1, "2026-11-21"),
        ),
        _step(
            exchange_id,
            4,
            "receive",
            wf.RECEIVED,
            received=[ReceivedLine(a, 2, damaged=1), ReceivedLine(b, 1)],
            received_on="2026-11-25",
            claims=[
                wf.ClaimState("c1", wf.CLAIM_DAMAGED, wf.CLAIM_OPEN, a, 1),
                wf.ClaimState("c2", wf.CLAIM_MISSING, wf.CLAIM_OPEN, b, 1, "one copy short"),
            ],
        ),
        _step(
            exchange_id,
            5,
            "claim_answer",
            wf.RECEIVED,
            claims=[wf.ClaimState("c2", wf.CLAIM_MISSING, wf.CLAIM_WRITTEN_OFF, b, 1)],
        ),
        _step(exchange_id, 6, "complete", wf.COMPLETED, completed_on="2026-12-01"),
    ]
    for step in steps:
        assert projection.apply_step(engine, step) is True
        assert projection.apply_step(engine, step) is False, f"{step.step} retried"
        if step.step == "accept":
            assert _available(database, atlas) == (2, 0, 2), "the copy not accepted goes back"
            assert _available(database, kamus) == (2, 0, 1)
        if step.step == "ship":
            assert _available(database, atlas) == (0, 2, 2), "shipped copies leave the fund"
            assert _available(database, kamus) == (0, 2, 1)

    with Session(engine) as session:
        exchange = session.get(Exchange, exchange_id)
        claims = session.exec(
            select(Claim).where(col(Claim.exchange_id) == exchange_id).order_by(col(Claim.claim_no))
        ).all()
        ledger = session.exec(
            select(LedgerEntry).where(col(LedgerEntry.exchange_id) == exchange_id)
        ).all()
    assert exchange is not None and exchange.state == wf.COMPLETED
    assert exchange.shipment == {
        "carrier": "Pos Indonesia",
        "tracking": "EE1ID",
        "parcels": 1,
        "shipped_on": "2026-11-21",
    }
    assert (str(exchange.received_on), str(exchange.completed_on)) == ("2026-11-25", "2026-12-01")
    assert [(line.received, line.damaged) for line in _lines(database, exchange_id)] == [
        (2, 1),
        (1, 0),
    ]
    assert [(c.claim_no, c.kind, c.state, c.copies) for c in claims] == [
        ("c1", "damaged", "open", 1),
        ("c2", "missing", "written_off", 1),
    ]
    assert claims[0].settled_at is None and claims[1].settled_at is not None
    assert claims[1].note == "one copy short", "a settlement without a note keeps the old one"
    # Outgoing: the ledger counts copies accepted, one entry per currency.
    assert sorted((e.currency, e.titles, e.copies, e.value, e.year) for e in ledger) == [
        ("", 1, 2, None, 2026),
        ("IDR", 1, 2, Decimal("300000.00"), 2026),
    ]
    balance = reports.balance(engine, STAFF, partner.code, 2026)
    assert (balance.sent.exchanges, balance.sent.titles, balance.sent.copies) == (1, 2, 4)
    assert balance.sent.value == {"IDR": Decimal("300000.00")}
    assert balance.received.copies == 0 and balance.balance_copies == 4
    assert balance.quota.yearly == 500 and balance.quota.sent == 4
    assert len(_events(database, exchange_id)) == 6


@pytest.mark.parametrize(
    ("step", "state", "reason"),
    [
        ("decline", wf.DECLINED, "decline_reason"),
        ("expire", wf.EXPIRED, None),
        ("cancel", wf.CANCELLED, "cancel_reason"),
    ],
)
def test_ending_before_shipment_gives_every_copy_back(
    database: Database, step: str, state: str, reason: str | None
) -> None:
    _partner, caller = new_partner(database)
    item = _fund_item(database, 5)
    exchange_id, _ = insert_exchange(
        database, caller, "outgoing", [LineIn(title="X", record_id=item, quantity=3)]
    )
    assert _available(database, item) == (3, 0, 0)
    details = {reason: "no budget"} if reason else {}
    assert projection.apply_step(database.engine, _step(exchange_id, 2, step, state, **details))
    assert _available(database, item) == (0, 0, 3)
    with Session(database.engine) as session:
        exchange = session.get(Exchange, exchange_id)
    assert exchange is not None and exchange.state == state
    if reason:
        assert getattr(exchange, reason) == "no budget"


def test_a_revision_replaces_the_lines_and_their_reservations_once(database: Database) -> None:
    _partner, caller = new_partner(database)
    old, new = _fund_item(database, 4), _fund_item(database, 5)  # 2 and 3 available
    exchange_id, _ = insert_exchange(
        database, caller, "outgoing", [LineIn(title="Old", record_id=old, quantity=2)]
    )
    revision = wf.RevisionRecord(
        exchange_id,
        2,
        "staff:test",
        _at(2),
        [
            wf.LineSpec("New", 3, record_id=new, unit_value="10.50", currency="EUR"),
            wf.LineSpec("Free", 1),
        ],
    )
    offers = projection.apply_revision(database.engine, revision)
    assert [o.quantity for o in offers] == [3, 1]
    assert _available(database, old) == (0, 0, 2) and _available(database, new) == (3, 0, 0)
    lines = _lines(database, exchange_id)
    assert [(line.id, line.title, line.unit_value) for line in lines] == [
        (offers[0].line_id, "New", Decimal("10.50")),
        (offers[1].line_id, "Free", None),
    ]
    again = projection.apply_revision(database.engine, revision)
    assert [(o.line_id, o.quantity) for o in again] == [(o.line_id, o.quantity) for o in offers]
    assert _available(database, new) == (3, 0, 0), "the retry reserved nothing more"
    assert _events(database, exchange_id) == [(1, "propose", "proposed"), (2, "revise", "proposed")]

    too_many = wf.RevisionRecord(
        exchange_id, 3, "staff:test", _at(3), [wf.LineSpec("Old", 3, record_id=old)]
    )
    with pytest.raises(fund.FundError) as refused:
        projection.apply_revision(database.engine, too_many)
    assert refused.value.kind == "insufficient-copies"
    assert [line.id for line in _lines(database, exchange_id)] == [o.line_id for o in offers]
    assert _available(database, new) == (3, 0, 0) and len(_events(database, exchange_id)) == 2


def test_notices_are_kept_once_and_say_whether_to_deliver(database: Database) -> None:
    hooked, hooked_caller = new_partner(database, webhook_url="https://93.184.215.14/hooks")
    plain, plain_caller = new_partner(database)
    engine = database.engine
    first, _ = insert_exchange(database, hooked_caller, "incoming", [LineIn(title="A", quantity=1)])
    second, _ = insert_exchange(database, plain_caller, "incoming", [LineIn(title="A", quantity=1)])

    notice = wf.NoticeInput(first, 2, hooked.code, "proposal", _at(2), note="3 lines")
    assert projection.record_notice(engine, notice) == (True, True)
    assert projection.record_notice(engine, notice) == (False, True), "a retry writes nothing"
    assert projection.record_notice(
        engine, wf.NoticeInput(second, 2, plain.code, "proposal", _at(2))
    ) == (True, False)
    ours = wf.NoticeInput(second, 3, HOME_CODE, "reminder", _at(3))
    assert projection.record_notice(engine, ours) == (True, False), "our side has no webhook"

    with Session(engine) as session:
        kept = session.exec(select(Notice).where(col(Notice.exchange_id) == first)).all()
        history = session.exec(
            select(ExchangeEvent).where(
                col(ExchangeEvent.exchange_id) == first, col(ExchangeEvent.seq) == 2
            )
        ).one()
        total = session.exec(select(func.count()).where(col(Notice.exchange_id) == second)).one()
    assert [(n.seq, n.party, n.event, n.note) for n in kept] == [
        (2, hooked.code, "proposal", "3 lines")
    ]
    assert (history.step, history.actor, history.state) == ("notice", "system", "proposed")
    assert history.note == f"proposal notice for {hooked.code}: 3 lines"
    assert total == 2
