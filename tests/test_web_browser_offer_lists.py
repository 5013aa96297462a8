"""The issue's browser test (issue 15), in Debian's Chromium: staff publish an offer list to
three partners on the staff pages; two partner users, in two browsers, race for its last
copy (both forms sent at the same moment): one gets it, the other sees the refusal beside
the item with what it typed; both submit, and two exchanges start, on the staff exchange
list; the list's closing timer closes it (Temporal's time-skipping server: six weeks pass in
a moment) and the portal shows it closed; the notices arrive at the local SMTP server in each
contact's language, Russian for the Russian contact and English for the English one.

One test on the ``skipping_stack`` (a full stack: API, worker, SQLite, the SMTP server, on
the time-skipping server), so the race, the exchanges and the timer are one story; the
server skips time only when told (``skipping_env.sleep``), so the pages run in real time.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack
from tests.smtp_server import SmtpServer
from tests.support import closing_day, register_partner, wait_for
from tests.test_web_browser import _OVERFLOW, _check, _sign_in
from tests.test_web_browser import browser as browser  # the module's Chromium, reused
from tests.web_support import make_user

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


async def _deposit(stack: Stack, title: str, available: int) -> None:
    copies = available + stack.settings.retention_copies  # the retained ones are not offered
    r = await stack.http.post(
        "/api/v1/deposits",
        json={"title": title, "copies": copies, "year": 2021},
        headers=stack.staff,
    )
    assert r.status_code in (200, 201), r.text


async def _contact(stack: Stack, code: str, name: str, email: str, language: str) -> None:
    r = await stack.http.post(
        f"/api/v1/partners/{code}/contacts",
        json={"name": name, "email": email, "language": language},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text


async def _flash(page: Page) -> str:
    """The kind of the message the page came back with: ok (a status) or error (an alert)."""
    shown = page.locator("p.flash.error, div.flash")
    await expect(shown.first).to_be_visible()
    return "error" if "error" in (await shown.first.get_attribute("class") or "") else "ok"


async def test_a_list_to_three_partners_raced_submitted_closed_and_mailed(
    skipping_stack: Stack,
    skipping_env: WorkflowEnvironment,
    browser: Browser,
    smtp_server: SmtpServer,
) -> None:
    stack, base, tag = skipping_stack, skipping_stack.base_url, uuid.uuid4().hex[:6]
    libraries: list[dict[str, Any]] = []
    for name, country in (
        (f"Russian State Library {tag}", "RU"),
        (f"National Library of Malaysia {tag}", "MY"),
        (f"National Library of Belarus {tag}", "BY"),
    ):
        libraries.append(
            (await register_partner(stack.http, stack.staff, name=name, country=country))[0]
        )
    russian, english, _third = libraries
    ru_mail, en_mail = f"anna.{tag}@rsl.test", f"aminah.{tag}@pnm.test"
    await _contact(stack, russian["code"], "Анна Иванова", ru_mail, "ru")
    await _contact(stack, english["code"], "Aminah Yusof", en_mail, "en")
    last, plenty = f"Serat Centhini {tag}", f"Babad Tanah Jawi {tag}"
    await _deposit(stack, last, 1)
    await _deposit(stack, plenty, 3)
    librarian = await make_user(stack, "acquisitions", name="Siti Rahayu")
    readers = [await make_user(stack, "partner", p["code"]) for p in (russian, english)]

    contexts = [
        await browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)
    ]
    staff, *portals = [await c.new_page() for c in contexts]
    try:
        # Staff: a list of the two items to the three partners, saved as a draft, published.
        await _sign_in(staff, base, "/signin", *librarian)
        await staff.goto(f"{base}/offer-lists/new")
        await staff.get_by_label("Search the exchange fund").fill(tag)
        await staff.get_by_role("button", name="Search").click()
        await staff.get_by_label(f"Copies to offer: {last}").fill("1")
        await staff.get_by_label(f"Copies to offer: {plenty}").fill("3")
        await staff.get_by_label("Title of the list").fill(f"Duplicates {tag}")
        # Six weeks ahead of both clocks (earlier tests moved the test server's clock on).
        closes_on = await closing_day(skipping_env, days=7 * stack.settings.offer_list_weeks)
        await staff.get_by_label("Closing day").fill(closes_on.isoformat())
        await staff.get_by_label("Only the partners ticked below").check()
        for library in libraries:
            await staff.locator(f'input[name=partner][value="{library["code"]}"]').check()
        await _check(staff, "offer-list-new")
        await staff.get_by_role("button", name="Save as a draft").click()
        await staff.get_by_role("button", name="Publish the list").click()
        await expect(staff.locator("#list-state")).to_have_text("published")
        list_id = re.sub(r"^.*/offer-lists/", "", staff.url).split("?")[0]
        number = (await staff.locator("h1 .mono").inner_text()).strip()

        # Two partners open the list and both want its last copy.
        for page, reader in zip(portals, readers, strict=True):
            await _sign_in(page, base, "/partner/signin", *reader)
            home = page.locator("#open-offer-lists")  # the start page names the open list
            await expect(home).to_contain_text(f"Duplicates {tag}")
            await _check(page)
            await page.get_by_role("navigation").get_by_role("link", name="Offer lists").click()
            await expect(page.locator("#open-lists")).to_contain_text(f"Duplicates {tag}")
            await page.get_by_role("link", name=f"Duplicates {tag}").click()
            await page.get_by_label(f"Copies to select: {last}").fill("1")
        await _check(portals[0], "portal-offer-list")
        await asyncio.gather(
            *(p.get_by_role("button", name="Save selection").click() for p in portals)
        )
        kinds = [await _flash(p) for p in portals]
        assert sorted(kinds) == ["error", "ok"], kinds
        winner, loser = portals if kinds[0] == "ok" else portals[::-1]
        await expect(winner.get_by_role("status")).to_contain_text("Selection saved.")
        wanted = loser.get_by_label(f"Copies to select: {last}")
        await expect(wanted).to_have_value("1")  # as typed
        await expect(wanted).to_have_attribute("aria-invalid", "true")
        row = loser.locator("tr", has=wanted)
        await expect(row.locator(".field-error")).to_be_visible()
        await expect(row).to_contain_text("no longer available")
        await expect(loser.get_by_role("alert")).to_be_visible()
        await _check(loser, "portal-offer-list-refused")

        # Both submit: the winner its last copy, the loser two of the other item instead.
        await wanted.fill("0")
        await loser.get_by_label(f"Copies to select: {plenty}").fill("2")
        for page in (winner, loser):
            await page.get_by_role("button", name="Submit selection").click()
            await expect(page.get_by_role("heading", name="Submit your selection?")).to_be_visible()
            await page.get_by_role("button", name="Yes, submit the selection").click()
            await expect(page.get_by_role("status")).to_contain_text("Selection submitted")
            await expect(page.locator("#submitted a")).to_be_visible()

        # Two exchanges, already accepted, on the staff exchange list.
        await staff.goto(f"{base}/exchanges")
        for library in (russian, english):
            found = staff.locator("tbody tr", has_text=library["name"])
            await expect(found.first).to_contain_text("accepted")
        await _check(staff, "exchanges-from-a-list")

        # The closing timer: six weeks pass, the list closes by itself.
        midnight = datetime.combine(closes_on + timedelta(days=1), datetime.min.time(), UTC)
        await skipping_env.sleep(midnight - await skipping_env.get_current_time())
        url = f"/api/v1/offer-lists/{list_id}"
        closed = await wait_for(stack.http, url, stack.staff, "state", {"closed"}, timeout=60)
        assert closed["closed_at"] is not None
        await loser.reload()
        await expect(loser.locator("h1 .state")).to_have_text("closed")
        await loser.set_viewport_size({"width": 390, "height": 844})  # and on a phone
        assert await loser.evaluate(_OVERFLOW) <= 0
        await _check(loser, "portal-offer-list-phone")
        for path, shot in (("wishlist", "portal-wishlist"), ("offer-lists/new", "portal-list-new")):
            await winner.goto(f"{base}/partner/{path}")
            await _check(winner, shot)  # every field has a name a screen reader reads out
        await staff.goto(f"{base}/offer-lists/{list_id}")
        await expect(staff.locator("#list-state")).to_have_text("closed")

        # The notices by e-mail, each in its contact's language.
        for address, russian_text in ((ru_mail, True), (en_mail, False)):
            published = (await smtp_server.wait_for(address, subject=number))[0]
            assert bool(_CYRILLIC.search(published.subject)) is russian_text, published.subject
            assert ("Offer list" in published.subject) is not russian_text, published.subject
            assert bool(_CYRILLIC.search(published.text)) is russian_text, published.text
            assert f"/partner/offer-lists/{list_id}" in published.text
            count = 2  # published, then closed (and closing soon between them)
            arrived = await smtp_server.wait_for(address, count=count, subject=number)
            for message in arrived:
                assert bool(_CYRILLIC.search(message.subject)) is russian_text, message.subject
    finally:
        for context in contexts:
            await context.close()
