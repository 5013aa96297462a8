"""The notice e-mails as their readers get them, without SMTP: the words in English, Russian
and Bahasa Indonesia from the catalogs with each language's plural forms, the links, escaped
HTML, and who gets which notice (contacts' languages and chosen kinds, staff users, the
department's mailbox) on both databases; an offer list's notices, each written once by its key.
Delivery over real SMTP is ``tests/test_email_notices``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, Notice, Partner
from services.exchange.offer_models import OfferItem, OfferList, OfferListAddressee, OfferSelection
from services.exchange.schemas.partner_contacts import ContactIn, ContactPatch
from services.exchange.service import email_notices, list_notices, partner_contacts, users
from services.exchange.service.email_notices import About, Recipient, compose, lang_for
from services.exchange.service.email_sending import build, message_id
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from tests.fast.conftest import HOME_CODE, STAFF, Database, new_partner

BASE = "https://exchange.perpusnas.example"
HOME = "Perpustakaan Nasional Republik Indonesia"
CONTACT = Recipient("anna@rsl.example", "ru", "Анна Иванова", 7)
STAFF_READER = Recipient("desk@perpusnas.example", "id", None, None)


def _exchange(number: str = "EX-2026-0042") -> Exchange:
    return Exchange(
        id=str(uuid.uuid4()),
        number=number,
        partner_id=7,
        direction="outgoing",
        state="shipped",
        created_by="staff",
    )


def _offer_list(title: str = "Duplicates, autumn 2026") -> OfferList:
    return OfferList(
        id=str(uuid.uuid4()),
        number="OL-2026-0003",
        direction="outgoing",
        title=title,
        state="published",
        closes_on=date(2026, 12, 31),
        created_by="staff",
    )


def _notice(
    event: str,
    note_id: str | None,
    params: dict[str, Any] | None,
    *,
    party: str = "RSL",
    note: str = "English words",
    seq: int = 0,
    exchange_id: str | None = None,
    offer_list_id: str | None = None,
) -> Notice:
    return Notice(
        id=41,
        seq=seq,
        party=party,
        event=event,
        note=note,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        exchange_id=exchange_id,
        offer_list_id=offer_list_id,
        note_id=note_id,
        note_params=params,
    )


def _wish_hits(language: str, n: int) -> str:
    notice = _notice("wishlist_hits", "wishlist_hits", {"n": n}, party="RSL")
    what = About(exchange=None, offer_list=_offer_list(), partner_name="RSL")
    message = compose(lang_for(language), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    return message.subject


@pytest.mark.parametrize(
    ("language", "n", "subject"),
    [
        ("en", 1, "1 item from your wish list is offered"),
        ("en", 3, "3 items from your wish list are offered"),
        ("ru", 1, "предлагается 1 позиция из вашего списка пожеланий"),
        ("ru", 3, "предлагаются 3 позиции из вашего списка пожеланий"),
        ("ru", 5, "предлагается 5 позиций из вашего списка пожеланий"),
        ("ru", 21, "предлагается 21 позиция из вашего списка пожеланий"),
        ("id", 1, "1 butir dari daftar keinginan Anda ditawarkan"),
        ("id", 3, "3 butir dari daftar keinginan Anda ditawarkan"),
    ],
)
def test_wish_list_hits_are_counted_in_each_language_plural_forms(
    language: str, n: int, subject: str
) -> None:
    assert _wish_hits(language, n) == subject


def test_an_exchange_notice_is_written_in_russian_with_its_note_and_links() -> None:
    exchange = _exchange()
    params = {"carrier": "Почта России", "tracking": "RA123456789RU"}
    notice = _notice("shipment", "shipment", params, exchange_id=exchange.id, seq=5)
    what = About(exchange=exchange, offer_list=None, partner_name="Российская государственная")
    message = compose(lang_for("ru"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    assert message.subject == "Обмен EX-2026-0042: отправлено"
    assert "Здравствуйте, Анна Иванова!" in message.text
    assert "Почта России, трек-номер RA123456789RU" in message.text
    assert f"{BASE}/partner/exchanges/{exchange.id}" in message.text
    assert f"{BASE}/api/v1/exchanges/{exchange.id}" in message.text
    assert "English words" not in message.text  # the note is rendered, not copied


def test_a_list_notice_names_the_list_its_closing_day_and_the_portal_page() -> None:
    listed = _offer_list()
    params = {"list": listed.number, "title": listed.title, "items": 2, "closes_on": "2026-12-31"}
    notice = _notice(
        "offer_list_published", "offer_list_published", params, offer_list_id=listed.id
    )
    what = About(exchange=None, offer_list=listed, partner_name="Российская государственная")
    en = compose(lang_for("en"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    assert en.subject == "Offer list OL-2026-0003: Duplicates, autumn 2026"
    assert "2 items are offered; select by 31 Dec 2026" in en.text
    assert "Closes on: 31 Dec 2026" in en.text
    assert f"{BASE}/partner/offer-lists/{listed.id}" in en.text
    ru = compose(lang_for("ru"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    assert ru.subject == "Список предложений OL-2026-0003: Duplicates, autumn 2026"
    assert "предлагаются 2 позиции" in ru.text
    assert "31 дек. 2026" in ru.text


def test_staff_get_the_staff_pages_and_the_partner_named_in_indonesian() -> None:
    listed = _offer_list()
    summary = {"list": listed.number, "partners": 2, "copies_offered": 10, "copies_taken": 7}
    notice = _notice(
        "offer_list_summary",
        "offer_list_summary",
        summary,
        party=HOME_CODE,
        offer_list_id=listed.id,
    )
    what = About(exchange=None, offer_list=listed, partner_name=None)
    message = compose(lang_for("id"), STAFF_READER, notice, what, base_url=BASE, home_name=HOME)
    assert message.subject == "Daftar tawaran OL-2026-0003 sudah ditutup: siapa mengambil apa"
    assert "2 mitra memilih, 7 dari 10 eksemplar diambil" in message.text
    assert f"{BASE}/offer-lists/{listed.id}" in message.text
    assert "/partner/" not in message.text
    assert message.text.startswith("Salam,")


def test_the_html_part_escapes_what_people_typed() -> None:
    listed = _offer_list(title='<script>alert("x")</script> & more')
    notice = _notice("offer_list_closed", "offer_list_closed", {}, offer_list_id=listed.id)
    what = About(exchange=None, offer_list=listed, partner_name="<b>RSL</b>")
    message = compose(lang_for("en"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html and "&amp; more" in message.html
    assert "<script>" in message.text or "alert" in message.text  # plain text stays as typed


def test_a_note_without_a_message_id_keeps_its_english_words() -> None:
    notice = _notice("cancellation", None, None, note="the parcel was returned", seq=9)
    what = About(exchange=_exchange(), offer_list=None, partner_name="RSL")
    message = compose(lang_for("ru"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    assert message.subject == "Обмен EX-2026-0042: отменён"
    assert "the parcel was returned" in message.text


def test_every_attempt_carries_the_same_message_id_and_headers_on_one_line() -> None:
    listed = _offer_list(title="Line one\nBcc: victim@example.com")
    notice = _notice("offer_list_published", None, None, offer_list_id=listed.id)
    what = About(exchange=None, offer_list=listed, partner_name="RSL")
    message = compose(lang_for("en"), CONTACT, notice, what, base_url=BASE, home_name=HOME)
    settings = Settings(mail_from="exchange@perpusnas.example", home_name=HOME)
    first = build(settings, 41, CONTACT, message)
    again = build(settings, 41, CONTACT, message)
    assert (
        first["Message-ID"]
        == again["Message-ID"]
        == message_id(41, CONTACT.address, settings.mail_from)
    )
    assert first["Message-ID"].endswith("@perpusnas.example>")
    assert message_id(41, "other@rsl.example", settings.mail_from) != first["Message-ID"]
    assert first["Bcc"] is None and "\n" not in str(first["Subject"])
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["Content-Language"] == "ru"


# --- who gets a notice ------------------------------------------------------------------------


def _contact(db: Database, code: str, **fields: object) -> None:
    body = ContactIn.model_validate({"name": "Contact", "language": "en", **fields})
    partner_contacts.add_contact(db.engine, STAFF, code, body)


def test_contacts_get_the_kinds_they_chose_in_their_language(database: Database) -> None:
    partner, _ = new_partner(database)
    tag = uuid.uuid4().hex[:8]
    _contact(database, partner.code, email=f"ru-{tag}@rsl.example", language="ru")
    _contact(database, partner.code, email=f"en-{tag}@rsl.example", notices=["shipment"])
    _contact(database, partner.code, email=f"off-{tag}@rsl.example", receives_notices=False)
    # The same address twice is written to once.
    _contact(database, partner.code, email=f"RU-{tag}@rsl.example", language="en")
    with Session(database.engine) as session:
        shipment = email_notices.recipients(session, partner.code, "shipment", HOME_CODE)
        proposal = email_notices.recipients(session, partner.code, "proposal", HOME_CODE)
        assert email_notices.has_recipients(session, partner.code, "shipment", HOME_CODE)
    assert [(r.address, r.language) for r in shipment] == [
        (f"ru-{tag}@rsl.example", "ru"),
        (f"en-{tag}@rsl.example", "en"),
    ]
    assert [r.address for r in proposal] == [f"ru-{tag}@rsl.example"]
    assert all(r.partner_id is not None for r in shipment)


def test_a_contact_can_turn_every_notice_off_and_back_on(database: Database) -> None:
    partner, _ = new_partner(database)
    address = f"{uuid.uuid4().hex[:8]}@rsl.example"
    _contact(database, partner.code, email=address, notices=[])
    with Session(database.engine) as session:
        assert not email_notices.has_recipients(session, partner.code, "decision", HOME_CODE)
    contact = partner_contacts.list_contacts(database.engine, STAFF, partner.code)[0]
    assert contact.notices == []
    patch = ContactPatch.model_validate({"notices": None})
    assert (
        partner_contacts.update_contact(
            database.engine, STAFF, partner.code, contact.id, patch
        ).notices
        is None
    )
    with Session(database.engine) as session:
        assert email_notices.has_recipients(session, partner.code, "decision", HOME_CODE)


def test_staff_notices_go_to_staff_users_with_an_address_and_the_mailbox(
    database: Database,
) -> None:
    tag = uuid.uuid4().hex[:8]
    users.add_user(
        database.engine,
        f"desk-{tag}",
        "a long password",
        "acquisitions",
        email=f"desk-{tag}@perpusnas.example",
        language="id",
    )
    users.add_user(database.engine, f"cat-{tag}", "a long password", "cataloguer")
    assert users.set_notice_address(
        database.engine, f"cat-{tag}", f"cat-{tag}@perpusnas.example", None
    )
    users.add_user(database.engine, f"gone-{tag}", "a long password", "acquisitions")
    users.set_notice_address(database.engine, f"gone-{tag}", f"gone-{tag}@x.example", "en")
    users.disable_user(database.engine, f"gone-{tag}")
    with Session(database.engine) as session:
        found = email_notices.recipients(
            session, HOME_CODE, "decision", HOME_CODE, staff_email="pertukaran@perpusnas.example"
        )
    mine = [(r.address, r.language) for r in found if tag in r.address or "pertukaran" in r.address]
    assert mine == [
        (f"desk-{tag}@perpusnas.example", "id"),
        (f"cat-{tag}@perpusnas.example", "en"),
        ("pertukaran@perpusnas.example", "id"),
    ]
    assert all(r.partner_id is None for r in found)


def test_a_staff_address_must_be_an_address_and_partners_users_have_none(
    database: Database,
) -> None:
    partner, _ = new_partner(database)
    tag = uuid.uuid4().hex[:8]
    users.add_user(database.engine, f"staff-{tag}", "a long password", "acquisitions")
    with pytest.raises(users.UserError):
        users.set_notice_address(database.engine, f"staff-{tag}", "not an address", None)
    with pytest.raises(users.UserError):
        users.set_notice_address(database.engine, f"staff-{tag}", "a@b.example", "ru")
    users.add_user(
        database.engine, f"p-{tag}", "a long password", "partner", partner_code=partner.code
    )
    with pytest.raises(users.UserError):
        users.set_notice_address(database.engine, f"p-{tag}", "a@b.example", None)
    assert users.notice_address(database.engine, f"staff-{tag}") == (None, None)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="not a notice kind"):
        ContactIn.model_validate(
            {"name": "A", "email": "a@b.example", "notices": ["proposal", "newsletter"]}
        )


# --- an offer list's notices ------------------------------------------------------------------


def test_a_list_tells_its_addressees_and_staff_each_once(database: Database) -> None:
    first, _ = new_partner(database)
    second, _ = new_partner(database)
    list_id = str(uuid.uuid4())
    with session_scope(database.engine) as session:
        ids = {
            p.code: p.id or 0
            for p in session.exec(
                select(Partner).where(col(Partner.code).in_([first.code, second.code]))
            )
        }
        session.add(
            OfferList(
                id=list_id,
                number=None,
                direction="outgoing",
                title="Duplicates",
                state="published",
                closes_on=date(2026, 12, 31),
                created_by="staff",
                summary={
                    "partners": [{"code": first.code}],
                    "copies_offered": 4,
                    "copies_taken": 1,
                },
            )
        )
        session.flush()
        session.add(OfferItem(list_id=list_id, position=1, title="T", copies=4))
        for partner_id in ids.values():
            session.add(OfferListAddressee(list_id=list_id, partner_id=partner_id))
        session.add(OfferSelection(list_id=list_id, partner_id=ids[first.code], state="submitted"))
    at = datetime(2026, 12, 1, tzinfo=UTC)

    def notices(event: str) -> list[Notice]:
        got = list_notices.record_list_notices(database.engine, list_id, event, at, home=HOME_CODE)
        assert got == list_notices.record_list_notices(
            database.engine, list_id, event, at, home=HOME_CODE
        ), "the second time finds the same notices"
        with Session(database.engine) as session:
            return [session.get(Notice, i) for i in got]  # type: ignore[misc]

    published = notices("published")
    assert sorted(n.party for n in published) == sorted([first.code, second.code])
    assert all(n.exchange_id is None and n.offer_list_id == list_id for n in published)
    assert {n.key for n in published} == {
        f"offer-list:{list_id}:published:{first.code}",
        f"offer-list:{list_id}:published:{second.code}",
    }
    assert published[0].note_params == {
        "list": list_id,
        "title": "Duplicates",
        "closes_on": "2026-12-31",
        "items": 1,
    }
    # Closing soon: only whoever has not submitted a selection yet.
    assert [n.party for n in notices("closing")] == [second.code]
    closed = notices("closed")
    assert sorted(n.party for n in closed) == sorted([first.code, second.code, HOME_CODE])
    [summary] = [n for n in closed if n.party == HOME_CODE]
    assert summary.event == "offer_list_summary"
    assert summary.note == f"Offer list {list_id} is closed: 1 partner took 1 of 4 copies"
    text = email_notices.note_text(lang_for("id"), summary)
    assert text == "1 mitra memilih, 1 dari 4 eksemplar diambil"
    with pytest.raises(ValueError):
        list_notices.record_list_notices(database.engine, list_id, "shredded", at, home=HOME_CODE)


def test_a_notice_by_key_is_written_once(database: Database) -> None:
    key = f"wishes:deposit:{uuid.uuid4().int % 10**9}:X"
    fields = {
        "party": "X",
        "event": "wishlist_hits",
        "key": key,
        "note": "2 items from your wish list are in our exchange fund",
        "note_id": "wishlist_hits_deposit",
        "note_params": {"n": 2, "title": "Atlas"},
    }
    first = list_notices.record_notice(database.engine, **fields)  # type: ignore[arg-type]
    again = list_notices.record_notice(database.engine, **fields)  # type: ignore[arg-type]
    assert first is not None and first == again
    with Session(database.engine) as session:
        notice = session.get(Notice, first)
    assert notice is not None and notice.seq == 0 and notice.exchange_id is None
    ru = email_notices.note_text(lang_for("ru"), notice)
    assert ru == "2 позиции из вашего списка пожеланий есть в нашем обменном фонде: Atlas"


def test_staff_are_told_who_submitted_a_selection() -> None:
    params = {"partner": "Russian State Library", "list": "OL-2026-0003", "lines": 2, "copies": 5}
    notice = _notice("selection_submitted", "selection_submitted", params, party=HOME_CODE)
    assert email_notices.note_text(lang_for("en"), notice) == (
        "Russian State Library selected 2 lines, 5 copies"
    )
    assert email_notices.note_text(lang_for("id"), notice) == (
        "Russian State Library memilih 2 judul, 5 eksemplar"
    )
