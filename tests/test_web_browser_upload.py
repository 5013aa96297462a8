"""The portal's MARC upload in a real browser (Debian's Chromium, Playwright): offered on the
partner's own exchange once it has shipped, and nowhere else (issue 14: it was offered on
every exchange, our outgoing ones included)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.conftest import Stack
from tests.support import lines, marc_file, register_partner, wait_for
from tests.web_support import make_user

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")


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


async def _post(stack: Stack, path: str, body: dict[str, Any], key: dict[str, str]) -> Any:
    r = await stack.http.post(path, json=body, headers=key)
    assert r.is_success, r.text
    return r.json()


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_the_portal_offers_the_upload_only_on_a_shipped_exchange_of_the_partner(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    outgoing = await _post(
        stack, "/api/v1/exchanges", {"partner": code, "lines": lines(1)}, stack.staff
    )
    own = await _post(stack, "/api/v1/exchanges", {"lines": lines(1)}, key)
    url = f"/api/v1/exchanges/{own['id']}"
    accept = {"accept": [{"line_id": own["lines"][0]["id"], "quantity": 1}]}
    await _post(stack, f"{url}/decision", accept, stack.staff)
    user = await make_user(stack, "partner", code, name="Olga Ivanova")

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    base = stack.base_url
    try:
        await page.goto(f"{base}/partner/signin")
        await page.get_by_label("User name").fill(user[0])
        await page.get_by_label("Password").fill(user[1])
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Offers to decide on")).to_be_visible()

        await page.goto(f"{base}/partner/exchanges/{outgoing['id']}")
        await expect(page.locator("#marc h2")).to_be_visible()
        await expect(page.get_by_role("button", name="Upload")).to_have_count(0)
        await page.goto(f"{base}/partner/exchanges/{own['id']}")
        await expect(page.get_by_role("button", name="Upload")).to_have_count(0)

        # The partner ships from the page; the upload appears, and takes the parcel's file.
        await page.get_by_label("Carrier").fill("EMS")
        await page.get_by_role("button", name="Record the shipment").click()
        await expect(page.get_by_role("status")).to_contain_text("Shipment recorded.")
        upload = marc_file(tmp_path / "parcel.mrc", 4, broken_at={3})
        await page.get_by_label("MARC file").set_input_files(str(upload))
        await page.get_by_role("button", name="Upload").click()
        await page.wait_for_url("**/partner/batches/*")
        batch_id = page.url.rsplit("/", 1)[-1]
        ended = {"completed", "staged", "committed", "failed"}
        await wait_for(stack.http, f"/api/v1/marc-batches/{batch_id}", key, "state", ended)
        await page.reload()
        await expect(page.locator("#count-rejected")).to_have_text("1")
    finally:
        await context.close()
