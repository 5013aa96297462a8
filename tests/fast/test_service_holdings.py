"""The holdings check of a partner's list against our catalogue, on both databases.

The catalogue is filled the way production fills it: MARC files staged and committed (the
import's own keys in ``record_key``); the list is rows as publishing leaves them. Then each
item says what we hold: exactly (ISBN in either form, ISSN, a 035-style control number, the
partner's own bare 001), possibly (title, author and year), or nothing; and a list of
thousands of items is checked in a handful of queries.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from services.exchange.models import RecordKey
from services.exchange.offer_models import OfferItem, OfferList
from services.exchange.service import holdings
from services.exchange.storage.db import session_scope
from tests.catalogue_support import book, isbn10_of, tag, unique_isbn, unique_issn
from tests.fast.conftest import Database, new_batch, new_partner
from tests.fast.staging_support import commit_all, stage, write_file


def _import(db: Database, path: Path, records: list[bytes]) -> None:
    batch_id = new_batch(db, write_file(path, records))
    stage(db, batch_id)
    commit_all(db, batch_id)


def _record_of(db: Database, key: str) -> int:
    with Session(db.engine) as session:
        return session.exec(select(RecordKey.record_id).where(col(RecordKey.key) == key)).one()


def _incoming(db: Database, partner_id: int | None, items: list[dict[str, Any]]) -> str:
    list_id = str(uuid.uuid4())
    with session_scope(db.engine) as session:
        session.add(
            OfferList(
                id=list_id,
                direction="incoming",
                partner_id=partner_id,
                title="Dublety",
                state="published",
                closes_on=date.today() + timedelta(days=30),
                created_by="partner",
            )
        )
        session.flush()
        session.add_all(
            OfferItem(list_id=list_id, position=n, copies=1, **fields)
            for n, fields in enumerate(items, start=1)
        )
    return list_id


def _check(db: Database, list_id: str) -> list[OfferItem]:
    with session_scope(db.engine) as session:
        items = list(
            session.exec(
                select(OfferItem)
                .where(col(OfferItem.list_id) == list_id)
                .order_by(col(OfferItem.position))
            )
        )
        holdings.check_items(session, items)
    with Session(db.engine) as session:
        return list(
            session.exec(
                select(OfferItem)
                .where(col(OfferItem.list_id) == list_id)
                .order_by(col(OfferItem.position))
            )
        )


def test_each_item_says_what_we_hold_and_how_sure(database: Database, tmp_path: Path) -> None:
    word = tag()
    isil = f"RU-{uuid.uuid4().hex[:6].upper()}"
    _, caller = new_partner(database, isil=isil)
    typed_isbn, isbn = unique_isbn()
    issn = unique_issn()
    records = [
        book(f"Istoriya {word}", author="Kovkel, I. I.", isbn=typed_isbn, year=2000),
        book(f"Zhurnal {word}", issn=issn),
        book(f"Kronika {word}", control=f"c{word}", agency="RuMoRGB"),
        book(f"Letopis {word}", control=f"p{word}", agency=isil),
        book(f"Hikayat {word}", author="Hamzah, Amir", year=1998),
    ]
    _import(database, tmp_path / "first.mrc", [r.as_marc() for r in records])
    # The same book again, from another file: merged, two copies now.
    _import(database, tmp_path / "again.mrc", [records[0].as_marc()])
    by_isbn = _record_of(database, f"isbn:{isbn}")
    possible = _record_of(database, f"tay:hikayat {word}|hamzah|1998")

    list_id = _incoming(
        database,
        caller.partner_id,
        [
            {"title": f"Istoriya {word}", "isbn": isbn10_of(isbn)},
            {"title": "Zhurnal", "issn": issn.replace("-", "")},
            {"title": "Kronika", "control_number": f"(RuMoRGB)c{word}"},
            {"title": "Letopis", "control_number": f"p{word}"},
            {"title": f"Hikayat {word} : sebuah roman", "author": "Hamzah, A.", "year": 1998},
            {"title": f"Hikayat {word}", "author": "Hamzah, Amir", "year": 1999},
            {"title": f"Nothing {word}", "isbn": unique_isbn()[1]},
            {"title": "Letopis", "control_number": f"c{word}"},  # not the partner's number
        ],
    )
    checked = _check(database, list_id)
    found = [(i.held_match, i.held_copies) for i in checked]
    assert found == [
        ("exact", 2),
        ("exact", 1),
        ("exact", 1),
        ("exact", 1),
        ("possible", 1),
        (None, 0),
        (None, 0),
        (None, 0),
    ]
    assert checked[0].held_record_id == by_isbn
    assert checked[4].held_record_id == possible
    assert checked[5].held_record_id is None


def test_a_long_list_is_checked_in_bulk(database: Database, tmp_path: Path) -> None:
    word = tag()
    typed_isbn, isbn = unique_isbn()
    _import(database, tmp_path / "one.mrc", [book(f"Satu {word}", isbn=typed_isbn).as_marc()])
    items: list[dict[str, Any]] = [
        {"title": f"Buku {n} {word}", "isbn": unique_isbn()[1], "author": "Anon", "year": 2001}
        for n in range(1200)
    ]
    items[700] = {"title": f"Satu {word}", "isbn": isbn}
    list_id = _incoming(database, None, items)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    with session_scope(database.engine) as session:
        rows = list(session.exec(select(OfferItem).where(col(OfferItem.list_id) == list_id)))
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            holdings.check_items(session, rows)
            checked = {row.position: (row.held_match, row.held_copies) for row in rows}
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 12, f"{len(selects)} queries for 1,200 items"
    assert checked[701] == ("exact", 1)
    assert sum(1 for match, _ in checked.values() if match) == 1
