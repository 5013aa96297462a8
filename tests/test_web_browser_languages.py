"""The staff desk in Bahasa Indonesia and the partner portal in Russian, walked in Chromium.

A realistic exchange is built first (a proposal of several lines, a partial acceptance, a
shipment with tracking, a receipt with damaged copies, a claim resent and confirmed, a MARC
upload and its import), with a second one still waiting for the partner's decision, an offer
from the partner, and a MARC file staged for review. Then every staff page is read in
Indonesian and every portal page in Russian; each must show no English text the catalog
translates, no raw code and no plural form the number does not take, by the catalogs' own
messages and plural rules (``tests/language_check.py``). A step the server refuses shows its
reason in the reader's language.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import Stack
from tests.language_check import VISIBLE_TEXT, problems
from tests.support import lines, marc_file, register_partner, wait_for
from tests.web_support import make_user

pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
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


async def _build(stack: Stack, tmp_path: Path) -> dict[str, Any]:
    """The exchanges, fund and batches the pages will show; their ids and codes."""
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, name="Russian State Library", country="RU")
    for title, copies in (("Babad Tanah Jawi", 21), ("Serat Centhini", 1), ("Pararaton", 5)):
        r = await http.post(
            "/api/v1/deposits",
            json={"title": f"{title} {partner['code']}", "copies": copies, "year": 2019},
            headers=staff,
        )
        assert r.status_code in (200, 201), r.text
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(3, 2, 1, 5)},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    first, second, *_ = (line["id"] for line in r.json()["lines"])
    steps: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (
            "decision",
            {"accept": [{"line_id": first, "quantity": 3}, {"line_id": second, "quantity": 2}]},
            key,
        ),
        (
            "shipment",
            {"carrier": "Pos Indonesia", "tracking": "EE123456789ID", "parcels": 2},
            staff,
        ),
        (
            "receipt",
            {
                "lines": [
                    {"line_id": first, "received": 3, "damaged": 2},
                    {"line_id": second, "received": 1},
                ]
            },
            key,
        ),
    ]
    for step, body, headers in steps:
        r = await http.post(f"{url}/{step}", json=body, headers=headers)
        assert r.status_code == 200, r.text
    upload = marc_file(tmp_path / "shipment.mrc", 5, broken_at={3})
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=staff)
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    finished = {"completed", "staged"}  # staged: a cataloguer reviews it before the commit
    await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", finished)
    claims = (await http.get(url, headers=staff)).json()["claims"]
    for claim in claims:
        answer = (
            {"action": "resend", "note": "EMS"}
            if claim["kind"] == "damaged"
            else {"action": "write_off"}
        )
        r = await http.post(f"{url}/claims/{claim['claim_no']}/answer", json=answer, headers=staff)
        assert r.status_code == 200, r.text
    resent = next(c["claim_no"] for c in claims if c["kind"] == "damaged")
    r = await http.post(f"{url}/claims/{resent}/confirm", json={}, headers=key)
    assert r.status_code == 200, r.text

    # Still waiting for the partner: one line, one copy.
    r = await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(1)}, headers=staff
    )
    assert r.status_code == 201, r.text
    waiting = r.json()["id"]
    # The partner's own offer, for us to decide on: 21 copies.
    r = await http.post("/api/v1/exchanges", json={"lines": lines(21)}, headers=key)
    assert r.status_code == 201, r.text
    offered = r.json()["id"]
    # A deposit file staged for review.
    staged = marc_file(tmp_path / "deposit.mrc", 4)
    r = await http.post("/api/v1/marc-batches", files={"file": staged.open("rb")}, headers=staff)
    assert r.status_code == 202, r.text
    staged_id = r.json()["batch_id"]
    await wait_for(
        http, f"/api/v1/marc-batches/{staged_id}", staff, "state", {"staged", "completed"}
    )
    return {
        "code": partner["code"],
        "done": url.rsplit("/", 1)[1],
        "waiting": waiting,
        "offered": offered,
        "batch": batch_id,
        "staged": staged_id,
    }


async def _signed_in_context(
    browser: Browser, stack: Stack, language: str, path: str, role: str, partner: str | None
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "exchange_lang", "value": language, "url": stack.base_url}])
    page = await context.new_page()
    username, password = await make_user(stack, role, partner, name="Dewi Lestari")
    await page.goto(f"{stack.base_url}{path}")
    locale = {"id": "id_ID", "ru": "ru_RU"}[language]
    assert problems(language, locale, await page.evaluate(VISIBLE_TEXT)) == [], path
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.locator("form button[type=submit]").first.click()
    await page.wait_for_load_state()
    return context, page


async def _walk(page: Page, base: str, paths: list[str], language: str, locale: str) -> None:
    found: dict[str, list[str]] = {}
    for path in paths:
        response = await page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, (path, response)
        assert await page.evaluate("document.documentElement.lang") == language, path
        texts = await page.evaluate(VISIBLE_TEXT)
        if faults := problems(language, locale, texts):
            found[path] = faults
    assert not found, "\n".join(f"{path}: {fault}" for path, f in found.items() for fault in f)


async def _links(page: Page, pattern: str) -> list[str]:
    hrefs = await page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if re.fullmatch(pattern, h)})


async def test_the_desk_in_indonesian_and_the_portal_in_russian(
    stack: Stack,
    browser: Browser,
    tmp_path: Path,
) -> None:
    built = await _build(stack, tmp_path)
    base, code = stack.base_url, built["code"]
    done, waiting = built["done"], built["waiting"]

    staff_context, staff = await _signed_in_context(browser, stack, "id", "/signin", "admin", None)
    try:
        await staff.goto(f"{base}/catalogue")
        records = await _links(staff, r"/catalogue/\d+")
        staff_pages = [
            "/",
            "/exchanges",
            f"/exchanges/{done}",
            f"/exchanges/{done}/packing-list",
            f"/exchanges/{waiting}",
            f"/exchanges/{waiting}/cancel?reason=Salah+kirim",
            "/proposals/new",
            f"/proposals/new?partner={code}&q={code}",
            "/fund",
            f"/fund?q={code}",
            "/partners",
            f"/partners/{code}",
            "/cataloguing",
            "/batches",
            f"/batches/{built['batch']}",
            f"/batches/{built['staged']}",
            "/catalogue",
            *records[:1],
            "/audit",
        ]
        staff_pages.append(f"/exchanges/{built['offered']}")
        staged = await stack.http.get(
            f"/api/v1/marc-batches/{built['staged']}", headers=stack.staff
        )
        if staged.json()["state"] == "staged":
            staff_pages += [f"/batches/{built['staged']}/review"]
        await _walk(staff, base, staff_pages, "id", "id_ID")
        # The history speaks Indonesian, with its counts.
        await staff.goto(f"{base}/exchanges/{done}")
        history = staff.locator("#history")
        await expect(history).to_contain_text("2 dari 4 judul, 5 eksemplar")
        await expect(history).to_contain_text("4 dari 5 eksemplar diterima, 2 rusak")
        # The live progress line is written by the server, in the page's language.
        progress = await staff.request.get(f"{base}/batches/{built['batch']}/progress")
        line = (await progress.json())["text"]
        assert line.startswith("5 dari 5 cantuman, ") and line.endswith(" per detik"), line

        # Our decision on the partner's offer, refused with a state the reader reads in
        # Indonesian: it was accepted in another tab meanwhile.
        await staff.goto(f"{base}/exchanges/{built['offered']}")
        offered_line = (
            await stack.http.get(f"/api/v1/exchanges/{built['offered']}", headers=stack.staff)
        ).json()["lines"][0]["id"]
        r = await stack.http.post(
            f"/api/v1/exchanges/{built['offered']}/decision",
            json={"accept": [{"line_id": offered_line, "quantity": 1}]},
            headers=stack.staff,
        )
        assert r.status_code == 200, r.text
        await staff.locator("#decide button[type=submit]").click()
        alert = staff.get_by_role("alert")
        await expect(alert).to_contain_text(
            "tidak dapat memutuskan pertukaran yang berstatus diterima (seharusnya diusulkan)"
        )
        assert problems("id", "id_ID", await staff.evaluate(VISIBLE_TEXT)) == []
    finally:
        await staff_context.close()

    portal_context, portal = await _signed_in_context(
        browser, stack, "ru", "/partner/signin", "partner", code
    )
    try:
        portal_pages = [
            "/partner/",
            "/partner/exchanges",
            f"/partner/exchanges/{done}",
            f"/partner/exchanges/{done}/packing-list",
            f"/partner/exchanges/{waiting}",
            f"/partner/exchanges/{waiting}/cancel?reason=Ошибка",
            "/partner/offers/new",
            f"/partner/batches/{built['batch']}",
        ]
        portal_pages.append(f"/partner/exchanges/{built['offered']}")
        await _walk(portal, base, portal_pages, "ru", "ru_RU")
        await portal.goto(f"{base}/partner/")
        home = stack.settings.home_name  # the name in quotes, after a word that declines
        await expect(portal.locator("h1")).to_have_text(f"Ваши обмены с библиотекой «{home}»")
        await portal.goto(f"{base}/partner/exchanges/{done}")
        history = portal.locator("#history")
        await expect(history).to_contain_text("2 из 4 позиций, 5 экземпляров")
        await expect(history).to_contain_text("получено 4 из 5 экземпляров, 2 повреждены")

        # A decline without a reason: refused, and the reason is given in Russian.
        await portal.goto(f"{base}/partner/exchanges/{waiting}")
        await portal.evaluate(
            "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
        )
        await portal.locator("#decide input[value=decline]").check()
        await portal.locator("#decide button[type=submit]").click()
        alert = portal.get_by_role("alert")
        await expect(alert).to_contain_text("Не выполнено:")
        await expect(alert).to_contain_text("для отказа нужна причина")
        texts = await portal.evaluate(VISIBLE_TEXT)
        assert problems("ru", "ru_RU", texts) == []
    finally:
        await portal_context.close()
