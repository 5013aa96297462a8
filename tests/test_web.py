"""The pages over real HTTP against the running app and worker: sign-in, sessions, CSRF,
authorization, languages and every step of the lifecycle through a form."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from services.exchange.web.throttle import SignInThrottle
from tests.conftest import Stack
from tests.support import lines, marc_file, register_partner, wait_for
from tests.web_support import (
    csrf_of,
    flash_of,
    make_user,
    post_form,
    signed_in,
    user_client,
)
from tests.webhook_receiver import Receiver


async def _exchange(stack: Stack, partner: dict[str, Any], *quantities: int) -> str:
    r = await stack.http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(*quantities)},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    exchange_id: str = r.json()["id"]
    return exchange_id


async def _api(stack: Stack, exchange_id: str) -> dict[str, Any]:
    r = await stack.http.get(f"/api/v1/exchanges/{exchange_id}", headers=stack.staff)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_signing_in_out_and_the_session_cookie(stack: Stack) -> None:
    username, password = await make_user(stack, "acquisitions", name="Siti Rahayu")
    async with httpx.AsyncClient(base_url=stack.base_url, headers={"Accept": "text/html"}) as web:
        r = await web.get("/exchanges?state=proposed")
        assert r.status_code == 303
        assert r.headers["location"] == "/signin?next=%2Fexchanges%3Fstate%3Dproposed"

        page = await web.get("/signin")
        token = csrf_of(page.text)
        wrong = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": "nope"}
        )
        assert wrong.status_code == 401
        assert "The user name or password is not right." in wrong.text
        assert "exchange_session" not in wrong.cookies

        r = await web.post(
            "/signin",
            data={
                "csrf_token": token,
                "username": username,
                "password": password,
                "next": "/exchanges?state=proposed",
            },
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/exchanges?state=proposed"
        cookie = next(
            h for h in r.headers.get_list("set-cookie") if h.startswith("exchange_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()

        home = await web.get("/")
        assert home.status_code == 200
        assert "Signed in as Siti Rahayu" in home.text
        assert "What needs you now" in home.text

        out = await web.post("/signout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        again = await web.get("/")
        assert again.status_code == 303 and again.headers["location"].startswith("/signin")


async def test_a_partner_user_signing_in_on_the_staff_page_lands_in_the_portal(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    username, password = await make_user(stack, "partner", partner["code"])
    async with signed_in(stack, username, password, portal=False) as web:
        r = await web.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/partner/"
        portal = await web.get("/partner/")
        assert portal.status_code == 200
        assert f"Your exchanges with {stack.settings.home_name}" in portal.text


async def test_forms_without_the_csrf_token_are_refused(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await _exchange(stack, partner, 2)
    async with user_client(stack, "acquisitions") as web:
        r = await web.post(f"/exchanges/{exchange_id}/cancel", data={"reason": "forged"})
        assert r.status_code == 403
        assert "security token" in r.text
        forged = await web.post(
            f"/exchanges/{exchange_id}/cancel", data={"reason": "forged", "csrf_token": "x" * 43}
        )
        assert forged.status_code == 403
    assert (await _api(stack, exchange_id))["state"] == "proposed"

    username, password = await make_user(stack, "acquisitions")
    async with httpx.AsyncClient(base_url=stack.base_url) as stranger:
        r = await stranger.post("/signin", data={"username": username, "password": password})
        assert r.status_code == 403
        assert "exchange_session" not in r.cookies


async def test_a_partner_user_gets_404_for_another_partners_exchange(stack: Stack) -> None:
    mine, _ = await register_partner(stack.http, stack.staff)
    theirs, their_key = await register_partner(stack.http, stack.staff)
    their_exchange = await _exchange(stack, theirs, 1)
    own_exchange = await _exchange(stack, mine, 1)
    path = tmp = Path(stack.settings.data_dir) / f"web-{their_exchange}.mrc"
    marc_file(tmp, 2)
    with path.open("rb") as f:
        r = await stack.http.post(
            "/api/v1/marc-batches",
            files={"file": ("x.mrc", f)},
            data={"exchange_id": their_exchange},
            headers=stack.staff,
        )
    assert r.status_code == 202, r.text
    their_batch = r.json()["batch_id"]

    async with user_client(stack, "partner", mine["code"]) as web:
        own = await web.get(f"/partner/exchanges/{own_exchange}")
        assert own.status_code == 200
        for url in (
            f"/partner/exchanges/{their_exchange}",
            f"/partner/exchanges/{their_exchange}/records",
            f"/partner/exchanges/{their_exchange}/packing-list",
            f"/partner/batches/{their_batch}",
            f"/partner/batches/{their_batch}/progress",
            f"/partner/batches/{their_batch}/outcomes.csv",
            f"/partner/batches/{their_batch}/rejected.mrc",
            f"/partner/exchanges/{'0' * 8}-0000-4000-8000-000000000000",
        ):
            r = await web.get(url)
            assert r.status_code == 404, url
            assert "There is no such page, or it is not yours to see." in r.text
        token = csrf_of(own.text)
        for step in ("decide", "cancel", "ship", "receive", "lost", "revise"):
            r = await web.post(
                f"/partner/exchanges/{their_exchange}/{step}",
                data={"csrf_token": token, "reason": "x", "decision": "decline"},
            )
            assert r.status_code == 404, step
        # Staff pages are not for partner users, whatever the exchange.
        r = await web.get(f"/exchanges/{their_exchange}")
        assert r.status_code == 303 and r.headers["location"] == "/partner/"
    assert (await _api(stack, their_exchange))["state"] == "proposed"
    r = await stack.http.get(f"/api/v1/exchanges/{their_exchange}", headers=their_key)
    assert r.json()["state"] == "proposed"


async def test_roles_apply_to_pages_as_to_the_api(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await _exchange(stack, partner, 1)
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(f"/exchanges/{exchange_id}")
        assert page.status_code == 200
        assert 'action="/exchanges/' + exchange_id + '/cancel"' not in page.text
        r = await web.post(
            f"/exchanges/{exchange_id}/cancel",
            data={"csrf_token": csrf_of(page.text), "reason": "not mine to cancel"},
        )
        assert r.status_code == 303
        assert "needs the admin or acquisitions role" in flash_of(r)
    assert (await _api(stack, exchange_id))["state"] == "proposed"


async def test_the_whole_lifecycle_through_the_pages(stack: Stack, tmp_path: Path) -> None:
    """Every step: deposit, propose from the fund, revise, decide in part, ship, receive with
    a damaged copy, answer and confirm the claim, upload MARC; and a cancelled exchange."""
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    async with (
        user_client(stack, "acquisitions") as staff,
        user_client(stack, "partner", code) as portal,
    ):
        title = f"Babad Tanah Jawi {code}"
        r = await post_form(
            staff,
            "/fund",
            "/fund/deposits",
            {"title": title, "author": "Ranggawarsita", "copies": "6", "year": "2012"},
        )
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        fund = await stack.http.get(f"/api/v1/fund?q={code}", headers=stack.staff)
        item = fund.json()["items"][0]
        assert item["copies_available"] == 4

        new = await staff.get(f"/proposals/new?q={code}")
        assert title in new.text
        review = await staff.post(
            "/proposals/review",
            data={"csrf_token": csrf_of(new.text), "partner": code, f"qty-{item['id']}": "3"},
        )
        assert review.status_code == 200
        assert "Send the proposal" in review.text
        sent = await staff.post(
            "/proposals",
            data={
                "csrf_token": csrf_of(review.text),
                "partner": code,
                "pick": f"{item['id']}:3",
            },
        )
        assert sent.status_code == 303, sent.text
        exchange_url = sent.headers["location"]
        exchange_id = exchange_url.rsplit("/", 1)[1]
        x = await _api(stack, exchange_id)
        assert x["lines"][0]["record_id"] == item["id"] and x["lines"][0]["quantity"] == 3

        page = await staff.get(exchange_url)
        assert 'id="revise"' in page.text and 'id="decide"' not in page.text
        r = await staff.post(
            f"{exchange_url}/revise",
            data={
                "csrf_token": csrf_of(page.text),
                "title-001": title,
                "record-001": str(item["id"]),
                "quantity-001": "2",
                "title-002": "Serat Centhini",
                "quantity-002": "1",
                "year-002": "1815",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        x = await _api(stack, exchange_id)
        assert [(line["title"], line["quantity"]) for line in x["lines"]] == [
            (title, 2),
            ("Serat Centhini", 1),
        ]

        portal_url = f"/partner/exchanges/{exchange_id}"
        page = await portal.get(portal_url)
        assert 'id="decide"' in page.text and 'id="revise"' not in page.text
        first, second = x["lines"]
        r = await portal.post(
            f"{portal_url}/decide",
            data={
                "csrf_token": csrf_of(page.text),
                "decision": "accept",
                f"qty-{first['id']}": "2",
                f"qty-{second['id']}": "0",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        assert (await _api(stack, exchange_id))["state"] == "accepted"

        packing = await staff.get(f"{exchange_url}/packing-list")
        assert packing.status_code == 200
        assert title in packing.text and "Serat Centhini" not in packing.text  # not accepted
        assert "Copies in all" in packing.text

        # A refused step shows the server's reason.
        r = await post_form(portal, portal_url, f"{portal_url}/ship", {"carrier": "EMS"})
        assert "only the sender" in flash_of(r)

        r = await post_form(
            staff,
            exchange_url,
            f"{exchange_url}/ship",
            {"carrier": "Pos Indonesia", "tracking": "EE1ID", "parcels": "1"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)

        page = await portal.get(portal_url)
        assert 'id="receive"' in page.text
        r = await portal.post(
            f"{portal_url}/receive",
            data={
                "csrf_token": csrf_of(page.text),
                f"received-{first['id']}": "2",
                f"damaged-{first['id']}": "1",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        x = await _api(stack, exchange_id)
        claim = next(c for c in x["claims"] if c["kind"] == "damaged")

        page = await staff.get(exchange_url)
        assert f"/claims/{claim['claim_no']}/answer" in page.text
        r = await staff.post(
            f"{exchange_url}/claims/{claim['claim_no']}/answer",
            data={"csrf_token": csrf_of(page.text), "action": "resend", "note": "new copy"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        r = await post_form(
            portal, portal_url, f"{portal_url}/claims/{claim['claim_no']}/confirm", {}
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        done = await wait_for(
            stack.http,
            f"/api/v1/exchanges/{exchange_id}",
            stack.staff,
            "state",
            {"completed"},
        )
        assert done["claims"][0]["state"] == "resolved"
        page = await staff.get(exchange_url)
        assert "Record the shipment" not in page.text
        assert "claim_resolved" in page.text or "claim resolved" in page.text.lower()

        # The partner's own MARC upload, from the exchange page, with its report.
        upload = marc_file(tmp_path / "shipment.mrc", 3, broken_at={2})
        page = await portal.get(portal_url)
        with upload.open("rb") as f:
            r = await portal.post(
                f"{portal_url}/marc",
                data={"csrf_token": csrf_of(page.text), "mode": "dry_run"},
                files={"file": ("shipment.mrc", f, "application/marc")},
            )
        assert r.status_code == 303, r.text
        report_url = r.headers["location"]
        assert report_url.startswith("/partner/batches/"), flash_of(r)
        for _ in range(200):
            report = await portal.get(report_url)
            if 'data-state="running"' not in report.text:
                break
            await asyncio.sleep(0.1)
        assert 'id="count-rejected">1<' in report.text
        assert "Record" in report.text and "Byte offset" in report.text

        # Cancelling, from the other side this time.
        other = await _exchange(stack, partner, 1)
        r = await post_form(
            portal,
            f"/partner/exchanges/{other}",
            f"/partner/exchanges/{other}/cancel",
            {"reason": "Already in our collection"},
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        assert (await _api(stack, other))["state"] == "cancelled"


async def test_a_partner_offers_publications_through_the_portal(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", partner["code"]) as web:
        r = await post_form(
            web,
            "/partner/offers/new",
            "/partner/offers",
            {
                "title-1": "Белорусская энциклопедия, т. 1",
                "isbn-1": "978-985-11-0001-2",
                "quantity-1": "2",
                "title-2": "Купала. Избранное",
                "year-2": "2018",
            },
        )
        assert r.status_code == 303, r.text
        exchange_id = r.headers["location"].rsplit("/", 1)[1]
        bad = await post_form(
            web, "/partner/offers/new", "/partner/offers", {"title-1": "x", "year-1": "soon"}
        )
        assert "year: 'soon' is not a whole number" in flash_of(bad)
    x = await _api(stack, exchange_id)
    assert x["direction"] == "incoming" and x["sender"] == partner["code"]
    assert [line["quantity"] for line in x["lines"]] == [2, 1]
    async with user_client(stack, "acquisitions") as staff:
        home = await staff.get("/")
        assert exchange_id in home.text  # among the offers awaiting our decision
        listed = await staff.get(f"/exchanges?partner={partner['code']}&q=Купала")
        assert exchange_id in listed.text
        year = x["created_at"][:4]
        assert f'href="/reports/exchanges.csv?year={year}"' in listed.text
        report = await staff.get(f"/reports/exchanges.csv?year={year}")
        assert report.headers["content-type"].startswith("text/csv")
        assert exchange_id in report.text and "Купала. Избранное" in report.text


async def test_languages_are_remembered_and_dates_follow_the_locale(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await _exchange(stack, partner, 1)
    async with user_client(stack, "acquisitions") as staff:
        r = await staff.get(f"/lang/id?next=/exchanges/{exchange_id}")
        assert r.status_code == 303 and r.headers["location"] == f"/exchanges/{exchange_id}"
        page = await staff.get(f"/exchanges/{exchange_id}")
        assert '<html lang="id">' in page.text
        assert "Riwayat" in page.text and "Batalkan pertukaran" in page.text
        x = await _api(stack, exchange_id)
        months_id = [
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "Mei",
            "Jun",
            "Jul",
            "Agu",
            "Sep",
            "Okt",
            "Nov",
            "Des",
        ]
        respond_by = x["respond_by"]
        month = months_id[int(respond_by[5:7]) - 1]
        assert f"{int(respond_by[8:10])} {month} {respond_by[:4]}" in page.text
        # Staff pages do not speak Russian; an unknown choice falls back to English.
        await staff.get("/lang/ru?next=/")
        assert '<html lang="en">' in (await staff.get("/")).text
    async with user_client(stack, "partner", partner["code"]) as portal:
        portal.headers["Accept-Language"] = "ru-RU,ru;q=0.9,en;q=0.5"
        page = await portal.get(f"/partner/exchanges/{exchange_id}")
        assert '<html lang="ru">' in page.text and "Решение по предложению" in page.text
        await portal.get("/lang/en?next=/partner/")
        assert '<html lang="en">' in (await portal.get("/partner/")).text


async def test_api_errors_stay_problem_json_for_browsers(stack: Stack) -> None:
    r = await stack.http.get(
        "/api/v1/exchanges/nope", headers={**stack.staff, "Accept": "text/html"}
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_user_command_creates_and_disables_users(tmp_path: Path) -> None:
    env = {**os.environ, "EXCHANGE_DATA_DIR": str(tmp_path)}
    exe = [sys.executable, "-m", "services.exchange.cli.main", "user"]

    def run(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*exe, *args], input=password, env=env, capture_output=True, text=True, timeout=60
        )

    ok = run(
        "add", "siti", "--role", "acquisitions", "--password-stdin", password="kata-sandi-rahasia\n"
    )
    assert ok.returncode == 0, ok.stderr
    assert "user siti (acquisitions) created" in ok.stdout
    again = run("add", "siti", "--role", "cataloguer", "--password-stdin", password="x" * 12)
    assert again.returncode == 2 and "already a user siti" in again.stderr
    short = run("add", "budi", "--role", "cataloguer", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    nopartner = run("add", "olga", "--role", "partner", "--password-stdin", password="y" * 12)
    assert nopartner.returncode == 2 and "--partner" in nopartner.stderr

    from services.exchange.service import users
    from services.exchange.storage.db import make_engine

    engine = make_engine(f"sqlite:///{(tmp_path / 'exchange.db').resolve()}")
    try:
        token = users.sign_in(engine, "siti", "kata-sandi-rahasia")
        assert token is not None
        assert users.session_for(engine, token, "HOME") is not None
        assert users.sign_in(engine, "siti", "wrong-password") is None
        changed = run("password", "siti", "--password-stdin", password="kata-sandi-baru-1\n")
        assert changed.returncode == 0, changed.stderr
        assert users.session_for(engine, token, "HOME") is None  # sessions end
        assert users.sign_in(engine, "siti", "kata-sandi-rahasia") is None
        token = users.sign_in(engine, "siti", "kata-sandi-baru-1")
        assert token is not None
        off = run("disable", "siti")
        assert off.returncode == 0, off.stderr
        assert users.session_for(engine, token, "HOME") is None
        assert users.sign_in(engine, "siti", "kata-sandi-baru-1") is None
    finally:
        engine.dispose()


async def test_partner_pages_show_agreement_balance_chart_and_deliveries(stack: Stack) -> None:
    receiver = Receiver(fail_first=1).start()
    try:
        partner, key = await register_partner(stack.http, stack.staff, webhook_url=receiver.url)
        code = partner["code"]
        exchange_id = await _exchange(stack, partner, 3)
        url = f"/api/v1/exchanges/{exchange_id}"
        line = (await _api(stack, exchange_id))["lines"][0]["id"]
        for path, body, headers in (
            ("decision", {"accept": [{"line_id": line, "quantity": 2}]}, key),
            ("shipment", {"carrier": "EMS"}, stack.staff),
            ("receipt", {"lines": [{"line_id": line, "received": 2}]}, key),
        ):
            r = await stack.http.post(f"{url}/{path}", json=body, headers=headers)
            assert r.status_code == 200, r.text
        await wait_for(stack.http, url, stack.staff, "state", {"completed"})
        for _ in range(200):
            if len(receiver.accepted()) >= 4:
                break
            await asyncio.sleep(0.05)

        async with user_client(stack, "acquisitions") as web:
            listing = await web.get("/partners")
            assert f'href="/partners/{code}"' in listing.text
            assert "valid until" in listing.text
            page = await web.get(f"/partners/{code}")
            assert page.status_code == 200
            assert "respond within 30 days" in page.text and "valid today" in page.text
            assert "sent 2" in page.text and "received 0" in page.text  # the chart
            assert 'class="bar sent" style="width: 80.0%"' in page.text
            assert "delivered" in page.text and exchange_id[:8] in page.text
            assert "failed" in page.text or "503" in page.text  # the first, refused attempt
        async with user_client(stack, "cataloguer") as web:
            r = await web.get(f"/partners/{code}")
            assert r.status_code == 403  # balances and deliveries are for acquisitions
    finally:
        receiver.stop()


async def test_the_fund_is_searched_by_isbn_on_the_proposal_page(stack: Stack) -> None:
    r = await stack.http.post(
        "/api/v1/deposits",
        json={
            "title": "Sejarah Nasional Indonesia, jilid 1",
            "isbn": "978-979-407-409-7",
            "copies": 5,
        },
        headers=stack.staff,
    )
    assert r.status_code in (200, 201), r.text
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/proposals/new?q=9789794074097")
        assert "Sejarah Nasional Indonesia, jilid 1" in page.text


async def test_odd_numbers_in_addresses_and_forms_give_messages_not_errors(stack: Stack) -> None:
    huge = "9" * 20
    async with user_client(stack, "acquisitions") as web:
        for url in (
            "/exchanges?year=²",
            f"/exchanges?year={huge}",
            "/exchanges?page=0",
            "/proposals/new?pick=²:1",
            f"/proposals/new?pick={huge}:1&pick=1:{huge}",
        ):
            r = await web.get(url)
            assert r.status_code in (200, 422), (url, r.status_code)
        page = await web.get("/proposals/new")
        token = csrf_of(page.text)
        for data in (
            {"qty-²": "1", "partner": "X"},
            {"pick": f"{huge}:1", "partner": "X"},
            {"qty-1": huge, "partner": "X"},
            {"qty-1": "²", "partner": "X"},
        ):
            r = await web.post("/proposals/review", data={"csrf_token": token, **data})
            assert r.status_code in (200, 303), (data, r.status_code)
            r = await web.post("/proposals", data={"csrf_token": token, **data})
            assert r.status_code == 303, (data, r.status_code)
            assert flash_of(r).startswith("error:"), (data, flash_of(r))


async def test_revising_through_the_page_keeps_what_the_form_does_not_show(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    r = await stack.http.post(
        "/api/v1/exchanges",
        json={
            "partner": partner["code"],
            "lines": [
                {
                    "title": "Jurnal Perpustakaan",
                    "issn": "1234-5679",
                    "quantity": 2,
                    "unit_value": "5.00",
                    "currency": "EUR",
                }
            ],
        },
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    exchange_id = r.json()["id"]
    async with user_client(stack, "acquisitions") as web:
        r = await post_form(
            web,
            f"/exchanges/{exchange_id}",
            f"/exchanges/{exchange_id}/revise",
            {
                "title-001": "Jurnal Perpustakaan",
                "quantity-001": "3",
                "issn-001": "1234-5679",
                "value-001": "5.00",
                "currency-001": "EUR",
            },
        )
        assert flash_of(r).startswith("ok:"), flash_of(r)
        page = await web.get(f"/exchanges/{exchange_id}")
        assert 'name="issn-001" value="1234-5679"' in page.text
        assert 'name="currency-001" value="EUR"' in page.text
    line = (await _api(stack, exchange_id))["lines"][0]
    assert (line["quantity"], line["issn"], line["unit_value"], line["currency"]) == (
        3,
        "1234-5679",
        "5.00",
        "EUR",
    )


async def test_repeated_failed_sign_ins_make_that_name_wait(stack: Stack) -> None:
    username, password = await make_user(stack, "acquisitions")
    async with httpx.AsyncClient(base_url=stack.base_url) as web:
        token = csrf_of((await web.get("/signin")).text)
        for attempt in range(4):
            if attempt == 3:
                await asyncio.sleep(1.1)  # three failures earn a wait of 1 s, the fourth 2 s
            r = await web.post(
                "/signin", data={"csrf_token": token, "username": username, "password": "guess"}
            )
            assert r.status_code == 401
        r = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": password}
        )
        assert r.status_code == 429
        assert r.headers["retry-after"] in ("1", "2")
        assert "Too many failed sign-ins. Try again in 1 minutes." in r.text
        assert "exchange_session" not in r.cookies
        await asyncio.sleep(int(r.headers["retry-after"]))  # a short wait, not a lockout
        r = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": password}
        )
        assert r.status_code == 303
    other, other_password = await make_user(stack, "acquisitions")
    async with signed_in(stack, other, other_password) as web:
        assert (await web.get("/")).status_code == 200


async def test_the_throttle_counts_per_name_and_per_address(stack: Stack) -> None:
    throttle, engine = SignInThrottle(free_failures=2), stack.engine
    throttle.failed(engine, "Siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "siti", "10.0.0.1") == 0
    throttle.failed(engine, "siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "SITI", "10.0.0.1") > 0  # names are counted case-blind
    assert throttle.wait_seconds(engine, "siti", "10.0.0.3") == 0  # per name and address
    throttle.succeeded(engine, "siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "siti", "10.0.0.1") == 0
    for name in ("a", "b", "c"):
        throttle.failed(engine, name, "10.0.0.9")
    assert throttle.wait_seconds(engine, "d", "10.0.0.9") == 0, "other names are not delayed"


async def test_a_signed_out_cookie_no_longer_opens_pages(stack: Stack) -> None:
    async with user_client(stack, "acquisitions") as web:
        cookie = web.cookies["exchange_session"]
        home = await web.get("/")
        await web.post("/signout", data={"csrf_token": csrf_of(home.text)})
    async with httpx.AsyncClient(
        base_url=stack.base_url, cookies={"exchange_session": cookie}
    ) as replay:
        r = await replay.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


async def test_a_form_sent_after_the_session_ended_returns_to_its_page(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as web:
        r = await web.post(
            "/exchanges/abc/cancel",
            data={"reason": "x"},
            headers={"Referer": f"{stack.base_url}/exchanges/abc"},
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/signin?next=%2Fexchanges%2Fabc"


async def test_cataloguers_cannot_deposit_or_propose_on_the_pages(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "cataloguer") as web:
        r = await post_form(web, "/fund", "/fund/deposits", {"title": "x", "copies": "3"})
        assert "needs the admin or acquisitions role" in flash_of(r)
        r = await post_form(
            web, "/proposals/new", "/proposals", {"partner": partner["code"], "pick": "1:1"}
        )
        assert "needs the admin or acquisitions role" in flash_of(r)


async def test_an_offer_of_zero_copies_is_refused_with_a_reason(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", partner["code"]) as web:
        r = await post_form(
            web, "/partner/offers/new", "/partner/offers", {"title-1": "x", "quantity-1": "0"}
        )
        assert flash_of(r).startswith("error:") and "quantity" in flash_of(r)


async def test_an_admin_registers_a_partner_and_its_agreement_on_the_pages(stack: Stack) -> None:
    code = f"W{os.urandom(3).hex().upper()}"
    async with user_client(stack, "admin") as web:
        page = await web.get("/partners")
        assert page.text.count('id="partner-form"') == 1
        assert re.search(r"<title>[^<]*</title>", page.text)  # nothing but text in the title
        r = await web.post(
            "/partners",
            data={
                "csrf_token": csrf_of(page.text),
                "code": code,
                "name": "Russian State Library",
                "country": "ru",
                "marc_format": "rusmarc",
            },
        )
        assert r.status_code == 200, r.text
        key = re.search(r'id="api-key">([^<]+)<', r.text)
        assert key, r.text
        partner_key = {"Authorization": f"Bearer {key.group(1)}"}
        mine = await stack.http.get("/api/v1/exchanges", headers=partner_key)
        assert mine.status_code == 200  # the key shown once works

        r = await post_form(
            web,
            f"/partners/{code}",
            f"/partners/{code}/agreements",
            {
                "signed_on": "2026-01-10",
                "valid_from": "2026-01-10",
                "valid_to": "2030-12-31",
                "programmes": "material_exchange",
                "response_days": "45",
                "receipt_days": "90",
            },
        )
        assert flash_of(r) == "ok:Agreement recorded.", flash_of(r)
        page = await web.get(f"/partners/{code}")
        assert "respond within 45 days" in page.text
        bad = await post_form(
            web,
            f"/partners/{code}",
            f"/partners/{code}/agreements",
            {
                "signed_on": "2026-01-10",
                "valid_from": "2026-02-01",
                "valid_to": "2026-01-01",
                "programmes": "material_exchange",
            },
        )
        assert flash_of(bad).startswith("error:"), flash_of(bad)
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/partners")
        assert 'id="partner-form"' not in page.text
        r = await web.post(
            "/partners",
            data={
                "csrf_token": csrf_of(page.text),
                "code": "ZZ",
                "name": "x",
                "country": "BY",
                "marc_format": "marc21",
            },
        )
        assert r.status_code == 303 and "needs the admin role" in flash_of(r)
