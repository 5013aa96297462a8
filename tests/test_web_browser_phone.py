"""The pages on a phone (issue 19, item 6): Chromium at 390 x 844, as an iPhone 12-14 shows.

Tables become stacked cards: every column of the exchange page (Offered, Accepted, Received,
Damaged included) and every "Copies to offer" input of a new proposal is on the screen
without scrolling sideways, and each value carries its column's name (the cell's
``data-label``, the header's own message, shown before the value).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_browser import SHOTS, browser  # noqa: F401  (the browser fixture)
from tests.web_support import exchange_view, make_user

PHONE: ViewportSize = {"width": 390, "height": 844}

# Every cell of the page's tables with a header row: where it is, what it is labelled, what
# its column's header says, and what its label shows before the value.
_CELLS = """
(selector) => [...document.querySelectorAll(selector)].map(td => {
  const table = td.closest('table');
  const headers = [...table.querySelectorAll(':scope > thead th')].map(th => th.textContent.trim());
  const box = td.getBoundingClientRect();
  return {
    text: td.textContent.trim(),
    label: td.dataset.label ?? null,
    header: headers[td.cellIndex] ?? null,
    shown: getComputedStyle(td, '::before').content,
    left: box.left, right: box.right, width: box.width,
  };
})
"""
_SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"


async def _cells_fit(page: Page, selector: str) -> list[dict[str, Any]]:
    assert await page.evaluate(_SIDEWAYS) <= 0, f"{page.url} scrolls sideways"
    width = await page.evaluate("() => window.innerWidth")
    cells: list[dict[str, Any]] = await page.evaluate(_CELLS, selector)
    assert cells, f"no cells match {selector}"
    for cell in cells:
        assert cell["label"], f"a cell without its column's name: {cell}"
        assert cell["label"] == cell["header"], cell  # the header's own (translated) message
        assert cell["shown"] == f'"{cell["label"]}"', cell  # the label is on the screen
        assert 0 <= cell["left"] and cell["right"] <= width and cell["width"] > 0, cell
    return cells


async def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()


async def _post(stack: Stack, path: str, body: dict[str, Any], key: dict[str, str]) -> Any:
    r = await stack.http.post(path, json=body, headers=key)
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_an_exchange_and_a_proposal_fit_a_phone(
    stack: Stack,
    browser: Browser,  # noqa: F811
) -> None:
    base = stack.base_url
    word = f"Ponsel{uuid.uuid4().hex[:6]}"
    partner, key = await register_partner(stack.http, stack.staff)
    items = [
        await _post(
            stack,
            "/api/v1/deposits",
            {
                "title": f"Serat Centhini jilid {n} {word}",
                "author": "Ranggasutrasna",
                "copies": 6,
                "year": 1991,
            },
            stack.staff,
        )
        for n in (1, 2)
    ]
    exchange = await _post(
        stack,
        "/api/v1/exchanges",
        {
            "partner": partner["code"],
            "lines": [
                {"title": item["title"], "record_id": item["id"], "quantity": 3} for item in items
            ],
        },
        stack.staff,
    )
    url = f"/api/v1/exchanges/{exchange['id']}"
    first, second = (line["id"] for line in exchange["lines"])
    accept = [{"line_id": first, "quantity": 2}, {"line_id": second, "quantity": 3}]
    await _post(stack, f"{url}/decision", {"accept": accept}, key)
    await _post(stack, f"{url}/shipment", {"carrier": "Pos Indonesia"}, stack.staff)
    receipt = [
        {"line_id": first, "received": 2, "damaged": 1},
        {"line_id": second, "received": 3},
    ]
    await _post(stack, f"{url}/receipt", {"lines": receipt}, key)
    assert (await exchange_view(stack, exchange["id"]))["state"] == "received"

    librarian = await make_user(stack, "admin", name="Dewi Lestari")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = await context.new_page()
    try:
        await _sign_in(page, base, *librarian)
        await _cells_fit(page, "main table:has(> thead) > tbody > tr > td")  # the dashboard

        await page.goto(f"{base}/exchanges/{exchange['id']}")
        cells = await _cells_fit(page, "main table:has(> thead) > tbody > tr > td")
        shown = {(c["label"], c["text"]) for c in cells}
        for column, value in (("Offered", "3"), ("Accepted", "2"), ("Received", "2")):
            assert (column, value) in shown, (column, value)
        assert ("Damaged", "1") in shown
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "phone-exchange.png"), full_page=True)

        await page.goto(f"{base}/proposals/new")
        await page.get_by_label("Search the exchange fund").fill(word)
        await page.get_by_role("button", name="Search").click()
        cells = await _cells_fit(page, "main table:has(> thead) > tbody > tr > td")
        assert {c["label"] for c in cells} >= {"Title", "Available", "Copies to offer"}
        for item in items:
            field = page.get_by_label(f"Copies to offer: {item['title']}")
            await field.scroll_into_view_if_needed()
            await expect(field).to_be_in_viewport()
            box = await field.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
            await field.fill("1")
        await page.screenshot(path=str(SHOTS / "phone-proposal.png"), full_page=True)

        # At a desk's width the same tables are tables again, their headers in view.
        await page.set_viewport_size({"width": 1280, "height": 900})
        header = page.locator("main table thead th", has_text="Copies to offer")
        await expect(header).to_be_visible()
    finally:
        await context.close()
