"""The staff pages of offer lists and wish lists, over HTTP on the real stack (both databases).

Staff make a list through the form (a search keeps every choice, a refused form keeps what
was typed), publish it, see partners' selections (who took what) and close it after a
confirmation; on a partner's list they see what our catalogue holds of each item and which
are on our wish list, and their selection becomes one accepted incoming exchange. Wish lists
(ours and a partner's) are kept on their pages. A cataloguer sees the lists but no form, and
a form page refused to it is a 403 page that keeps the menu.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, expect

from services.exchange.service import agreements
from tests.catalogue_support import book, import_records, record_ids, tag, unique_isbn
from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_browser import SHOTS, browser  # noqa: F401  (the browser fixture)
from tests.test_web_browser_phone import PHONE, _cells_fit, _sign_in
from tests.web_support import csrf_of, flash_of, make_user, post_form, user_client

pytestmark = pytest.mark.asyncio

_LIST_ID = re.compile(r"^/offer-lists/([0-9a-f-]{36})$")


async def _deposit(stack: Stack, title: str, copies: int, isbn: str | None = None) -> int:
    body: dict[str, Any] = {"title": title, "copies": copies}
    if isbn:
        body["isbn"] = isbn
    r = await stack.http.post("/api/v1/deposits", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    item_id: int = r.json()["id"]
    return item_id


def _cell(page: str, row_id: str, label: str) -> str:
    """The text of one labelled cell of the row with this id."""
    row = re.search(rf'<tr id="{row_id}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert row, f"no row {row_id}"
    cell = re.search(rf'<td data-label="{re.escape(label)}"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert cell, f"no cell {label} in row {row_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", cell.group(1))).strip()


async def _list_api(stack: Stack, list_id: str, key: dict[str, str]) -> dict[str, Any]:
    r = await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_staff_make_publish_follow_and_close_a_list(stack: Stack) -> None:
    word = tag()
    first, first_key = await register_partner(stack.http, stack.staff)
    second, _ = await register_partner(stack.http, stack.staff)
    fund_id = await _deposit(stack, f"Babad Tanah Jawi {word}", 5)  # 3 left after retention
    async with user_client(stack, "acquisitions") as web:
        page = await web.get("/offer-lists/new", params={"q": word})
        assert page.status_code == 200, page.text
        closes = agreements.today() + timedelta(weeks=6)
        assert f'name="closes_on" type="date" value="{closes}"' in page.text  # six weeks
        assert f'name="qty-{fund_id}"' in page.text
        choices = {
            "title": f"Duplicates {word}",
            "note": "Javanese history",
            "closes_on": str(closes),
            "to": "chosen",
            "partner": first["code"],
            f"qty-{fund_id}": "2",
            "q": word,
        }
        # Searching keeps every choice: the address holds them.
        r = await web.post("/offer-lists/new", data={"csrf_token": csrf_of(page.text), **choices})
        assert r.status_code == 303
        kept = parse_qs(urlsplit(r.headers["location"]).query)
        assert kept["title"] == [f"Duplicates {word}"] and kept["pick"] == [f"{fund_id}:2"]
        assert kept["partner"] == [first["code"]] and kept["to"] == ["chosen"]
        page = await web.get(r.headers["location"])
        assert f'value="{first["code"]}" checked' in page.text
        assert f'name="qty-{fund_id}" type="number" min="0" max="3" value="2"' in page.text

        # "Only the partners ticked" with none ticked: refused, everything typed kept.
        token = csrf_of(page.text)
        refused = {k: v for k, v in choices.items() if k != "partner"}
        r = await web.post("/offer-lists", data={"csrf_token": token, **refused})
        assert r.status_code == 422, r.text
        assert "tick at least one partner library" in r.text
        assert f'value="Duplicates {word}"' in r.text and "Javanese history" in r.text

        data: dict[str, Any] = {**choices, "partner": [first["code"], second["code"]]}
        r = await web.post("/offer-lists", data={"csrf_token": token, **data})
        assert r.status_code == 303, r.text
        found = _LIST_ID.match(r.headers["location"])
        assert found, r.headers["location"]
        list_id = found.group(1)
        page = await web.get(f"/offer-lists/{list_id}")
        assert page.status_code == 200, page.text
        assert 'id="list-state"><span class="state state-draft">draft' in page.text
        assert f'action="/offer-lists/{list_id}/publish"' in page.text
        assert f"/offer-lists/{list_id}/list.pdf?lang=ru" in page.text

        # The closing day of the draft: a day gone by is refused beside the field, as typed.
        extend = f"/offer-lists/{list_id}/extend"
        past = str(agreements.today() - timedelta(days=1))
        r = await post_form(web, f"/offer-lists/{list_id}", extend, {"closes_on": past})
        assert r.status_code == 422, r.text
        assert 'id="e-closes_on-error">the day has already passed' in r.text
        assert f'value="{past}"' in r.text
        later = agreements.today() + timedelta(weeks=8)
        r = await post_form(web, f"/offer-lists/{list_id}", extend, {"closes_on": str(later)})
        assert r.status_code == 303 and flash_of(r) == "ok:The closing day is changed."
        assert (await _list_api(stack, list_id, stack.staff))["closes_on"] == str(later)

        r = await post_form(web, f"/offer-lists/{list_id}", f"/offer-lists/{list_id}/publish", {})
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        page = await web.get(f"/offer-lists/{list_id}")
        assert "state-published" in page.text
        assert first["name"] in page.text and second["name"] in page.text  # the addressees
        listing = await web.get("/offer-lists", params={"state": "published"})
        assert f'href="/offer-lists/{list_id}"' in listing.text

        # A partner selects one copy (the API, as its own system would): staff see who.
        item_id = (await _list_api(stack, list_id, stack.staff))["item_list"][0]["id"]
        r = await stack.http.post(
            f"/api/v1/offer-lists/{list_id}/selection",
            json={"items": [{"item_id": item_id, "copies": 1}]},
            headers=first_key,
        )
        assert r.status_code == 200, r.text
        page = await web.get(f"/offer-lists/{list_id}")
        assert _cell(page.text, f"item-{item_id}", "Taken") == "1"
        assert _cell(page.text, f"item-{item_id}", "Available") == "1"
        selections = page.text[page.text.index('id="selections"') :]
        assert first["name"] in selections and f"Babad Tanah Jawi {word} × 1" in selections

        # The export a partner without the portal gets, from the page.
        pdf = await web.get(f"/offer-lists/{list_id}/list.pdf", params={"lang": "id"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        # Closing asks first; without the confirmation nothing is closed.
        r = await post_form(web, f"/offer-lists/{list_id}", f"/offer-lists/{list_id}/close", {})
        assert r.status_code == 303 and r.headers["location"] == f"/offer-lists/{list_id}/close"
        confirm = await web.get(r.headers["location"])
        assert confirm.status_code == 200 and "It cannot be undone." in confirm.text
        assert (await _list_api(stack, list_id, stack.staff))["state"] == "published"
        r = await web.post(
            f"/offer-lists/{list_id}/close",
            data={"csrf_token": csrf_of(confirm.text), "confirmed": "yes", "note": "Thanks"},
        )
        assert r.status_code == 303 and flash_of(r).startswith("ok:"), flash_of(r)
        for _ in range(100):  # the list's workflow closes it and writes the summary
            view = await _list_api(stack, list_id, stack.staff)
            if view["state"] == "closed" and view["summary"] is not None:
                break
            await asyncio.sleep(0.1)
        page = await web.get(f"/offer-lists/{list_id}")
        assert "state-closed" in page.text and 'id="summary"' in page.text
        # Its selection was never submitted: given back at the close, and the summary says so.
        released = re.search(r'<p id="released">(.*?)</p>', page.text, re.S)
        assert released and first["name"] in released.group(1)
        assert _cell(page.text, f"item-{item_id}", "Available") == "2"
        assert f'action="/offer-lists/{list_id}/close"' not in page.text


async def test_a_partners_list_shows_our_holdings_and_wishes_and_we_select(stack: Stack) -> None:
    word = tag()
    held_isbn, held_compact = unique_isbn()
    wished_isbn, _ = unique_isbn()
    await import_records(stack, [book(f"Istoriya {word}", isbn=held_isbn, author="Ivanov")])
    (record_id,) = await record_ids(stack.http, stack.staff, word)
    partner, key = await register_partner(stack.http, stack.staff)
    async with user_client(stack, "acquisitions") as web:
        r = await post_form(
            web, "/wishlist", "/wishlist", {"isbn": wished_isbn, "title": f"Wanted {word}"}
        )
        assert r.status_code == 303, r.text
        r = await stack.http.post(
            "/api/v1/offer-lists",
            json={
                "title": f"Дублеты {word}",
                "items": [
                    {"title": f"Istoriya {word}", "isbn": held_compact, "copies": 2},
                    {"title": f"Wanted {word}", "isbn": wished_isbn, "copies": 1},
                    {"title": f"Unheld {word}", "copies": 1},
                ],
            },
            headers=key,
        )
        assert r.status_code == 201, r.text
        list_id = r.json()["id"]
        items = {
            i["title"]: i["id"] for i in (await _list_api(stack, list_id, stack.staff))["item_list"]
        }
        page = await web.get(f"/offer-lists/{list_id}")
        assert page.status_code == 200, page.text
        held = _cell(page.text, f"item-{items[f'Istoriya {word}']}", "In our catalogue")
        assert held.startswith("held: 1 copy") and "our record" in held
        assert f'href="/catalogue/{record_id}"' in page.text
        assert _cell(page.text, f"item-{items[f'Unheld {word}']}", "In our catalogue") == "not held"
        assert _cell(page.text, f"item-{items[f'Wanted {word}']}", "On our wish list") == "wished"
        listing = await web.get("/offer-lists", params={"partner": partner["code"]})
        assert f'href="/offer-lists/{list_id}"' in listing.text

        wanted = items[f"Wanted {word}"]
        unheld = items[f"Unheld {word}"]
        # More than the list has: refused with the reason, every quantity as typed.
        r = await post_form(
            web,
            f"/offer-lists/{list_id}",
            f"/offer-lists/{list_id}/selection",
            {f"take-{wanted}": "1", f"take-{unheld}": "5"},
        )
        assert r.status_code == 409, r.text
        assert "5 copies wanted, 1 can be selected" in r.text
        assert f'name="take-{unheld}" type="number" min="0" max="1" value="5"' in r.text
        assert f'name="take-{wanted}" type="number" min="0" max="1" value="1"' in r.text
        r = await post_form(
            web,
            f"/offer-lists/{list_id}",
            f"/offer-lists/{list_id}/selection/submit",
            {f"take-{wanted}": "1"},
        )
        assert r.status_code == 303, r.text
        location = r.headers["location"]
        assert location.startswith("/exchanges/"), (location, flash_of(r))
        exchange = await stack.http.get(f"/api/v1{location}", headers=stack.staff)
        assert exchange.json()["state"] == "accepted" and exchange.json()["direction"] == "incoming"
        page = await web.get(f"/offer-lists/{list_id}")
        assert 'id="our-exchange"' in page.text and 'id="selection-form"' not in page.text


async def test_wish_lists_are_kept_on_their_pages(stack: Stack) -> None:
    word = uuid.uuid4().hex[:8]
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    async with user_client(stack, "acquisitions") as web:
        # Nothing to match by: refused, what was typed kept.
        r = await post_form(web, "/wishlist", "/wishlist", {"author": f"Author {word}"})
        assert r.status_code == 422, r.text
        assert f'value="Author {word}"' in r.text and 'role="alert"' in r.text
        r = await post_form(
            web,
            "/wishlist",
            "/wishlist",
            {"title": f"Voprosy istorii {word}", "issn": "0042-8779", "volumes": "2019–2023"},
        )
        assert r.status_code == 303 and flash_of(r) == "ok:Added to the wish list."
        page = await web.get("/wishlist")
        wish = re.search(
            r'<tr id="wish-(\d+)">(?:(?!</tr>).)*Voprosy istorii ' + word, page.text, re.S
        )
        assert wish, page.text
        assert _cell(page.text, f"wish-{wish.group(1)}", "Volumes or years") == "2019–2023"
        r = await post_form(web, "/wishlist", f"/wishlist/{wish.group(1)}/remove", {})
        assert r.status_code == 303 and flash_of(r) == "ok:Removed from the wish list."
        assert f"Voprosy istorii {word}" not in (await web.get("/wishlist")).text

        # A partner's wish list, from its page; ours does not show it.
        partner_page = await web.get(f"/partners/{code}")
        assert f'href="/partners/{code}/wishlist"' in partner_page.text
        r = await post_form(
            web, f"/partners/{code}/wishlist", f"/partners/{code}/wishlist", {"title": word}
        )
        assert r.status_code == 303, r.text
        page = await web.get(f"/partners/{code}/wishlist")
        assert partner["name"] in page.text and f">{word}</td>" in page.text
        assert f">{word}</td>" not in (await web.get("/wishlist")).text
        missing = await web.get("/partners/NOSUCHCODE/wishlist")
        assert missing.status_code == 404

        web.cookies.set("exchange_lang", "id")
        page = await web.get(f"/partners/{code}/wishlist")
        assert '<html lang="id">' in page.text and ">Judul</th>" in page.text


async def test_a_cataloguer_sees_the_lists_but_no_form(stack: Stack) -> None:
    async with user_client(stack, "cataloguer") as web:
        r = await web.get("/offer-lists")
        assert r.status_code == 200, r.text
        assert 'href="/offer-lists/new"' not in r.text
        r = await web.get("/offer-lists/new")
        assert r.status_code == 403
        assert "Offer lists are made and selected from by acquisitions staff" in r.text
        assert 'href="/offer-lists"' in r.text and "Sign out" in r.text  # the menu is kept
        page = await web.get("/wishlist")
        assert page.status_code == 200 and 'id="wish-form"' not in page.text
        r = await web.post("/wishlist", data={"csrf_token": csrf_of(page.text), "title": "x"})
        assert r.status_code == 403 and "Wish lists are kept by acquisitions staff" in r.text


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_a_partners_list_fits_a_phone(stack: Stack, browser: Browser) -> None:  # noqa: F811
    """On a phone each item of a partner's list is a card: every value with its column's
    name, the holdings and the copies to take on the screen, nothing scrolling sideways."""
    word = tag()
    _, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post(
        "/api/v1/offer-lists",
        json={
            "title": f"Дублеты {word}",
            "items": [
                {"title": f"История Беларуси {word} т. {n}", "author": "Ковкель", "copies": 2}
                for n in (1, 2)
            ],
        },
        headers=key,
    )
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    librarian = await make_user(stack, "acquisitions", name="Dewi Lestari")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = await context.new_page()
    try:
        await _sign_in(page, stack.base_url, *librarian)
        await page.goto(f"{stack.base_url}/offer-lists/{list_id}")
        cells = await _cells_fit(page, "main table:has(> thead) > tbody > tr > td")
        labels = {c["label"] for c in cells}
        assert labels >= {"Title", "Available", "In our catalogue", "Our selection"}
        assert ("In our catalogue", "not held") in {(c["label"], c["text"]) for c in cells}
        for n in (1, 2):
            field = page.get_by_label(f"Copies to take: История Беларуси {word} т. {n}")
            await field.scroll_into_view_if_needed()
            await expect(field).to_be_in_viewport()
        await page.get_by_label(f"Copies to take: История Беларуси {word} т. 1").fill("1")
        await page.get_by_role("button", name="Save the selection").click()
        await expect(page.get_by_role("status")).to_contain_text("Selection saved")
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "phone-offer-list.png"), full_page=True)
        fund_title = f"Serat Centhini {word}"
        await _deposit(stack, fund_title, 4)
        await page.goto(f"{stack.base_url}/offer-lists/new?q={word}")
        await _cells_fit(page, "main table:has(> thead) > tbody > tr > td")
        await expect(page.get_by_label(f"Copies to offer: {fund_title}")).to_be_attached()
    finally:
        await context.close()
