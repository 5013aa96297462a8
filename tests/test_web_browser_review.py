"""Resolving a multi-match by hand in a real browser (Debian's Chromium driven by Playwright),
against the running app, worker and Temporal: upload a file whose record matches two catalogue
records (none with an ISBN) by title, author and year; open it beside a candidate, merge it
into that candidate, commit, and see the batch committed and the candidate's holdings grow.

Screenshots go to ``.screenshots/`` (or ``EXCHANGE_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.catalogue_support import book, import_records, record_ids, tag
from tests.conftest import Stack
from tests.support import wait_for
from tests.web_support import csrf_of, flash_of, make_user, post_form, user_client

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("EXCHANGE_SCREENSHOTS", Path(__file__).parents[1] / ".screenshots"))
_UNLABELLED = """
() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.closest('label'))
  .map(e => e.name || e.id || e.outerHTML)
"""


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


async def _check(page: Page, shot: str) -> None:
    """Every control has a name a screen reader reads out; a screenshot for the README."""
    assert await page.evaluate(_UNLABELLED) == [], page.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


async def _two_twins(stack: Stack, word: str) -> tuple[int, int]:
    """Two catalogue records alike in title, author and year, without ISBNs to tell them
    apart: the second was proposed for review, and a cataloguer kept it as a new record."""
    title = f"Светильник Сибири {word}"
    await import_records(stack, [book(title, author="Иванов, И. И.", year=1911)])
    twin = await import_records(
        stack, [book(title, author="Иванов, И. И.", year=1911, edition="2-е изд.")], commit=False
    )
    review = f"/batches/{twin['id']}/review"
    async with user_client(stack, "cataloguer") as client:
        r = await post_form(client, review, f"{review}/1/decide", {"choice": "create"})
        assert flash_of(r).startswith("ok:"), flash_of(r)
        page = await client.get(review)
        r = await client.post(
            f"/batches/{twin['id']}/commit", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.headers["location"] == f"/batches/{twin['id']}", flash_of(r)
    await wait_for(
        stack.http, f"/api/v1/marc-batches/{twin['id']}", stack.staff, "state", {"committed"}
    )
    first, second = await record_ids(stack.http, stack.staff, word)
    return first, second


async def _until_state(page: Page, state: str, tries: int = 120) -> None:
    """Reload the batch report until it shows ``state`` (the worker runs apart)."""
    marker = page.locator("#batch-state")
    for _ in range(tries):
        if await marker.get_attribute("data-state") == state:
            return
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(marker).to_have_attribute("data-state", state)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_a_multi_match_resolved_by_hand_and_committed(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    base = stack.base_url
    word = tag()
    first, second = await _two_twins(stack, word)
    upload = tmp_path / "sibir.mrc"
    # No ISBN either: only its title, author and year point at the two records.
    upload.write_bytes(
        book(f"Светильник Сибири {word}", author="Иванов, И. И.", year=1911).as_marc()
    )
    username, password = await make_user(stack, "cataloguer", name="Dewi Lestari")

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(f"{base}/signin")
        await page.get_by_label("User name").fill(username)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()

        await page.get_by_role("link", name="Cataloguing", exact=True).click()
        await page.get_by_label("MARC file").set_input_files(str(upload))
        await page.locator('form[enctype="multipart/form-data"] button[type=submit]').click()
        await _until_state(page, "staged")

        await page.get_by_role("link", name="Review the staged records").click()
        await expect(page.get_by_role("heading", name="Review the import")).to_be_visible()
        await expect(page.locator("#unresolved")).to_be_visible()
        await expect(page.get_by_role("button", name="Commit to the catalogue")).to_have_count(0)
        row = page.locator("#record-1")
        await expect(row).to_contain_text("several possible matches")
        await expect(row).to_contain_text("title, author and year")
        await _check(page, "review")

        # Beside the second candidate: its 250 is only in the catalogue.
        await row.get_by_role("link", name=str(second), exact=True).click()
        await expect(page.locator('#comparison tr[data-tag="250"]')).to_have_attribute(
            "data-mark", "right_only"
        )
        await expect(page.locator('#comparison tr[data-tag="245"]')).to_have_attribute(
            "data-mark", "same"
        )
        await expect(page.get_by_role("link", name=f"record {first}")).to_be_visible()
        await _check(page, "review-compare")
        await page.get_by_role("button", name=f"Merge holdings into record {second}").click()
        await expect(page.get_by_role("status")).to_contain_text("Decision saved.")
        await expect(page.get_by_label("Decision for record 1")).to_have_value(f"merge:{second}")

        await page.get_by_role("button", name="Commit to the catalogue").click()
        await expect(page.get_by_role("status")).to_contain_text("Commit started.")
        await _until_state(page, "committed")

        await page.goto(f"{base}/catalogue/{second}")
        await expect(page.locator("#record-holdings")).to_have_text("2")
        await expect(page.locator("#history")).to_contain_text("merged (copies added)")
        await _check(page, "catalogue-record")
    finally:
        await context.close()

    for record_id, holdings in ((first, 1), (second, 2)):
        r = await stack.http.get(f"/api/v1/records/{record_id}", headers=stack.staff)
        assert r.json()["holdings"] == holdings, record_id
    assert len(await record_ids(stack.http, stack.staff, word)) == 2  # nothing new created
