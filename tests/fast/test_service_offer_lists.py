"""Offer lists through the service layer, on SQLite and PostgreSQL, without HTTP or Temporal.

The service functions that need no workflow are called as the API calls them: a list made
from fund items (its MARC details read), published (the transaction before the workflow's
start), selected from (copies held by conditional UPDATEs, refused when gone, given back when
the selection changes), closed (open selections released, the summary stored once) and a
selection written as an accepted exchange whose cancellation puts the copies back on the
list. The same paths over HTTP with the real workflows are ``tests/test_api_offer_lists.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymarc import Field, Indicators, Record, Subfield
from sqlalchemy import update
from sqlmodel import Session, col, select

from services.exchange.models import (
    AuditEntry,
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    FundItem,
    Reservation,
)
from services.exchange.offer_models import OfferItem, OfferList, OfferSelection
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn, FundItemOut
from services.exchange.schemas.offer_lists import (
    FundPick,
    OfferLineIn,
    OfferListIn,
    OfferListOut,
    PartnerOfferListIn,
    SelectionIn,
)
from services.exchange.schemas.partners import AgreementIn
from services.exchange.service import agreements, fund, offer_list_closing, offer_lists
from services.exchange.service.keys import Caller
from services.exchange.service.selection_exchanges import undo_exchange, write_exchange
from services.exchange.storage.db import session_scope
from tests.fast.conftest import STAFF, Database, new_partner, unique_isbn
from tests.support import AGREEMENT

MARC_FIELDS = {
    "edition": "2nd ed.",
    "place": "Jakarta",
    "pages": "xii, 340 p.",
    "language": "ind",
    "material_type": "book",
    "subject": "94(910)",
}


def _marc(language: str = "ind") -> bytes:
    record = Record(leader="00000nam a2200000 a 4500", force_utf8=True)
    record.add_field(Field(tag="008", data=f"261121s2026    io a          000 0 {language} d"))
    for tag, code, value in (
        ("080", "a", "94(910)"),
        ("245", "a", "Sejarah /"),
        ("250", "a", "2nd ed."),
        ("300", "a", "xii, 340 p. ;"),
    ):
        record.add_field(
            Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield(code, value)])
        )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Jakarta :"), Subfield("b", "Balai Pustaka")],
        )
    )
    return bytes(record.as_marc())


def _deposit(db: Database, copies: int, *, marc: bytes | None = None) -> FundItemOut:
    """A fund item with ``copies`` free (the retained copies are deposited on top)."""
    body = DepositIn.model_validate(
        {
            "title": f"Sejarah {uuid.uuid4().hex[:6]}",
            "isbn": unique_isbn(),
            "author": "Poesponegoro",
            "publisher": "Balai Pustaka",
            "year": 2010,
            "copies": copies + db.settings.retention_copies,
        }
    )
    item, _ = fund.deposit(db.engine, body, db.settings.retention_copies)
    if marc is not None:
        with session_scope(db.engine) as session:
            session.execute(update(FundItem).where(col(FundItem.id) == item.id).values(marc=marc))
    return item


def _fund(db: Database, item_id: int) -> FundItem:
    with Session(db.engine) as session:
        found = session.get(FundItem, item_id)
        assert found is not None
        return found


def _published(
    db: Database, partners: list[str], items: list[FundPick], **fields: object
) -> OfferListOut:
    body = OfferListIn.model_validate(
        {"title": "Duplicates", "partners": partners, "items": items, **fields}
    )
    draft = offer_lists.create_list(db.engine, db.settings, STAFF, body)
    offer_lists.prepare_publish(db.engine, db.settings, STAFF, draft.id)
    return offer_lists.read_list(db.engine, db.settings, STAFF, draft.id)


def _select(db: Database, caller: Caller, list_id: str, picks: dict[int, int]) -> None:
    body = SelectionIn.model_validate(
        {"items": [{"item_id": i, "copies": c} for i, c in picks.items()]}
    )
    offer_lists.set_selection(db.engine, caller, list_id, body)


def test_a_list_takes_the_fund_items_fields_and_their_marc_details(database: Database) -> None:
    partner, _ = new_partner(database)
    plain = _deposit(database, 2)
    described = _deposit(database, 3, marc=_marc())
    body = OfferListIn.model_validate(
        {
            "title": "Autumn duplicates",
            "partners": [partner.code],
            "items": [
                {"fund_item_id": plain.id, "copies": 2},
                {"fund_item_id": described.id, "copies": 1},
            ],
        }
    )
    made = offer_lists.create_list(database.engine, database.settings, STAFF, body)
    assert made.state == "draft" and made.direction == "outgoing"
    assert made.number is not None and made.number.startswith(f"OL-{datetime.now(UTC).year}-")
    weeks = database.settings.offer_list_weeks
    assert made.closes_on == datetime.now(UTC).date() + timedelta(weeks=weeks)
    assert made.addressees == [partner.code] and not made.all_partners
    first, second = sorted(made.item_list, key=lambda i: i.position)
    assert (first.title, first.isbn, first.year, first.copies) == (
        plain.title,
        plain.isbn,
        plain.year,
        2,
    )
    assert first.edition is None and first.copies_available == 2
    details = {name: getattr(second, name) for name in MARC_FIELDS}
    assert details == MARC_FIELDS
    assert made.copies == 3 and made.copies_available == 3
    # Nothing is held by a list: the fund still has every copy.
    assert fund.available_copies(_fund(database, described.id or 0)) == 3


def test_making_publishing_and_closing_a_list_are_audited(database: Database) -> None:
    partner, _ = new_partner(database)
    item = _deposit(database, 1)
    published = _published(
        database, [partner.code], [FundPick(fund_item_id=item.id or 0, copies=1)]
    )
    offer_list_closing.close_list(database.engine, published.id, "system", datetime.now(UTC))
    with Session(database.engine) as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(
                    col(AuditEntry.entity) == "offer_list",
                    col(AuditEntry.entity_key) == published.id,
                )
                .order_by(col(AuditEntry.id))
            )
        )
    assert [e.action for e in entries] == ["created", "published", "closed"]
    assert entries[0].actor == STAFF.actor and entries[2].actor == "system"
    assert entries[1].before and entries[1].before["state"] == "draft"
    assert entries[1].after and entries[1].after["state"] == "published"


@pytest.mark.parametrize(
    ("change", "status", "kind"),
    [
        ({"items": [{"fund_item_id": 2_000_000_000, "copies": 1}]}, 422, "unknown-fund-item"),
        ({"copies": 4}, 422, "insufficient-copies"),
        ({"partners": ["NO-SUCH-PARTNER"]}, 422, "unknown-partner"),
        ({"closes_on": "2020-01-01"}, 422, "validation-error"),
        ({"partners": []}, 422, "validation-error"),
    ],
)
def test_a_list_that_cannot_be_made_is_refused(
    database: Database, change: dict[str, object], status: int, kind: str
) -> None:
    partner, _ = new_partner(database)
    item = _deposit(database, 3)
    change = dict(change)  # the parameters are shared by both backends
    fields: dict[str, object] = {
        "title": "Refused",
        "partners": [partner.code],
        "items": [{"fund_item_id": item.id, "copies": change.pop("copies", 1)}],
        **change,
    }
    with pytest.raises(Problem) as refused:
        offer_lists.create_list(
            database.engine, database.settings, STAFF, OfferListIn.model_validate(fields)
        )
    assert (refused.value.status, refused.value.kind) == (status, kind)


def test_a_partner_makes_no_list_of_fund_items(database: Database) -> None:
    _, caller = new_partner(database)
    item = _deposit(database, 1)
    body = OfferListIn.model_validate(
        {"title": "Mine", "items": [{"fund_item_id": item.id, "copies": 1}]}
    )
    with pytest.raises(Problem) as refused:
        offer_lists.create_list(database.engine, database.settings, caller, body)
    assert refused.value.status == 403


def test_publishing_needs_an_agreement_with_every_addressee(database: Database) -> None:
    good, _ = new_partner(database)
    lapsed, _ = new_partner(database, agreement=False)
    item = _deposit(database, 1)
    body = OfferListIn.model_validate(
        {
            "title": "To two",
            "partners": [good.code, lapsed.code],
            "items": [{"fund_item_id": item.id, "copies": 1}],
        }
    )
    draft = offer_lists.create_list(database.engine, database.settings, STAFF, body)
    with pytest.raises(Problem) as refused:
        offer_lists.prepare_publish(database.engine, database.settings, STAFF, draft.id)
    assert refused.value.status == 409 and lapsed.code in refused.value.detail
    assert good.code not in refused.value.detail
    still = offer_lists.read_list(database.engine, database.settings, STAFF, draft.id)
    assert still.state == "draft" and still.published_at is None


def test_a_list_to_all_partners_goes_to_those_with_a_valid_agreement(database: Database) -> None:
    with_one, _ = new_partner(database)
    without, _ = new_partner(database, agreement=False)
    item = _deposit(database, 1)
    body = OfferListIn.model_validate(
        {"title": "To all", "items": [{"fund_item_id": item.id, "copies": 1}]}
    )
    draft = offer_lists.create_list(database.engine, database.settings, STAFF, body)
    assert draft.all_partners and draft.addressees == []
    offer_lists.prepare_publish(database.engine, database.settings, STAFF, draft.id)
    out = offer_lists.read_list(database.engine, database.settings, STAFF, draft.id)
    assert out.state == "published" and out.published_at is not None
    assert with_one.code in out.addressees and without.code not in out.addressees
    with pytest.raises(Problem) as again:
        offer_lists.prepare_publish(database.engine, database.settings, STAFF, draft.id)
    assert again.value.status == 409


def test_picks_hold_copies_and_changes_give_them_back(database: Database) -> None:
    first, first_caller = new_partner(database)
    second, second_caller = new_partner(database)
    outsider, outsider_caller = new_partner(database)
    a, b = _deposit(database, 3), _deposit(database, 1)
    published = _published(
        database,
        [first.code, second.code],
        [FundPick(fund_item_id=a.id or 0, copies=3), FundPick(fund_item_id=b.id or 0, copies=1)],
    )
    items = {i.fund_item_id: i.id for i in published.item_list}
    _select(database, first_caller, published.id, {items[a.id]: 2, items[b.id]: 1})
    assert fund.available_copies(_fund(database, a.id or 0)) == 1
    assert fund.available_copies(_fund(database, b.id or 0)) == 0
    seen = offer_lists.read_list(database.engine, database.settings, second_caller, published.id)
    left = {i.id: i.copies_available for i in seen.item_list}
    assert left == {items[a.id]: 1, items[b.id]: 0}
    assert seen.selection is None and seen.selections is None
    assert seen.addressees == [second.code]
    # Two copies more than are left: refused, and nothing of the request is changed.
    with pytest.raises(Problem) as refused:
        _select(database, second_caller, published.id, {items[a.id]: 1, items[b.id]: 1})
    assert refused.value.status == 409 and refused.value.kind == "copies-not-available"
    assert refused.value.extra["item_id"] == items[b.id]
    assert refused.value.extra["copies_available"] == 0
    assert fund.available_copies(_fund(database, a.id or 0)) == 1
    # The first partner changes its mind: the copy of b goes back, one more of a is taken.
    _select(database, first_caller, published.id, {items[a.id]: 3})
    assert fund.available_copies(_fund(database, a.id or 0)) == 0
    assert fund.available_copies(_fund(database, b.id or 0)) == 1
    _select(database, second_caller, published.id, {items[b.id]: 1})
    mine = offer_lists.read_list(database.engine, database.settings, first_caller, published.id)
    assert mine.selection is not None and mine.selection.copies == 3
    assert {i.id: i.selected for i in mine.item_list} == {items[a.id]: 3, items[b.id]: 0}
    staff = offer_lists.read_list(database.engine, database.settings, STAFF, published.id)
    assert staff.selections is not None
    assert sorted((s.partner, s.copies) for s in staff.selections) == sorted(
        [(first.code, 3), (second.code, 1)]
    )
    # A partner the list is not addressed to: it does not exist, for reading or selecting.
    for call in (
        lambda: offer_lists.read_list(
            database.engine, database.settings, outsider_caller, published.id
        ),
        lambda: _select(database, outsider_caller, published.id, {items[a.id]: 1}),
    ):
        with pytest.raises(Problem) as hidden:
            call()
        assert hidden.value.status == 404
    page = offer_lists.list_lists(database.engine, outsider_caller, limit=500)
    assert published.id not in {s.id for s in page.items}
    assert outsider.code


def test_closing_releases_open_selections_once(database: Database) -> None:
    first, first_caller = new_partner(database)
    second, second_caller = new_partner(database)
    item = _deposit(database, 4)
    published = _published(
        database, [first.code, second.code], [FundPick(fund_item_id=item.id or 0, copies=4)]
    )
    (offered,) = published.item_list
    _select(database, first_caller, published.id, {offered.id: 1})
    _select(database, second_caller, published.id, {offered.id: 2})
    written = write_exchange(database.engine, database.settings, first_caller, published.id)
    at = datetime.now(UTC)
    summary = offer_list_closing.close_list(database.engine, published.id, "system", at)
    assert summary["released"] == [second.code]
    assert summary["copies_offered"] == 4 and summary["copies_taken"] == 1
    (taken,) = summary["partners"]
    assert taken["code"] == first.code and taken["copies"] == 1
    assert taken["exchange_id"] == written.exchange_id
    assert taken["exchange_number"] == written.exchange_number
    # The second partner's two copies are back in the fund; the first's stay held.
    assert fund.available_copies(_fund(database, item.id or 0)) == 3
    assert offer_list_closing.close_list(database.engine, published.id, "system", at) == summary
    assert fund.available_copies(_fund(database, item.id or 0)) == 3
    closed = offer_lists.read_list(database.engine, database.settings, STAFF, published.id)
    assert closed.state == "closed" and closed.summary == summary
    with pytest.raises(Problem) as late:
        _select(database, second_caller, published.id, {offered.id: 1})
    assert late.value.status == 409 and late.value.kind == "list-closed"


def test_a_selection_becomes_an_accepted_exchange(database: Database) -> None:
    partner, caller = new_partner(database)
    item = _deposit(database, 3)
    published = _published(
        database, [partner.code], [FundPick(fund_item_id=item.id or 0, copies=3)]
    )
    (offered,) = published.item_list
    with pytest.raises(Problem) as empty:
        write_exchange(database.engine, database.settings, caller, published.id)
    assert empty.value.status == 422
    _select(database, caller, published.id, {offered.id: 2})
    written = write_exchange(database.engine, database.settings, caller, published.id)
    snapshot = written.input.snapshot
    assert snapshot is not None and snapshot.state == "accepted" and snapshot.seq == 1
    assert [q.quantity for q in snapshot.accepted] == [2]
    with Session(database.engine) as session:
        exchange = session.get(Exchange, written.exchange_id)
        assert exchange is not None
        assert (exchange.state, exchange.direction) == ("accepted", "outgoing")
        (line,) = session.scalars(
            select(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange.id)
        )
        assert (line.record_id, line.quantity, line.accepted_quantity) == (item.id, 2, 2)
        (held,) = session.scalars(
            select(Reservation).where(col(Reservation.exchange_id) == exchange.id)
        )
        assert (held.copies, held.state) == (2, "held")
        (event,) = session.scalars(
            select(ExchangeEvent).where(col(ExchangeEvent.exchange_id) == exchange.id)
        )
        assert event.note_id == "offer_list_selection"
        assert event.note_params == {"list": published.number, "lines": 1, "copies": 2}
    # The picks had counted the copies already: the exchange reserved none again.
    assert fund.available_copies(_fund(database, item.id or 0)) == 1
    with pytest.raises(Problem) as twice:
        write_exchange(database.engine, database.settings, caller, published.id)
    assert twice.value.status == 409
    # Its workflow could not start: the rows go, the selection is open with its copies held.
    undo_exchange(database.engine, written)
    with Session(database.engine) as session:
        assert session.get(Exchange, written.exchange_id) is None
    mine = offer_lists.read_list(database.engine, database.settings, caller, published.id)
    assert mine.selection is not None and mine.selection.state == "open"
    assert mine.selection.copies == 2
    assert fund.available_copies(_fund(database, item.id or 0)) == 1


def test_a_cancelled_exchange_puts_its_copies_back_on_an_open_list(database: Database) -> None:
    partner, caller = new_partner(database)
    item = _deposit(database, 2)
    published = _published(
        database, [partner.code], [FundPick(fund_item_id=item.id or 0, copies=2)]
    )
    (offered,) = published.item_list
    _select(database, caller, published.id, {offered.id: 2})
    written = write_exchange(database.engine, database.settings, caller, published.id)
    # The projection's cancel step: the exchange cancelled, its fund copies released, then
    # the copies returned to the list in the same transaction.
    with session_scope(database.engine) as session:
        session.execute(
            update(Exchange)
            .where(col(Exchange.id) == written.exchange_id)
            .values(state="cancelled")
        )
        fund.release(session, written.exchange_id)
        offer_list_closing.return_copies(session, written.exchange_id)
    assert fund.available_copies(_fund(database, item.id or 0)) == 2
    again = offer_lists.read_list(database.engine, database.settings, caller, published.id)
    (back,) = again.item_list
    assert back.copies_available == 2 and back.selected == 0
    assert again.selection is not None and again.selection.state == "released"
    # It may select anew from the open list.
    _select(database, caller, published.id, {offered.id: 1})
    assert fund.available_copies(_fund(database, item.id or 0)) == 1


def test_a_partners_own_list_is_checked_and_selected_by_staff(database: Database) -> None:
    partner, caller = new_partner(database)
    body = PartnerOfferListIn.model_validate(
        {
            "title": "Дублетные издания",
            "items": [
                {"title": "История Беларуси", "year": 2000, "copies": 2, "language": "rus"},
                {"title": "Минск", "copies": 1},
            ],
        }
    )
    draft = offer_lists.create_partner_list(database.engine, database.settings, caller, body)
    assert draft.direction == "incoming" and draft.partner == partner.code
    with pytest.raises(Problem) as unpublished:  # its draft is its own work until published
        offer_lists.read_list(database.engine, database.settings, STAFF, draft.id)
    assert unpublished.value.status == 404
    offer_lists.prepare_publish(database.engine, database.settings, caller, draft.id)
    seen = offer_lists.read_list(database.engine, database.settings, STAFF, draft.id)
    assert seen.state == "published"
    first = min(seen.item_list, key=lambda i: i.position)
    _select(database, STAFF, draft.id, {first.id: 2})
    with pytest.raises(Problem) as own:
        _select(database, caller, draft.id, {first.id: 1})
    assert own.value.status == 403
    written = write_exchange(database.engine, database.settings, STAFF, draft.id)
    assert written.input.sender == partner.code
    assert written.input.recipient == database.settings.home_code
    with Session(database.engine) as session:
        exchange = session.get(Exchange, written.exchange_id)
        assert exchange is not None and exchange.direction == "incoming"
        assert (
            session.scalars(
                select(Reservation).where(col(Reservation.exchange_id) == exchange.id)
            ).first()
            is None
        )
        selection = session.scalars(
            select(OfferSelection).where(col(OfferSelection.list_id) == draft.id)
        ).one()
        assert selection.partner_id == caller.partner_id and selection.state == "submitted"
        items = session.scalars(select(OfferItem).where(col(OfferItem.list_id) == draft.id))
        assert sorted(i.copies_taken for i in items) == [0, 2]
        offer_list = session.get(OfferList, draft.id)
        assert offer_list is not None and offer_list.partner_id == caller.partner_id


def test_a_partner_sees_first_what_fits_its_profile(database: Database) -> None:
    partner, caller = new_partner(database, agreement=False)
    agreement = {**AGREEMENT, "profile": {"languages": ["ind"]}}
    agreements.create(database.engine, STAFF, partner.code, AgreementIn.model_validate(agreement))
    russian = _deposit(database, 1, marc=_marc("rus"))
    indonesian = _deposit(database, 1, marc=_marc("ind"))
    published = _published(
        database,
        [partner.code],
        [
            FundPick(fund_item_id=russian.id or 0, copies=1),
            FundPick(fund_item_id=indonesian.id or 0, copies=1),
        ],
    )
    seen = offer_lists.read_list(database.engine, database.settings, caller, published.id)
    assert [(i.fund_item_id, i.fits_profile) for i in seen.item_list] == [
        (indonesian.id, True),
        (russian.id, False),
    ]
    in_order = offer_lists.read_list(
        database.engine, database.settings, caller, published.id, profile_first=False
    )
    assert [i.fund_item_id for i in in_order.item_list] == [russian.id, indonesian.id]
    # Staff have no profile: every item fits, in list order.
    staff = offer_lists.read_list(database.engine, database.settings, STAFF, published.id)
    assert [i.fits_profile for i in staff.item_list] == [True, True]


def test_items_are_added_to_drafts_only(database: Database) -> None:
    partner, caller = new_partner(database)
    first, second = _deposit(database, 1), _deposit(database, 2)
    body = OfferListIn.model_validate(
        {
            "title": "Growing",
            "partners": [partner.code],
            "items": [{"fund_item_id": first.id, "copies": 1}],
        }
    )
    draft = offer_lists.create_list(database.engine, database.settings, STAFF, body)
    grown = offer_lists.add_items(
        database.engine, STAFF, draft.id, [FundPick(fund_item_id=second.id or 0, copies=2)]
    )
    assert [(i.position, i.fund_item_id, i.copies) for i in grown.item_list] == [
        (1, first.id, 1),
        (2, second.id, 2),
    ]
    for items, kind in (
        ([FundPick(fund_item_id=first.id or 0, copies=1)], "duplicate-item"),
        ([OfferLineIn(title="A line", copies=1)], "validation-error"),
    ):
        with pytest.raises(Problem) as refused:
            offer_lists.add_items(database.engine, STAFF, draft.id, list(items))
        assert (refused.value.status, refused.value.kind) == (422, kind)
    offer_lists.prepare_publish(database.engine, database.settings, STAFF, draft.id)
    with pytest.raises(Problem) as published:
        offer_lists.add_items(
            database.engine, STAFF, draft.id, [FundPick(fund_item_id=second.id or 0, copies=1)]
        )
    assert published.value.status == 409
    # A partner's own draft takes lines, from that partner only.
    own = offer_lists.create_partner_list(
        database.engine,
        database.settings,
        caller,
        PartnerOfferListIn.model_validate({"title": "Mine", "items": [{"title": "One"}]}),
        publish=False,
    )
    more = offer_lists.add_items(database.engine, caller, own.id, [OfferLineIn(title="Two")])
    assert [i.title for i in sorted(more.item_list, key=lambda i: i.position)] == ["One", "Two"]
