"""Wish lists matched against offer lists and deposits, on both databases.

The lists are written as rows (as H1's publishing leaves them: a list, its addressees, its
items); the wishes go through ``service.wishes``, deposits through ``service.fund``, and the
notices through ``service.list_notices``: all real, against the real tables.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import Notice
from services.exchange.offer_models import OfferItem, OfferList, OfferListAddressee, WishHit
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn
from services.exchange.schemas.wishlists import WishIn
from services.exchange.service import fund, wish_matching, wishes
from services.exchange.service.keys import Caller
from services.exchange.service.wish_matching import parse_volumes
from services.exchange.storage.db import session_scope
from tests.fast.conftest import HOME_CODE, STAFF, Database, new_partner, unique_isbn


def _issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    return f"{digits[:4]}-{digits[4:]}{'0123456789X'[(11 - total % 11) % 11]}"


def _isbn10(isbn13: str) -> str:
    core = isbn13[3:12]
    check = sum((10 - i) * int(d) for i, d in enumerate(core)) % 11
    return core + "0123456789X"[(11 - check) % 11]


def _list(
    db: Database,
    direction: str,
    items: list[dict[str, Any]],
    addressees: list[int] = (),  # type: ignore[assignment]
    partner_id: int | None = None,
) -> tuple[str, list[int]]:
    list_id = str(uuid.uuid4())
    with session_scope(db.engine) as session:
        session.add(
            OfferList(
                id=list_id,
                number=f"OL-T-{uuid.uuid4().hex[:8]}",
                direction=direction,
                partner_id=partner_id,
                title="Duplicates",
                state="published",
                closes_on=date.today() + timedelta(days=30),
                created_by=STAFF.actor,
                published_at=datetime.now(UTC),
            )
        )
        session.flush()
        for code in addressees:
            session.add(OfferListAddressee(list_id=list_id, partner_id=code))
        rows = [
            OfferItem(list_id=list_id, position=n, copies=1, **fields)
            for n, fields in enumerate(items, start=1)
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id or 0 for row in rows]
    return list_id, ids


def _wish(db: Database, caller: Caller, code: str | None, **fields: Any) -> int:
    return wishes.add_wish(db.engine, caller, code, WishIn.model_validate(fields)).id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vols 12–18", (12, 18, None, None)),
        ("v. 12-18", (12, 18, None, None)),
        ("12", (12, 12, None, None)),
        ("2019–2023", (None, None, 2019, 2023)),
        ("2019-", (None, None, 2019, None)),
        ("2019–23", (None, None, 2019, 2023)),
        ("vols 12–18 (2019–2023)", (12, 18, 2019, 2023)),
        ("all issues", (None, None, None, None)),
        (None, (None, None, None, None)),
    ],
)
def test_volumes_are_read_as_a_librarian_types_them(
    text: str | None, expected: tuple[int | None, ...]
) -> None:
    assert parse_volumes(text) == expected


def test_an_outgoing_list_meets_its_addressees_wishes_once(database: Database) -> None:
    one, one_caller = new_partner(database)
    two, two_caller = new_partner(database)
    three, three_caller = new_partner(database)
    assert one_caller.partner_id and two_caller.partner_id and three_caller.partner_id
    isbn, other_isbn, wished_isbn, issn = unique_isbn(), unique_isbn(), unique_isbn(), _issn()
    tag = uuid.uuid4().hex[:8]
    list_id, (i1, i2, i3, i4, i5) = _list(
        database,
        "outgoing",
        [
            {"title": "Atlas", "isbn": isbn},
            {"title": "Voprosy istorii. Vol. 15", "issn": issn, "year": 2021},
            {"title": "Voprosy istorii", "issn": issn, "year": 2015},
            {"title": f"Babad Tanah {tag} : kisah", "author": "Olthof, W. L."},
            {"title": f"Serat {tag}", "isbn": other_isbn},
        ],
        addressees=[one_caller.partner_id, two_caller.partner_id],
    )
    by_isbn10 = _wish(database, one_caller, one.code, isbn=_isbn10(isbn))
    by_range = _wish(database, one_caller, one.code, issn=issn, volumes="2019–2023")
    by_title = _wish(database, two_caller, two.code, title=f"babad tanah {tag}", author="Olthof")
    _wish(database, two_caller, two.code, title=f"Serat {tag}", isbn=wished_isbn)  # other ed.
    _wish(database, two_caller, two.code, title=f"Babad Tanah {tag}", author="Ricklefs")
    _wish(database, three_caller, three.code, isbn=isbn)  # not addressed
    _wish(database, STAFF, None, isbn=isbn)  # ours: not for our own list

    with session_scope(database.engine) as session:
        found = wish_matching.match_list(session, list_id)
    assert found == {one_caller.partner_id: 2, two_caller.partner_id: 1}
    with session_scope(database.engine) as session:
        assert wish_matching.match_list(session, list_id) == {}, "matching again: nothing new"
    with Session(database.engine) as session:
        assert wish_matching.wished_item_ids(session, list_id, one_caller.partner_id) == {i1, i2}
        assert wish_matching.wished_item_ids(session, list_id, two_caller.partner_id) == {i4}
        assert wish_matching.wished_item_ids(session, list_id, None) == set()
        points = {
            wish_id: point
            for wish_id, point in session.execute(
                select(col(WishHit.wish_item_id), col(WishHit.match)).where(
                    col(WishHit.list_id) == list_id
                )
            )
        }
    assert points == {by_isbn10: "isbn", by_range: "issn", by_title: "title"}
    assert i3 not in {i1, i2} and i5 not in {i4}, "out of range, another edition: no hit"

    listed = wishes.list_wishes(database.engine, one_caller, one.code, 10, 0)
    assert {w.id: w.hits for w in listed.items} == {by_isbn10: 1, by_range: 1}

    later = _wish(database, two_caller, two.code, isbn=isbn)
    with session_scope(database.engine) as session:
        assert wish_matching.match_list(session, list_id) == {two_caller.partner_id: 1}
    assert later

    ids = wishes.notify_list(database.engine, list_id, HOME_CODE)
    assert len(ids) == 2
    assert wishes.notify_list(database.engine, list_id, HOME_CODE) == [], "told once"
    with Session(database.engine) as session:
        notices = {n.party: n for n in session.exec(select(Notice).where(col(Notice.id).in_(ids)))}
    assert set(notices) == {one.code, two.code}
    told = notices[two.code]
    assert (told.event, told.key, told.offer_list_id) == (
        "wishlist_hits",
        f"wishes:list:{list_id}:{two.code}",
        list_id,
    )
    assert told.note_params is not None and told.note_params["n"] == 2
    assert told.note is not None and told.note.startswith("2 items from your wish list are")
    assert notices[one.code].note_params == {
        "n": 2,
        "list": notices[one.code].note_params["list"],  # type: ignore[index]
        "title": "Duplicates",
    }


def test_a_partners_list_meets_our_wish_list(database: Database) -> None:
    partner, caller = new_partner(database)
    isbn = unique_isbn()
    list_id, (item,) = _list(
        database, "incoming", [{"title": "Istoriya", "isbn": isbn}], partner_id=caller.partner_id
    )
    ours = _wish(database, STAFF, None, isbn=isbn)
    _wish(database, caller, partner.code, isbn=isbn)  # the offering partner's own wish
    with session_scope(database.engine) as session:
        assert wish_matching.match_list(session, list_id) == {None: 1}
    with Session(database.engine) as session:
        assert wish_matching.wished_item_ids(session, list_id, None) == {item}
    ids = wishes.notify_list(database.engine, list_id, HOME_CODE)
    with Session(database.engine) as session:
        notice = session.get(Notice, ids[0])
    assert notice is not None and notice.party == HOME_CODE
    assert notice.key == f"wishes:list:{list_id}:{HOME_CODE}"
    assert ours in {w.id for w in wishes.list_wishes(database.engine, STAFF, None, 500, 0).items}


def test_a_deposit_meets_partners_wishes_in_its_transaction(database: Database) -> None:
    partner, caller = new_partner(database)
    other, other_caller = new_partner(database)
    isbn = unique_isbn()
    wish = _wish(database, caller, partner.code, isbn=_isbn10(isbn), note="for the reading room")
    _wish(database, STAFF, None, isbn=isbn)  # ours: a deposit is ours already
    item, _ = fund.deposit(database.engine, DepositIn(title="Peta", isbn=isbn, copies=4), 2)
    with Session(database.engine) as session:
        hits = list(session.exec(select(WishHit).where(col(WishHit.fund_item_id) == item.id)))
    assert [(h.wish_item_id, h.partner_id, h.match) for h in hits] == [
        (wish, caller.partner_id, "isbn")
    ]
    with session_scope(database.engine) as session:
        assert wish_matching.match_deposit(session, item.id) == {}, "written once"

    ids = wishes.notify_deposit(database.engine, item.id)
    assert len(ids) == 1 and wishes.notify_deposit(database.engine, item.id) == []
    with Session(database.engine) as session:
        notice = session.get(Notice, ids[0])
    assert notice is not None
    assert (notice.party, notice.event, notice.key, notice.note_id) == (
        partner.code,
        "wishlist_hits",
        f"wishes:deposit:{item.id}:{partner.code}",
        "wishlist_hits_deposit",
    )
    assert notice.note_params == {"n": 1, "title": "Peta"}
    assert notice.exchange_id is None and notice.offer_list_id is None

    title_wish = _wish(database, other_caller, other.code, title="Peta")
    fund.deposit(database.engine, DepositIn(title="Peta", isbn=isbn, copies=1), 2)
    with Session(database.engine) as session:
        again = session.exec(
            select(WishHit).where(
                col(WishHit.fund_item_id) == item.id, col(WishHit.wish_item_id) == title_wish
            )
        ).one()
    assert again.match == "title", "deposited again: the new wish is met"

    wishes.remove_wish(database.engine, other_caller, other.code, title_wish)
    fresh, created = fund.deposit(database.engine, DepositIn(title="Peta", copies=1), 2)
    with Session(database.engine) as session:
        gone = session.exec(
            select(WishHit).where(
                col(WishHit.fund_item_id) == fresh.id,
                col(WishHit.partner_id) == other_caller.partner_id,
            )
        ).all()
    assert created and gone == [], "a removed wish is met no more"


def test_wishes_are_their_owners_and_ranges_must_make_sense(database: Database) -> None:
    partner, caller = new_partner(database)
    _, stranger = new_partner(database)
    wish = _wish(database, caller, partner.code, issn=_issn(), volumes="v. 3-9")
    listed = wishes.list_wishes(database.engine, caller, partner.code, 10, 0)
    assert [(w.volume_from, w.volume_to, w.partner) for w in listed.items] == [(3, 9, partner.code)]
    for call in (
        lambda: wishes.list_wishes(database.engine, stranger, partner.code, 10, 0),
        lambda: wishes.remove_wish(database.engine, stranger, partner.code, wish),
        lambda: wishes.list_wishes(database.engine, caller, None, 10, 0),
        lambda: wishes.remove_wish(database.engine, STAFF, None, wish),
    ):
        with pytest.raises(Problem) as hidden:
            call()
        assert hidden.value.status == 404
    with pytest.raises(Problem) as backwards:
        _wish(database, caller, partner.code, title="Jurnal", volumes="2023–2019")
    assert backwards.value.status == 422 and "volumes" in backwards.value.detail
    wishes.remove_wish(database.engine, caller, partner.code, wish)
    assert wishes.list_wishes(database.engine, caller, partner.code, 10, 0).total == 0


def test_a_long_list_writes_its_many_hits(database: Database) -> None:
    """5 partners wishing for a title that 1,000 items of one list carry: 5,000 hits, more
    than one statement may bind on SQLite."""
    tag = uuid.uuid4().hex[:8]
    callers = [new_partner(database) for _ in range(5)]
    for created, caller in callers:
        _wish(database, caller, created.code, title=f"Kompas {tag}")
    ids = [caller.partner_id or 0 for _, caller in callers]
    items = [{"title": f"Kompas {tag}. Vol. {n}"} for n in range(1, 1001)]
    list_id, _ = _list(database, "outgoing", items, addressees=ids)
    with session_scope(database.engine) as session:
        assert wish_matching.match_list(session, list_id) == dict.fromkeys(ids, 1000)
    with Session(database.engine) as session:
        assert len(wish_matching.wished_item_ids(session, list_id, ids[4])) == 1000
