"""The pages in a real browser (Debian's Chromium driven by Playwright) against the running
app and worker: a proposal from the fund, accepted in part on the partner portal, shipped,
received, then a MARC import and its report; one page in Bahasa Indonesia.

Screenshots of the main pages go to ``.screenshots/`` (or ``EXCHANGE_SCREENSHOTS``); the
README shows copies of them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import Stack
from tests.support import marc_file, register_partner
from tests.web_support import make_user

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("EXCHANGE_SCREENSHOTS", Path(__file__).parents[1] / ".screenshots"))

# Every form control a person can use has a name a screen reader can read out.
_UNLABELLED = """
() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.closest('label'))
  .map(e => e.name || e.id || e.outerHTML)
"""
_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


async def _check(page: Page, shot: str | None = None) -> None:
    assert await page.evaluate(_UNLABELLED) == [], page.url
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


async def _sign_in(page: Page, base: str, path: str, username: str, password: str) -> None:
    await page.goto(f"{base}{path}")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_a_proposal_from_the_fund_to_the_import_report(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    base = stack.base_url
    partner, _ = await register_partner(
        stack.http, stack.staff, name="National Library of Belarus", country="BY"
    )
    code = partner["code"]
    # No ISBNs: a deposit of a known ISBN adds copies to that publication, and other tests
    # share this database.
    for title, copies in (("Babad Tanah Jawi", 6), ("Babad Diponegoro", 4)):
        r = await stack.http.post(
            "/api/v1/deposits",
            json={"title": f"{title} {code}", "copies": copies, "year": 2019},
            headers=stack.staff,
        )
        assert r.status_code in (200, 201), r.text
    librarian = await make_user(stack, "admin", name="Siti Rahayu")
    partner_user = await make_user(stack, "partner", code, name="Olga Ivanova")

    staff_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    portal_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    staff, portal = await staff_context.new_page(), await portal_context.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked
    elsewhere: list[str] = []  # requests to any host but ours
    for page in (staff, portal):
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on(
            "request",
            lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url),
        )
    try:
        # Staff: sign in and propose two fund items to the partner.
        await _sign_in(staff, base, "/signin", *librarian)
        await expect(staff.get_by_role("heading", name="What needs you now")).to_be_visible()
        await staff.get_by_role("link", name="New proposal").click()
        await staff.get_by_label("Search the exchange fund").fill(code)
        await staff.get_by_role("button", name="Search").click()
        await staff.get_by_label(f"Copies to offer: Babad Tanah Jawi {code}").fill("3")
        await staff.get_by_label(f"Copies to offer: Babad Diponegoro {code}").fill("2")
        await staff.get_by_label("Partner library").select_option(code)
        await _check(staff, "proposal-new")
        await staff.get_by_role("button", name="Review the proposal").click()
        await expect(staff.get_by_role("heading", name="Review the proposal")).to_be_visible()
        await staff.get_by_role("button", name="Send the proposal").click()
        await expect(staff.get_by_role("status")).to_contain_text("Proposal sent.")
        exchange_path = re.sub(r"^https?://[^/]+", "", staff.url)
        assert exchange_path.startswith("/exchanges/")

        # Partner: the offer is on the portal's start page; accept part of it.
        await _sign_in(portal, base, "/partner/signin", *partner_user)
        await expect(portal.get_by_role("heading", name="Offers to decide on")).to_be_visible()
        await portal.get_by_role("link", name=f"Babad Diponegoro {code}").first.click()
        await portal.get_by_label(f"Babad Tanah Jawi {code} (offered: 3)").fill("2")
        await portal.get_by_label(f"Babad Diponegoro {code} (offered: 2)").fill("0")
        await _check(portal, "portal-exchange")
        await portal.get_by_role("button", name="Record the decision").click()
        await expect(portal.get_by_role("status")).to_contain_text("Decision recorded.")
        await expect(portal.locator("h1 .state")).to_have_text("accepted")

        # Staff: ship. A refused step would show its reason; this one is allowed.
        await staff.goto(f"{base}{exchange_path}")
        await staff.get_by_label("Carrier").fill("Pos Indonesia")
        await staff.get_by_label("Tracking number").fill("EE123456789ID")
        await staff.get_by_role("button", name="Record the shipment").click()
        await expect(staff.get_by_role("status")).to_contain_text("Shipment recorded.")
        await _check(staff, "exchange")

        # Partner: record what arrived (one damaged copy becomes a claim).
        await portal.goto(f"{base}/partner{exchange_path}")
        await portal.get_by_label(f"Damaged: Babad Tanah Jawi {code}").fill("1")
        await portal.get_by_role("button", name="Record the receipt").click()
        await expect(portal.get_by_role("status")).to_contain_text("Receipt recorded.")
        await expect(portal.locator("#claims")).to_contain_text("damaged")
        await portal.goto(f"{base}/partner/")
        await _check(portal, "portal-dashboard")

        # Staff: the claim shows on the dashboard; answer it from the exchange page.
        await staff.goto(f"{base}/")
        await expect(
            staff.locator("section", has_text="Exchanges with open claims")
        ).to_contain_text(f"Babad Diponegoro {code}")
        await _check(staff, "dashboard")
        await staff.goto(f"{base}{exchange_path}")
        await staff.get_by_label("Answer").select_option("write_off")
        await staff.get_by_role("button", name="Answer the claim").click()
        await expect(staff.get_by_role("status")).to_contain_text("The claim was answered.")
        await expect(staff.locator("h1 .state")).to_have_text("completed")

        # Staff: import a MARC file with one broken record and read the report.
        upload = marc_file(tmp_path / "deposit-2026.mrc", 40, broken_at={7})
        await staff.get_by_role("link", name="Cataloguing").click()
        await staff.get_by_label("MARC file").set_input_files(str(upload))
        await _check(staff)
        await staff.get_by_role("button", name="Upload").click()
        await expect(staff.get_by_role("heading", name="Summary")).to_be_visible(timeout=30_000)
        await expect(staff.locator("#count-rejected")).to_have_text("1")
        created = int(await staff.locator("#count-created").inner_text())
        merged = int(await staff.locator("#count-merged").inner_text())
        review = int(await staff.locator("#count-multi").inner_text())
        # Merged, or proposed for review, when another test imported the same records first.
        assert created + merged + review == 39
        await expect(staff.locator("#rejected tbody td").first).to_have_text("7")
        await _check(staff, "import-report")

        # The same desk in Bahasa Indonesia, remembered across pages.
        await staff.get_by_role("link", name="Bahasa Indonesia").click()
        await expect(
            staff.get_by_role("heading", name="Laporan impor", exact=False)
        ).to_be_visible()
        await staff.get_by_role("link", name="Dasbor").click()
        await expect(
            staff.get_by_role("heading", name="Yang perlu Anda tangani sekarang")
        ).to_be_visible()
        await _check(staff, "dashboard-id")

        # A narrow screen: nothing wider than the phone.
        await staff.set_viewport_size({"width": 390, "height": 844})
        await staff.goto(f"{base}{exchange_path}")
        assert await staff.evaluate(_OVERFLOW) <= 0
        await _check(staff, "exchange-phone")
        assert refused == [], refused
        assert elsewhere == [], elsewhere
    finally:
        await staff_context.close()
        await portal_context.close()
