"""The exchange fund through the service layer: deposits, the retention rule, reservations.

``EXCHANGE_RETENTION_COPIES`` copies of each deposited publication stay in the library; the
rest are the fund. Reservations hold copies for the lines of an outgoing proposal and are
released or consumed as it goes on, by conditional UPDATEs that never oversell, on both
databases (``test_lifecycle`` checks the same over HTTP and Temporal).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import Reservation
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.fund import DepositIn, FundItemOut
from services.exchange.service import fund
from services.exchange.storage.db import session_scope
from tests.fast.conftest import Database, insert_exchange, new_partner, unique_isbn


def _deposit(db: Database, copies: int, **fields: object) -> FundItemOut:
    body = DepositIn.model_validate({"title": "Kamus Besar", "copies": copies, **fields})
    item, _new = fund.deposit(db.engine, body, db.settings.retention_copies)
    return item


def _item(db: Database, item_id: int) -> FundItemOut:
    (found,) = fund.items(db.engine, [item_id])
    return found


def _unique_issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    check = -sum(int(d) * (8 - i) for i, d in enumerate(digits)) % 11
    return digits + ("X" if check == 10 else str(check))


def _counts(item: FundItemOut) -> tuple[int, int, int, int, int]:
    return (
        item.copies_received,
        item.copies_retained,
        item.copies_reserved,
        item.copies_shipped,
        item.copies_available,
    )


def test_deposits_accumulate_and_keep_the_retained_copies(database: Database) -> None:
    isbn = unique_isbn()
    assert database.settings.retention_copies == 2
    first, created = fund.deposit(
        database.engine, DepositIn(title="KBBI", isbn=isbn, copies=1), retention=2
    )
    assert created and first.isbn == isbn
    assert _counts(first) == (1, 1, 0, 0, 0), "a single copy is kept, none to exchange"
    hyphenated = f"{isbn[:3]}-{isbn[3:6]}-{isbn[6:]}"
    again, created = fund.deposit(
        database.engine, DepositIn(title="KBBI (cetakan ulang)", isbn=hyphenated, copies=4), 2
    )
    assert not created and again.id == first.id and again.title == "KBBI"
    assert _counts(again) == (5, 2, 0, 0, 3)
    listed = fund.list_fund(
        database.engine, q=None, isbn=hyphenated, available_only=True, limit=10, offset=0
    )
    assert [i.id for i in listed.items] == [first.id] and listed.total == 1

    issn = _unique_issn()
    issn_item = _deposit(database, 3, issn=f"{issn[:4]}-{issn[4:]}")
    same = _deposit(database, 1, issn=issn)
    assert issn_item.issn == same.issn
    assert same.id == issn_item.id and same.copies_received == 4
    keep_all, _ = fund.deposit(database.engine, DepositIn(title="Unique", copies=3), retention=5)
    assert _counts(keep_all) == (3, 3, 0, 0, 0), "retention larger than the deposit"
    none_kept, _ = fund.deposit(database.engine, DepositIn(title="Unique", copies=3), retention=0)
    assert none_kept.id != keep_all.id, "no identifier: a new item each time"
    assert _counts(none_kept) == (3, 0, 0, 0, 3)


def test_the_fund_is_searched_by_words_and_isbn(database: Database) -> None:
    word = unique_isbn()  # a word no other test's title has
    empty = _deposit(database, 2, title=f"Serat {word} kosong")
    full = _deposit(database, 5, title=f"Babad {word}", author="Anonim")
    found = fund.list_fund(
        database.engine, q=f"{word.lower()}", isbn=None, available_only=False, limit=10, offset=0
    )
    assert [i.id for i in found.items] == [full.id, empty.id], "ordered by title"
    available = fund.list_fund(
        database.engine, q=word, isbn=None, available_only=True, limit=10, offset=0
    )
    assert [i.id for i in available.items] == [full.id]
    by_author = fund.list_fund(
        database.engine, q=f"anonim {word}", isbn=None, available_only=False, limit=10, offset=0
    )
    assert [i.id for i in by_author.items] == [full.id]
    with pytest.raises(Problem) as refused:
        fund.list_fund(
            database.engine, q=None, isbn="not-an-isbn", available_only=False, limit=1, offset=0
        )
    assert (refused.value.status, refused.value.kind) == (422, "validation-error")
    assert [i.id for i in fund.items(database.engine, [full.id, 10**9, empty.id])] == [
        full.id,
        empty.id,
    ], "in the order asked, unknown ids left out"


def test_reservations_are_refused_beyond_what_is_available(database: Database) -> None:
    _partner, caller = new_partner(database)
    a = _deposit(database, 7)  # 5 available
    b = _deposit(database, 4)  # 2 available
    exchange, lines = insert_exchange(
        database,
        caller,
        "outgoing",
        [
            LineIn(title="A", record_id=a.id, quantity=3),
            LineIn(title="B", record_id=b.id, quantity=2),
        ],
    )
    assert _counts(_item(database, a.id))[2:] == (3, 0, 2)
    assert _counts(_item(database, b.id))[2:] == (2, 0, 0)
    with pytest.raises(fund.FundError) as short:
        insert_exchange(
            database, caller, "outgoing", [LineIn(title="B", record_id=b.id, quantity=1)]
        )
    assert short.value.kind == "insufficient-copies" and "0 available" in str(short.value)
    with pytest.raises(fund.FundError) as unknown:
        insert_exchange(
            database, caller, "outgoing", [LineIn(title="?", record_id=10**9, quantity=1)]
        )
    assert unknown.value.kind == "unknown-fund-item" and "line 1" in str(unknown.value)
    # Incoming lines never touch our fund, whatever record they name.
    insert_exchange(database, caller, "incoming", [LineIn(title="B", record_id=b.id, quantity=9)])
    assert _item(database, b.id).copies_reserved == 2

    with session_scope(database.engine) as session:  # the partner accepts 1 of A, none of B
        fund.release(session, exchange, keep={lines[0]: 1})
    assert _counts(_item(database, a.id))[2:] == (1, 0, 4)
    assert _counts(_item(database, b.id))[2:] == (0, 0, 2)
    with session_scope(database.engine) as session:
        fund.consume(session, exchange)  # shipped
    assert _counts(_item(database, a.id)) == (7, 2, 0, 1, 4)
    with Session(database.engine) as session:
        states = session.exec(
            select(Reservation.line_id, Reservation.state, Reservation.copies)
            .where(col(Reservation.exchange_id) == exchange)
            .order_by(col(Reservation.id))
        ).all()
    assert [tuple(s) for s in states] == [(lines[0], "consumed", 1), (lines[1], "released", 2)]
    with session_scope(database.engine) as session:
        fund.release(session, exchange)  # nothing is held any more: nothing changes
    assert _counts(_item(database, a.id)) == (7, 2, 0, 1, 4)


def test_concurrent_proposals_never_reserve_the_same_copy(database: Database) -> None:
    _partner, caller = new_partner(database)
    item = _deposit(database, 5)  # 3 available
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def propose() -> None:
        start.wait()
        try:
            insert_exchange(
                database, caller, "outgoing", [LineIn(title="X", record_id=item.id, quantity=2)]
            )
            outcomes.append("held")
        except fund.FundError as exc:
            outcomes.append(exc.kind)

    threads = [threading.Thread(target=propose) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["held", *["insufficient-copies"] * 3]
    assert _counts(_item(database, item.id))[2:] == (2, 0, 1)
