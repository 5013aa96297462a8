"""What a librarian sees of the first day's forms and errors, in Chromium (issue 19, items 1,
3, 4, 5 and 10): the staff partner pages in Bahasa Indonesia, only the forms one may use, a
refused form filled in with its reason beside the field, a search that keeps every choice, the
fund found by ISBN and ISSN, and a cancel that asks first."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_browser import _check, _sign_in
from tests.test_web_browser import browser as browser  # the module's Chromium, reused
from tests.web_support import exchange_of, exchange_view, make_user

pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def _signed_in(page: Page, stack: Stack, role: str, partner: str | None = None) -> None:
    username, password = await make_user(stack, role, partner)
    path = "/partner/signin" if role == "partner" else "/signin"
    await _sign_in(page, stack.base_url, path, username, password)
    await expect(page.get_by_role("button", name=re.compile("Sign out|Выйти"))).to_be_visible()


async def test_the_staff_partner_pages_stay_the_staff_desk_in_indonesian(
    stack: Stack, page: Page
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, name="Perpustakaan Negara")
    await _signed_in(page, stack, "admin")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await page.get_by_role("navigation").get_by_role("link", name="Mitra").click()
    await expect(page.get_by_role("heading", name="Perpustakaan mitra", exact=True)).to_be_visible()
    await page.get_by_role("link", name=partner["code"], exact=True).click()
    await expect(page.get_by_role("heading", name="Perpustakaan Negara")).to_be_visible()
    header = page.locator("header.top")
    await expect(header).not_to_contain_text("Portal mitra")
    await expect(header.locator(".langs strong")).to_have_text("Bahasa Indonesia")
    await expect(header.get_by_role("link", name="Dasbor")).to_have_attribute("href", "/")
    await _check(page, "partner-id")
    await page.get_by_role("button", name="Keluar").click()
    await expect(page).to_have_url(re.compile(r"/signin"))
    assert "/partner/" not in page.url


async def test_each_role_sees_only_the_forms_it_may_use(stack: Stack, page: Page) -> None:
    await _signed_in(page, stack, "cataloguer")
    nav = page.get_by_role("navigation")
    await expect(nav.get_by_role("link", name="Fund")).to_be_visible()
    await expect(nav.get_by_role("link", name="New proposal")).to_have_count(0)
    await page.goto(f"{stack.base_url}/proposals/new")
    await expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    await expect(page.get_by_text("Proposals are made by acquisitions staff")).to_be_visible()
    await expect(nav.get_by_role("link", name="Cataloguing")).to_be_visible()  # the menu stays
    await page.goto(f"{stack.base_url}/fund")
    await expect(page.get_by_role("heading", name="Record a deposit")).to_have_count(0)
    await page.goto(f"{stack.base_url}/cataloguing")
    await expect(page.get_by_role("button", name="Upload")).to_be_visible()

    await page.context.clear_cookies()
    await _signed_in(page, stack, "acquisitions")
    await page.goto(f"{stack.base_url}/cataloguing")
    await expect(page.get_by_role("button", name="Upload")).to_have_count(0)
    await expect(page.get_by_text("MARC files are uploaded by cataloguers")).to_be_visible()


async def test_a_refused_form_keeps_what_was_typed_with_the_reason_beside_it(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, agreement=None)
    code = partner["code"]
    exchange_id = await exchange_of(stack, (await register_partner(stack.http, stack.staff))[0], 1)
    number = (await exchange_view(stack, exchange_id)).get("number") or exchange_id[:8]
    await _signed_in(page, stack, "admin")
    await page.goto(f"{stack.base_url}/partners/{code}")
    await page.get_by_label("Signed on").fill("2026-01-10")
    await page.get_by_label("Valid from").fill("2026-02-01")
    await page.get_by_label("Valid to").fill("2026-01-01")
    await page.get_by_label("Days to answer a proposal").fill("45")
    await page.get_by_role("button", name="Record the agreement").click()
    beside = page.locator("#a-valid_to-error")
    await expect(beside).to_have_text("the agreement ends before it starts")
    await expect(page.get_by_role("alert")).to_contain_text("Valid to: the agreement ends")
    await expect(page.get_by_role("alert")).not_to_contain_text("valid_to")
    await expect(page.get_by_label("Valid from")).to_have_value("2026-02-01")
    await expect(page.get_by_label("Valid to")).to_have_value("2026-01-01")
    await expect(page.get_by_label("Days to answer a proposal")).to_have_value("45")
    await _check(page, "agreement-refused")

    # The upload form: the exchange is picked from a list, by its number.
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    await page.goto(f"{stack.base_url}/cataloguing")
    choice = page.get_by_label("For exchange")
    label = await choice.locator("option", has_text=number).first.inner_text()
    await choice.select_option(label=label)
    await page.get_by_label("MARC file").set_input_files(str(empty))
    await page.get_by_label("Dry run").check()
    await page.get_by_role("button", name="Upload").click()
    await expect(page.locator("#file-error")).to_contain_text("choose it again")
    await expect(page.get_by_label("For exchange")).to_have_value(exchange_id)
    await expect(page.get_by_label("Dry run")).to_be_checked()
    await expect(page.get_by_role("navigation")).to_be_visible()
    await _check(page, "upload-refused")


async def test_a_search_keeps_the_partner_and_the_copies_typed(stack: Stack, page: Page) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    isbn = f"978{uuid.uuid4().int % 10**9:09d}"
    isbn += str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(isbn)) % 10)
    for title, extra in ((f"Alpha {code}", {}), (f"Beta {code}", {"isbn": isbn})):
        r = await stack.http.post(
            "/api/v1/deposits", json={"title": title, "copies": 6, **extra}, headers=stack.staff
        )
        assert r.status_code in (200, 201), r.text
    await _signed_in(page, stack, "acquisitions")
    await page.goto(f"{stack.base_url}/proposals/new")
    await page.get_by_label("Partner library").select_option(code)
    await page.get_by_label("Search the exchange fund").fill(f"Alpha {code}")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_label(f"Copies to offer: Alpha {code}").fill("2")
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    await page.get_by_label("Search the exchange fund").fill(hyphenated)
    await page.get_by_label("Search the exchange fund").press("Enter")
    await expect(page.get_by_label(f"Copies to offer: Beta {code}")).to_be_visible()
    await expect(page.get_by_label("Partner library")).to_have_value(code)
    await expect(page.locator("section", has_text="Chosen so far")).to_contain_text(f"Alpha {code}")
    await page.get_by_label(f"Copies to offer: Beta {code}").fill("1")
    await page.get_by_role("button", name="Review the proposal").click()
    lines = page.locator("table tbody tr")
    await expect(lines).to_have_count(2)

    await page.goto(f"{stack.base_url}/fund")
    await page.get_by_label("Search (title, author, ISBN or ISSN)").fill(hyphenated)
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("cell", name=f"Beta {code}")).to_be_visible()
    await expect(page.get_by_role("columnheader", name="ISSN")).to_be_visible()


async def test_cancelling_asks_first_on_the_desk_and_the_portal(stack: Stack, page: Page) -> None:
    partner, _ = await register_partner(stack.http, stack.staff, name="Russian State Library")
    for prefix, role in (("", "acquisitions"), ("/partner", "partner")):
        exchange_id = await exchange_of(stack, partner, 1)
        number = (await exchange_view(stack, exchange_id)).get("number") or exchange_id[:8]
        await page.context.clear_cookies()
        await _signed_in(page, stack, role, partner["code"] if prefix else None)
        await page.goto(f"{stack.base_url}{prefix}/exchanges/{exchange_id}")
        cancel = page.locator("#cancel")
        await cancel.get_by_label("Reason").fill("Budget year closed")
        await cancel.get_by_role("button", name="Cancel the exchange").click()
        await expect(page.get_by_role("heading", name=f"Cancel exchange {number}?")).to_be_visible()
        await expect(page.locator("#cancel-effect")).to_contain_text("It cannot be undone.")
        await page.get_by_role("link", name="No, keep it").click()
        await expect(page.locator("h1 .state")).to_have_text("proposed")
        await page.locator("#cancel").get_by_label("Reason").fill("Budget year closed")
        await page.locator("#cancel").get_by_role("button", name="Cancel the exchange").click()
        await expect(page.get_by_label("Reason")).to_have_value("Budget year closed")
        await _check(page, f"cancel-confirm{prefix.replace('/', '-')}")
        await page.get_by_role("button", name="Yes, cancel the exchange").click()
        await expect(page.get_by_role("status")).to_contain_text("The exchange was cancelled.")
        await expect(page.locator("h1 .state")).to_have_text("cancelled")
