"""Notices by e-mail over the whole stack (HTTP, the real worker and Temporal, both databases),
delivered to a real local SMTP server (``tests/smtp_server.py``, the ``smtp_server`` fixture the
stacks send to): an exchange's steps reach the partner's contacts in each contact's language and
only the kinds each chose, a staff user with an address gets the partner's steps, the attempts
are listed in the API beside the webhook deliveries, and a server that refuses or is down is
retried until each address has the notice exactly once. An offer list's notices, started from
the API process (``notice_delivery``), go by webhook and e-mail the same way.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.offer_models import OfferItem, OfferList, OfferListAddressee
from services.exchange.service import list_notices, notice_delivery, users
from services.exchange.service.context import Context
from services.exchange.storage.db import session_scope
from tests.conftest import MAIL_FROM, Stack
from tests.smtp_server import SmtpServer
from tests.support import lines, register_partner
from tests.web_support import csrf_of, flash_of, make_user, signed_in
from tests.webhook_receiver import Receiver


async def _contact(stack: Stack, code: str, **fields: Any) -> None:
    body = {"name": "Contact", "language": "en", **fields}
    r = await stack.http.post(f"/api/v1/partners/{code}/contacts", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text


async def _propose(stack: Stack, code: str) -> dict[str, Any]:
    r = await stack.http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    exchange: dict[str, Any] = r.json()
    return exchange


async def _deliveries(
    stack: Stack, code: str, headers: dict[str, str], until: int, timeout: float = 60.0
) -> list[dict[str, Any]]:
    """The e-mail attempts for the partner, once there are at least ``until`` successes (the
    message reaches the server before the attempt is written)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await stack.http.get(f"/api/v1/partners/{code}/email-deliveries", headers=headers)
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        if sum(1 for d in items if d["succeeded"]) >= until:
            return items
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{until} successful e-mail deliveries expected: {items}")
        await asyncio.sleep(0.1)


async def test_steps_reach_each_contact_in_their_language_and_chosen_kinds(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)  # no webhook: e-mail is how it hears
    code, tag = partner["code"], uuid.uuid4().hex[:8]
    russian, english, chooser = (f"{who}-{tag}@rsl.example" for who in ("ru", "en", "only"))
    await _contact(stack, code, name="Анна Иванова", email=russian, language="ru")
    await _contact(stack, code, name="John Smith", email=english)
    await _contact(stack, code, email=chooser, notices=["proposal"])  # no shipments for them
    await _contact(stack, code, email=f"off-{tag}@rsl.example", receives_notices=False)
    exchange = await _propose(stack, code)
    number, url = exchange["number"], f"/api/v1/exchanges/{exchange['id']}"
    [ru] = await smtp_server.wait_for(russian, subject=number)
    assert ru.subject == f"Обмен {number}: новое предложение"
    assert "Здравствуйте, Анна Иванова!" in ru.text
    assert f"{stack.settings.base_url}/partner/exchanges/{exchange['id']}" in ru.text
    assert f"{stack.settings.base_url}{url}" in ru.text
    assert ru.message["From"].addresses[0].addr_spec == MAIL_FROM
    assert ru.message["Content-Language"] == "ru"
    [en] = await smtp_server.wait_for(english, subject=number)
    assert en.subject == f"Exchange {number}: a new proposal"
    assert "1 line offered" in en.text and "Dear John Smith," in en.text
    await smtp_server.wait_for(chooser, subject=number)

    line = exchange["lines"][0]["id"]
    accept = {"accept": [{"line_id": line, "quantity": 1}]}
    r = await http.post(f"{url}/decision", json=accept, headers=key)
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    assert r.status_code == 200, r.text
    shipped_ru = await smtp_server.wait_for(russian, count=2, subject=number)
    assert shipped_ru[1].subject == f"Обмен {number}: отправлено"
    shipped_en = await smtp_server.wait_for(english, count=2, subject=number)
    assert shipped_en[1].subject == f"Exchange {number}: shipped"
    assert "EMS" in shipped_en[1].text

    attempts = await _deliveries(stack, code, key, until=5)
    assert {(d["address"], d["event"], d["language"]) for d in attempts} == {
        (russian, "proposal", "ru"),
        (english, "proposal", "en"),
        (chooser, "proposal", "en"),
        (russian, "shipment", "ru"),
        (english, "shipment", "en"),
    }
    assert all(d["succeeded"] and d["exchange_number"] == number for d in attempts)
    assert {d["subject"] for d in attempts if d["address"] == russian} == {
        ru.subject,
        shipped_ru[1].subject,
    }
    # Exactly once each, and nothing for whoever turned the kind (or every notice) off.
    await asyncio.sleep(1.0)
    assert len(smtp_server.messages_to(russian)) == 2
    assert [m.subject for m in smtp_server.messages_to(chooser)] == [
        f"Exchange {number}: a new proposal"
    ]
    assert smtp_server.messages_to(f"off-{tag}@rsl.example") == []
    assert len({m.message_id for m in smtp_server.messages_to(russian)}) == 2

    # Another partner does not see them; staff see the staff addresses in the whole list.
    _other, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/partners/{code}/email-deliveries", headers=other_key)
    assert r.status_code == 404
    r = await http.get(f"/api/v1/partners/{code}/deliveries", headers=key)
    assert r.status_code == 200 and r.json()["items"] == []  # no webhook: no webhook attempts
    r = await http.get("/api/v1/email-deliveries", params={"limit": 500}, headers=staff)
    assert r.status_code == 200
    everyone = {(d["address"], d["event"]) for d in r.json()["items"]}
    assert {(d["address"], d["event"]) for d in attempts} <= everyone
    r = await http.get("/api/v1/email-deliveries", headers=key)
    assert r.status_code == 403  # a partner reads its own, under its code


async def test_staff_users_with_an_address_get_the_partners_steps(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    tag = uuid.uuid4().hex[:8]
    desk, quiet = f"desk-{tag}@perpusnas.example", f"quiet-{tag}@perpusnas.example"
    await asyncio.to_thread(
        users.add_user,
        stack.engine,
        f"desk-{tag}",
        "a long password",
        "acquisitions",
        email=desk,
        language="id",
    )
    await asyncio.to_thread(
        users.add_user, stack.engine, f"quiet-{tag}", "a long password", "acquisitions"
    )
    exchange = await _propose(stack, partner["code"])
    number, url = exchange["number"], f"/api/v1/exchanges/{exchange['id']}"
    accept = {"accept": [{"line_id": exchange["lines"][0]["id"], "quantity": 1}]}
    r = await http.post(f"{url}/decision", json=accept, headers=key)
    assert r.status_code == 200, r.text
    # The partner decided: staff hear of it, in Indonesian for this user, with staff links.
    [decided] = await smtp_server.wait_for(desk, subject=number)
    assert decided.subject == f"Pertukaran {number}: ada keputusan"
    assert f"{stack.settings.base_url}/exchanges/{exchange['id']}" in decided.text
    assert "/partner/" not in decided.text
    assert decided.text.startswith("Salam,")
    # Our own proposal was no news to staff, and a user without an address gets nothing.
    await asyncio.sleep(1.0)
    assert len(smtp_server.messages_to(desk)) == 1
    assert smtp_server.messages_to(quiet) == []
    # The notice to staff is in our history of the exchange, not in the partner's.
    home = stack.settings.home_code

    def told_staff(history: list[dict[str, object]]) -> list[dict[str, object]]:
        return [
            e
            for e in history
            if e["step"] == "notice" and (e["note_params"] or {}).get("party") == home  # type: ignore[attr-defined]
        ]

    ours = (await http.get(url, headers=staff)).json()["history"]
    theirs = (await http.get(url, headers=key)).json()["history"]
    assert len(told_staff(ours)) == 1 and told_staff(theirs) == []
    assert len(theirs) == len(ours) - 1


async def test_a_refusing_server_is_retried_until_it_takes_the_notice_once(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    address = f"greylisted-{uuid.uuid4().hex[:8]}@rsl.example"
    await _contact(stack, code, email=address, language="ru")
    smtp_server.refuse(2, address)  # greylisting: 451 twice, then the message is taken
    exchange = await _propose(stack, code)
    [received] = await smtp_server.wait_for(address, subject=exchange["number"])
    attempts = await _deliveries(stack, code, key, until=1)
    assert sorted((d["attempt"], d["succeeded"]) for d in attempts) == [
        (1, False),
        (2, False),
        (3, True),
    ]
    failed = [d for d in attempts if not d["succeeded"]]
    assert all("451" in d["error"] for d in failed)
    await asyncio.sleep(1.0)
    assert smtp_server.messages_to(address) == [received], "sent again after its success"


async def test_a_stopped_server_is_retried_once_it_is_back(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    address = f"down-{uuid.uuid4().hex[:8]}@rsl.example"
    await _contact(stack, code, email=address)
    smtp_server.stop()
    try:
        exchange = await _propose(stack, code)
        deadline = asyncio.get_running_loop().time() + 60
        while True:  # the attempts fail while it is down, and each is logged
            r = await stack.http.get(f"/api/v1/partners/{code}/email-deliveries", headers=key)
            failed = [d for d in r.json()["items"] if not d["succeeded"]]
            if len(failed) >= 2:
                break
            assert asyncio.get_running_loop().time() < deadline, r.json()
            await asyncio.sleep(0.1)
        assert "Connection" in failed[0]["error"] or "refused" in failed[0]["error"].lower()
    finally:
        smtp_server.start()
    [received] = await smtp_server.wait_for(address, subject=exchange["number"])
    assert received.subject == f"Exchange {exchange['number']}: a new proposal"
    attempts = await _deliveries(stack, code, key, until=1)
    assert [d["succeeded"] for d in attempts].count(True) == 1
    await asyncio.sleep(1.0)
    assert len(smtp_server.messages_to(address)) == 1


def _published_list(stack: Stack, partner_ids: list[int]) -> str:
    """An outgoing list, published to these partners, written as the offer lists' service
    leaves it (the notices need only its row, its items and its addressees)."""
    list_id = str(uuid.uuid4())
    with session_scope(stack.engine) as session:
        session.add(
            OfferList(
                id=list_id,
                number=f"OL-2026-{uuid.uuid4().int % 10**6:06d}"[:16],
                direction="outgoing",
                title="Дубликаты, осень 2026",
                state="published",
                closes_on=date(2026, 12, 31),
                created_by="staff",
            )
        )
        session.flush()
        for position in (1, 2, 3):
            session.add(OfferItem(list_id=list_id, position=position, title="T", copies=1))
        for partner_id in partner_ids:
            session.add(OfferListAddressee(list_id=list_id, partner_id=partner_id))
    return list_id


async def test_a_list_notice_goes_by_webhook_and_e_mail_from_the_api_process(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    receiver = Receiver(fail_first=1).start()
    try:
        hooked, hooked_key = await register_partner(
            stack.http, stack.staff, webhook_url=receiver.url
        )
        plain, _ = await register_partner(stack.http, stack.staff)
        tag = uuid.uuid4().hex[:8]
        russian, english = f"list-ru-{tag}@rsl.example", f"list-en-{tag}@rsl.example"
        await _contact(stack, hooked["code"], email=russian, language="ru")
        await _contact(stack, plain["code"], email=english)
        with Session(stack.engine) as session:
            ids = [
                p.id or 0
                for p in session.exec(
                    select(Partner).where(col(Partner.code).in_([hooked["code"], plain["code"]]))
                )
            ]
        list_id = _published_list(stack, ids)
        at = datetime.now(UTC)
        notices = await asyncio.to_thread(
            list_notices.record_list_notices,
            stack.engine,
            list_id,
            "published",
            at,
            home=stack.settings.home_code,
        )
        again = await asyncio.to_thread(
            list_notices.record_list_notices,
            stack.engine,
            list_id,
            "published",
            at,
            home=stack.settings.home_code,
        )
        assert len(notices) == 2 and again == notices, "written once, by key"
        ctx = Context(engine=stack.engine, temporal=stack.client, settings=stack.settings)
        await notice_delivery.deliver_notices(ctx, notices)
        await notice_delivery.deliver_notices(ctx, notices)  # a retried request: no second run

        [ru] = await smtp_server.wait_for(russian)
        assert ru.subject.startswith("Список предложений OL-2026-")
        assert "предлагаются 3 позиции" in ru.text and "31 дек. 2026" in ru.text
        assert f"{stack.settings.base_url}/partner/offer-lists/{list_id}" in ru.text
        [en] = await smtp_server.wait_for(english)
        assert "3 items are offered; select by 31 Dec 2026" in en.text
        for _ in range(600):
            if receiver.accepted():
                break
            await asyncio.sleep(0.05)
        [event_id] = receiver.accepted()
        [event] = [r.event for r in receiver.requests if r.status == 200]
        assert event["type"] == "offer_list.published" and event["id"] == event_id
        assert event["offer_list_id"] == list_id and event["closes_on"] == "2026-12-31"
        assert event["links"]["offer_list"].endswith(f"/api/v1/offer-lists/{list_id}")
        # Both kinds of attempt are listed for the partner, the webhook's without an exchange.
        r = await stack.http.get(
            f"/api/v1/partners/{hooked['code']}/deliveries", headers=hooked_key
        )
        hooks = r.json()["items"]
        assert {(d["event"], d["succeeded"]) for d in hooks} == {
            ("offer_list_published", False),
            ("offer_list_published", True),
        }
        assert all(d["event_id"] == event_id for d in hooks)
        mails = await _deliveries(stack, hooked["code"], hooked_key, until=1)
        assert [(d["event"], d["offer_list_id"], d["language"]) for d in mails] == [
            ("offer_list_published", list_id, "ru")
        ]
        await asyncio.sleep(1.0)
        assert len(smtp_server.messages_to(russian)) == 1
    finally:
        receiver.stop()


async def test_the_pages_set_a_contacts_notices_and_ones_own_address(stack: Stack) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    page = f"/partners/{partner['code']}"
    username, password = await make_user(stack, "acquisitions")
    async with signed_in(stack, username, password) as browser:
        first = await browser.get(page)
        form: dict[str, Any] = {
            "csrf_token": csrf_of(first.text),
            "name": "Anna Ivanova",
            "email": "anna-form@rsl.example",
            "language": "ru",
            "receives_notices": "yes",
            "notices_shown": "yes",
            "notices": ["proposal", "shipment", "offer_list_published"],
        }
        r = await browser.post(f"{page}/contacts", data=form)
        assert r.status_code == 303, r.text
        [contact] = (
            await stack.http.get(f"/api/v1/partners/{partner['code']}/contacts", headers=key)
        ).json()
        assert contact["notices"] == ["proposal", "shipment", "offer_list_published"]
        shown = (await browser.get(page)).text
        assert 'name="notices" value="shipment" checked' in shown
        assert 'name="notices" value="decision" >' in shown  # not ticked
        # Every box ticked again: all notices, also kinds added later.
        every = re.findall(r'name="notices" value="([a-z_]+)"', shown)
        form |= {"csrf_token": csrf_of(shown), "notices": every}
        r = await browser.post(f"{page}/contacts/{contact['id']}", data=form)
        assert r.status_code == 303, r.text
        [contact] = (
            await stack.http.get(f"/api/v1/partners/{partner['code']}/contacts", headers=key)
        ).json()
        assert contact["notices"] is None

        # One's own notice address and language, on the account page.
        shown = (await browser.get("/account")).text
        assert 'name="email"' in shown and 'value="id"' in shown
        r = await browser.post(
            "/account/notices",
            data={"csrf_token": csrf_of(shown), "email": "me@perpusnas.example", "language": "id"},
        )
        assert r.status_code == 303 and "Notices are e-mailed to you." in flash_of(r)
        assert await asyncio.to_thread(users.notice_address, stack.engine, username) == (
            "me@perpusnas.example",
            "id",
        )
        shown = (await browser.get("/account")).text
        assert 'value="me@perpusnas.example"' in shown
        r = await browser.post(
            "/account/notices",
            data={"csrf_token": csrf_of(shown), "email": "not an address", "language": "id"},
        )
        assert r.status_code == 422 and 'value="not an address"' in r.text
        assert await asyncio.to_thread(users.notice_address, stack.engine, username) == (
            "me@perpusnas.example",
            "id",
        )
