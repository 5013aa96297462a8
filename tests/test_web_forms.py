"""The pages' other forms over real HTTP: users from the command line, the partner pages, the
fund search, odd numbers, revisions, what each role sees, and registering partners."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import Stack
from tests.support import register_partner, wait_for
from tests.web_support import (
    csrf_of,
    exchange_of,
    exchange_view,
    flash_of,
    post_form,
    user_client,
)
from tests.webhook_receiver import Receiver


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
        exchange_id = await exchange_of(stack, partner, 3)
        url = f"/api/v1/exchanges/{exchange_id}"
        line = (await exchange_view(stack, exchange_id))["lines"][0]["id"]
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
            "isbn": "978-979-407-409-1",
            "copies": 5,
        },
        headers=stack.staff,
    )
    assert r.status_code in (200, 201), r.text
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/proposals/new?q=9789794074091")
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
    line = (await exchange_view(stack, exchange_id))["lines"][0]
    assert (line["quantity"], line["issn"], line["unit_value"], line["currency"]) == (
        3,
        "1234-5679",
        "5.00",
        "EUR",
    )


async def test_cataloguers_cannot_deposit_or_propose_on_the_pages(stack: Stack) -> None:
    """The forms are not shown to them (test_web_first_day_forms); a post is still refused."""
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "cataloguer") as web:
        r = await post_form(web, "/fund", "/fund/deposits", {"title": "x", "copies": "3"})
        assert r.status_code == 403 and "needs the admin or acquisitions role" in r.text
        r = await post_form(web, "/fund", "/proposals", {"partner": partner["code"], "pick": "1:1"})
        assert "Proposals are made by acquisitions staff" in flash_of(r)


async def test_an_offer_of_zero_copies_is_refused_with_a_reason(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "partner", partner["code"]) as web:
        r = await post_form(
            web, "/partner/offers/new", "/partner/offers", {"title-1": "x", "quantity-1": "0"}
        )
        # The form comes back as typed, the reason beside the copies (test_web_identifiers).
        assert r.status_code == 422
        assert 'id="quantity-1-error">must be at least 1</span>' in r.text
        assert 'name="title-1"' in r.text and 'value="x"' in r.text


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
        assert bad.status_code == 422  # shown again, filled in (test_web_first_day_forms)
        assert "the agreement ends before it starts" in bad.text
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
