"""The issue's browser test for the yearly statistics (issue 17), in Debian's Chromium: a
librarian opens the statistics page from the menu, picks a partner in the plain GET form and
sees the server-drawn charts (bars of copies per year, the balance line with the tolerance
dashed at + and -) with the tables of their figures beside them, and the report's links."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.conftest import Stack
from tests.support import AGREEMENT, register_partner
from tests.test_lifecycle import _complete_outgoing
from tests.test_web_browser import _check, _sign_in
from tests.test_web_browser import browser as browser  # the module's Chromium, reused
from tests.web_support import make_user


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_the_statistics_page_shows_its_charts(stack: Stack, browser: Browser) -> None:
    base = stack.base_url
    agreement = {**AGREEMENT, "tolerance": "10", "yearly_quota": 6}
    partner, key = await register_partner(
        stack.http, stack.staff, name="National Library of Belarus", agreement=agreement
    )
    code = partner["code"]
    sent = [{"title": "Babad Tanah Jawi", "quantity": 3, "language": "ind"}]
    await _complete_outgoing(stack, code, key, sent)
    librarian = await make_user(stack, "acquisitions", name="Siti Rahayu")

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await _sign_in(page, base, "/signin", *librarian)
        await page.get_by_role("navigation").get_by_role("link", name="Statistics").click()
        await expect(page.locator("h1")).to_contain_text("Statistics")
        await page.get_by_label("Partner").select_option(code)
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("h1")).to_contain_text("National Library of Belarus")
        assert f"partner={code}" in page.url

        copies = page.locator("#copies-chart svg")
        await expect(copies).to_be_visible()
        await expect(copies).to_have_attribute("role", "img")
        bars = copies.locator("rect.chart-bar")
        assert await bars.count() == 10, "five years, sent and received"
        tallest = copies.locator('rect.chart-bar[data-value="3"]')
        await expect(tallest).to_be_visible()
        box = await tallest.bounding_box()
        assert box is not None and box["height"] > 20
        await expect(copies.locator("line.chart-reference")).to_have_count(1)  # the yearly quota
        await expect(page.locator("#copies-table")).to_contain_text("3")

        balance = page.locator("#balance-chart svg")
        await expect(balance).to_be_visible()
        await expect(balance.locator("circle.chart-point")).to_have_count(5)
        await expect(balance.locator("line.chart-reference")).to_have_count(2)  # ± the tolerance
        await expect(page.locator("#balance-table")).to_contain_text("3")
        await expect(page.locator("#partner-balance")).to_contain_text("within the tolerance")
        await expect(page.locator("#languages")).to_contain_text("Indonesian")
        pdf = page.locator("#report-downloads a", has_text="PDF · Русский")
        assert f"partner={code}" in (await pdf.get_attribute("href") or "")
        await _check(page, "statistics")
    finally:
        await context.close()
