"""What a person reads of who and what, in a real browser: exchange numbers on the dashboard,
the lists, the exchange page and the packing list; libraries and people by name (never a
library code, a ``staff:`` key or a user id); the packing list's two addresses and contacts;
and the same person shown the same through the API and the pages.

It runs on a stack of its own: who "the administrator" is depends on the staff users there
are, and the shared stacks have many.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack, running_stack
from tests.support import bearer, lines, register_partner
from tests.web_support import make_user

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")
HOME_ADDRESS = "Jl. Medan Merdeka Selatan No. 11|Jakarta Pusat 10110|Indonesia"
PARTNER_NAME = "Russian State Library"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def own_stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(
        temporal_env.client,
        "names",
        tmp_path,
        f"sqlite:///{tmp_path / 'exchange.db'}",
        home_address=HOME_ADDRESS,
    ) as stack:
        yield stack


async def _sign_in(page: Page, base: str, path: str, username: str, password: str) -> None:
    await page.goto(f"{base}{path}")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


def _no_codes(text: str, *codes: str) -> None:
    """Nothing a person reads is a library code, a staff key or a user id."""
    for code in codes:
        assert not re.search(rf"\b{re.escape(code)}\b", text), (code, text)
    assert "staff:" not in text and not re.search(r"\buser-\d", text), text


async def test_numbers_and_names_on_every_page(own_stack: Stack, browser: Browser) -> None:
    stack, base = own_stack, own_stack.base_url
    home, home_name = stack.settings.home_code, stack.settings.home_name
    code = f"RSL{uuid.uuid4().hex[:5].upper()}"
    partner, key = await register_partner(
        stack.http, stack.staff, code=code, name=PARTNER_NAME, country="RU"
    )
    address = {"lines": "Vozdvizhenka 3/5\nMoscow 119019", "country": "RU"}
    contact = {"name": "Anna Ivanova", "email": "exchange@rsl.example", "language": "ru"}
    for path, body in (("addresses", address), ("contacts", contact)):
        r = await stack.http.post(f"/api/v1/partners/{code}/{path}", json=body, headers=stack.staff)
        assert r.status_code == 201, r.text
    # The one administrator holds the bootstrap key: what she does through the API is hers.
    await make_user(stack, "admin", name="Siti Rahma")
    clerk = await make_user(stack, "acquisitions", name="Budi Santoso")
    reader = await make_user(stack, "partner", code, name="Olga Ivanova")

    r = await stack.http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(2)}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    exchange = r.json()
    number = exchange["number"]
    assert re.fullmatch(r"EX-\d{4}-\d{4}", number), number
    assert exchange["history"][0]["actor"] == "staff:admin"
    assert exchange["history"][0]["actor_name"] == "Siti Rahma"
    accept = [{"line_id": line["id"], "quantity": 2} for line in exchange["lines"]]
    r = await stack.http.post(
        f"/api/v1/exchanges/{exchange['id']}/decision",
        json={"accept": accept},
        headers=bearer(partner["api_key"]),
    )
    assert r.status_code == 200, r.text
    assert key  # the partner's key decided; its name is the partner's

    staff_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    staff = await staff_context.new_page()
    try:
        await _sign_in(staff, base, "/signin", *clerk)
        await expect(staff.locator(".session")).to_contain_text("Signed in as Budi Santoso")
        dispatch = staff.locator("section", has_text="Shipments to dispatch")
        await expect(dispatch).to_contain_text(number)
        await expect(dispatch).to_contain_text(PARTNER_NAME)
        _no_codes(await staff.inner_text("main"), code, home)

        await dispatch.get_by_role("link", name=number).click()
        await expect(staff.locator("h1")).to_contain_text(number)
        assert number in await staff.title()
        facts = staff.locator("dl.facts")
        await expect(facts.locator("div", has_text="Sender")).to_contain_text(home_name)
        await expect(facts.locator("div", has_text="Recipient")).to_contain_text(PARTNER_NAME)
        await staff.get_by_label("Carrier").fill("EMS")
        await staff.get_by_role("button", name="Record the shipment").click()
        await expect(staff.get_by_role("status")).to_contain_text("Shipment recorded.")
        history = staff.locator("#history")
        await expect(history).to_contain_text("Siti Rahma")  # proposed with the admin key
        await expect(history).to_contain_text(PARTNER_NAME)  # decided with the partner's key
        await expect(history).to_contain_text("Budi Santoso")  # shipped on this page
        _no_codes(await staff.inner_text("body"), code, home)

        await staff.get_by_role("link", name="Packing list").first.click()
        await expect(staff.locator("h1")).to_contain_text(number)
        sender, recipient = staff.locator("#sender"), staff.locator("#recipient")
        await expect(sender).to_contain_text(home_name)
        for line in HOME_ADDRESS.split("|"):
            await expect(sender).to_contain_text(line)
        await expect(recipient).to_contain_text(PARTNER_NAME)
        await expect(recipient).to_contain_text("Vozdvizhenka 3/5")
        await expect(recipient).to_contain_text("Russia")  # the country, by name
        await expect(recipient).to_contain_text("Anna Ivanova")
        await expect(recipient).to_contain_text("exchange@rsl.example")
        _no_codes(await staff.inner_text("main"), code, home)

        await staff.goto(f"{base}/exchanges")
        await staff.get_by_label("Search (number, title, author, ISBN)").fill(number)
        await staff.get_by_role("button", name="Filter").click()
        rows = staff.locator("main table tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(number)
        await expect(rows.first).to_contain_text(PARTNER_NAME)
        _no_codes(await staff.inner_text("main"), code, home)
    finally:
        await staff_context.close()

    portal_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    portal = await portal_context.new_page()
    try:
        await _sign_in(portal, base, "/partner/signin", *reader)
        await expect(portal.locator(".session")).to_contain_text(
            f"Signed in as Olga Ivanova ({PARTNER_NAME})"
        )
        await portal.goto(f"{base}/partner/exchanges")
        table = portal.locator("main table").first
        await expect(table).to_contain_text(number)
        headers = await table.locator("thead th").all_inner_texts()
        assert "Partner" not in [h.strip() for h in headers], headers
        await table.get_by_role("link", name=number).click()
        await expect(portal.locator("dl.facts")).to_contain_text(home_name)
        await expect(portal.locator("#history")).to_contain_text("Siti Rahma")
        _no_codes(await portal.inner_text("main"), code, home)
    finally:
        await portal_context.close()
