"""The partner portal's offer lists and wish list over real HTTP, on both databases, with a
real worker and Temporal: a signed-in partner user sees only the lists addressed to it,
selects (first come, first served: a copy another partner took a moment earlier comes back
refused, with what was typed), submits and gets an exchange, keeps a wish list that marks
what is offered, and offers us its own duplicates; the pages in Russian for a Russian
reader."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import AGREEMENT, isbn13, register_partner
from tests.web_support import csrf_of, flash_of, make_user, post_form, signed_in


def _isbn() -> str:
    return isbn13(f"978{uuid.uuid4().int % 10**9:09d}")


async def _deposit(stack: Stack, title: str, available: int, **extra: Any) -> int:
    """A fund item with ``available`` copies free to offer (the retained ones added)."""
    copies = available + stack.settings.retention_copies
    r = await stack.http.post(
        "/api/v1/deposits",
        json={"title": title, "copies": copies, "year": 2020} | extra,
        headers=stack.staff,
    )
    assert r.status_code in (200, 201), r.text
    item_id: int = r.json()["id"]
    return item_id


async def _published(
    stack: Stack, codes: list[str], picks: list[tuple[int, int]], title: str
) -> dict[str, Any]:
    r = await stack.http.post(
        "/api/v1/offer-lists",
        json={
            "title": title,
            "partners": codes,
            "items": [{"fund_item_id": i, "copies": c} for i, c in picks],
        },
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    r = await stack.http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=stack.staff)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["state"] == "published"
    return body


def _item_ids(offer_list: dict[str, Any]) -> dict[str, int]:
    return {item["title"]: item["id"] for item in offer_list["item_list"]}


async def test_a_partner_sees_only_its_lists_selects_and_submits(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    (first, _), (second, second_key) = [
        await register_partner(stack.http, stack.staff) for _ in range(2)
    ]
    outsider, _ = await register_partner(stack.http, stack.staff)
    sejarah = await _deposit(stack, f"Sejarah Jawa {tag}", 3)
    babad = await _deposit(stack, f"Babad Bali {tag}", 2)
    offer_list = await _published(
        stack, [first["code"], second["code"]], [(sejarah, 3), (babad, 2)], f"Duplicates {tag}"
    )
    list_id = offer_list["id"]
    page = f"/partner/offer-lists/{list_id}"
    items = _item_ids(offer_list)

    async with signed_in(stack, *await make_user(stack, "partner", outsider["code"]), True) as c:
        overview = await c.get("/partner/offer-lists")
        assert overview.status_code == 200
        assert f"Duplicates {tag}" not in overview.text
        assert (await c.get(page)).status_code == 404
        refused = await c.post(
            f"{page}/selection",
            data={
                "csrf_token": csrf_of(overview.text),
                f"copies-{items[f'Babad Bali {tag}']}": "1",
            },
        )
        assert refused.status_code == 404

    # The other addressee takes a copy through the API: this reader sees fewer left.
    r = await stack.http.post(
        f"/api/v1/offer-lists/{list_id}/selection",
        json={"items": [{"item_id": items[f"Babad Bali {tag}"], "copies": 1}]},
        headers=second_key,
    )
    assert r.status_code == 200, r.text

    async with signed_in(stack, *await make_user(stack, "partner", first["code"]), True) as c:
        overview = await c.get("/partner/offer-lists")
        assert overview.status_code == 200
        assert f"Duplicates {tag}" in overview.text
        home = await c.get("/partner/")
        assert f"Duplicates {tag}" in home.text  # the start page lists the open list
        shown = await c.get(page)
        assert shown.status_code == 200
        assert second["code"] not in shown.text  # nothing of the other partner's selection
        row = _row(shown.text, items[f"Babad Bali {tag}"])
        assert re.search(r'data-label="Copies left">1<', row), row

        saved = await post_form(
            c,
            page,
            f"{page}/selection",
            {f"copies-{items[f'Sejarah Jawa {tag}']}": "2", "action": "save"},
        )
        assert saved.status_code == 303, saved.text
        assert "Selection saved." in flash_of(saved)
        shown = await c.get(page)
        assert 'value="2"' in _row(shown.text, items[f"Sejarah Jawa {tag}"])

        asked = await post_form(
            c,
            page,
            f"{page}/selection",
            {
                f"copies-{items[f'Sejarah Jawa {tag}']}": "3",
                f"copies-{items[f'Babad Bali {tag}']}": "1",
                "action": "submit",
            },
        )
        assert asked.status_code == 303
        assert asked.headers["location"] == f"{page}/submit"
        confirm = await c.get(f"{page}/submit")
        assert "Submit your selection?" in confirm.text
        unconfirmed = await c.post(
            f"{page}/selection/submit", data={"csrf_token": csrf_of(confirm.text)}
        )
        assert unconfirmed.headers["location"] == f"{page}/submit"
        done = await c.post(
            f"{page}/selection/submit",
            data={"csrf_token": csrf_of(confirm.text), "confirmed": "yes"},
        )
        assert done.status_code == 303, done.text
        assert "Selection submitted: exchange" in flash_of(done)
        shown = await c.get(page)
        link = re.search(r'href="/partner/exchanges/([0-9a-f-]{36})"', shown.text)
        assert link, shown.text
        assert "Save selection" not in shown.text  # a submitted selection is final

    r = await stack.http.get(f"/api/v1/exchanges/{link.group(1)}", headers=stack.staff)
    assert r.status_code == 200, r.text
    exchange = r.json()
    assert exchange["state"] == "accepted"
    assert exchange["partner"] == first["code"]
    assert sorted(line["quantity"] for line in exchange["lines"]) == [1, 3]


def _row(html: str, item_id: int) -> str:
    found = re.search(rf'<tr id="item-{item_id}".*?</tr>', html, re.DOTALL)
    assert found, f"no row for item {item_id}"
    return found.group(0)


async def test_a_copy_taken_meanwhile_is_refused_beside_it_with_what_was_typed(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:6]
    (first, _), (second, second_key) = [
        await register_partner(stack.http, stack.staff) for _ in range(2)
    ]
    last = await _deposit(stack, f"Last copy {tag}", 1)
    plenty = await _deposit(stack, f"Plenty {tag}", 4)
    offer_list = await _published(
        stack, [first["code"], second["code"]], [(last, 1), (plenty, 4)], f"Race {tag}"
    )
    list_id, items = offer_list["id"], _item_ids(offer_list)
    page = f"/partner/offer-lists/{list_id}"
    async with signed_in(stack, *await make_user(stack, "partner", first["code"]), True) as c:
        loaded = await c.get(page)  # the page is open while the other partner takes the copy
        r = await stack.http.post(
            f"/api/v1/offer-lists/{list_id}/selection",
            json={"items": [{"item_id": items[f"Last copy {tag}"], "copies": 1}]},
            headers=second_key,
        )
        assert r.status_code == 200, r.text
        refused = await c.post(
            f"{page}/selection",
            data={
                "csrf_token": csrf_of(loaded.text),
                f"copies-{items[f'Last copy {tag}']}": "1",
                f"copies-{items[f'Plenty {tag}']}": "3",
                "action": "save",
            },
        )
        assert refused.status_code == 409, refused.text
        assert 'role="alert"' in refused.text
        taken = _row(refused.text, items[f"Last copy {tag}"])
        assert f'id="copies-{items[f"Last copy {tag}"]}-error"' in taken
        assert 'value="1"' in taken and "no longer available" in taken
        assert "another library selected the last copy first" in taken
        assert 'value="3"' in _row(refused.text, items[f"Plenty {tag}"])
        unreadable = await post_form(
            c, page, f"{page}/selection", {f"copies-{items[f'Plenty {tag}']}": "two"}
        )
        assert unreadable.status_code == 422
        assert 'value="two"' in _row(unreadable.text, items[f"Plenty {tag}"])
        # Nothing of the refused requests was held.
        view = (await c.get(page)).text
        assert 'value=""' in _row(view, items[f"Plenty {tag}"])
    r = await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=stack.staff)
    left = {i["title"]: i["copies_available"] for i in r.json()["item_list"]}
    assert left == {f"Last copy {tag}": 0, f"Plenty {tag}": 4}


async def test_the_wish_list_marks_what_is_offered_and_can_be_changed(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    partner, _ = await register_partner(stack.http, stack.staff)
    isbn = _isbn()
    async with signed_in(stack, *await make_user(stack, "partner", partner["code"]), True) as c:
        refused = await post_form(c, "/partner/wishlist", "/partner/wishlist", {"author": "X"})
        assert refused.status_code == 422
        assert 'value="X"' in refused.text and 'role="alert"' in refused.text
        added = await post_form(
            c, "/partner/wishlist", "/partner/wishlist", {"isbn": isbn, "title": f"Wish {tag}"}
        )
        assert added.status_code == 303 and "Added to your wish list." in flash_of(added)
        wished = await _deposit(stack, f"Wished {tag}", 1, isbn=isbn)
        other = await _deposit(stack, f"Other {tag}", 1)
        offer_list = await _published(
            stack, [partner["code"]], [(other, 1), (wished, 1)], f"Wishes {tag}"
        )
        items = _item_ids(offer_list)
        shown = await c.get(f"/partner/offer-lists/{offer_list['id']}")
        assert "on your wish list" in _row(shown.text, items[f"Wished {tag}"])
        assert "on your wish list" not in _row(shown.text, items[f"Other {tag}"])
        listing = await c.get("/partner/wishlist")
        assert f"Wish {tag}" in listing.text
        wish = re.search(r'action="/partner/wishlist/(\d+)/remove"', listing.text)
        assert wish
        removed = await post_form(
            c, "/partner/wishlist", f"/partner/wishlist/{wish.group(1)}/remove", {}
        )
        assert removed.status_code == 303 and "Removed" in flash_of(removed)
        assert f"Wish {tag}" not in (await c.get("/partner/wishlist")).text


async def test_what_fits_the_partners_profile_comes_first_and_is_marked(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    profiled = AGREEMENT | {"profile": {"year_from": 2015}}
    partner, _ = await register_partner(stack.http, stack.staff, agreement=profiled)
    old = await _deposit(stack, f"Old {tag}", 1, year=2001)
    new = await _deposit(stack, f"New {tag}", 1, year=2019)
    offer_list = await _published(stack, [partner["code"]], [(old, 1), (new, 1)], f"Fit {tag}")
    items = _item_ids(offer_list)
    async with signed_in(stack, *await make_user(stack, "partner", partner["code"]), True) as c:
        shown = (await c.get(f"/partner/offer-lists/{offer_list['id']}")).text
        assert shown.index(f"New {tag}") < shown.index(f"Old {tag}")  # list order: old first
        assert "fits your profile" in _row(shown, items[f"New {tag}"])
        assert "fits your profile" not in _row(shown, items[f"Old {tag}"])
        overview = (await c.get("/partner/offer-lists")).text
        row = re.search(
            rf"<tr>\s*<td[^>]*><a href=\"/partner/offer-lists/{offer_list['id']}\".*?</tr>",
            overview,
            re.DOTALL,
        )
        assert row and re.search(r'data-label="Fit your profile">1<', row.group(0)), overview


async def test_a_partner_offers_its_own_duplicates_typed_and_from_a_csv_file(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:6]
    partner, _ = await register_partner(stack.http, stack.staff)
    async with signed_in(stack, *await make_user(stack, "partner", partner["code"]), True) as c:
        form = await c.get("/partner/offer-lists/new")
        bad = await c.post(
            "/partner/offer-lists",
            data={
                "csrf_token": csrf_of(form.text),
                "title": f"Duplicates {tag}",
                "title-1": "История Беларуси",
                "isbn-1": "978-5-00000-000-1",
            },
        )
        assert bad.status_code == 422
        assert 'id="isbn-1-error"' in bad.text and 'value="История Беларуси"' in bad.text
        csv = f"title,author,year,copies\nЛетопись {tag},Иванов,1999,2\n".encode()
        made = await c.post(
            "/partner/offer-lists",
            data={
                "csrf_token": csrf_of(form.text),
                "title": f"Duplicates {tag}",
                "title-1": f"История Беларуси {tag}",
                "copies-1": "1",
            },
            files={"file": ("list.csv", csv, "text/csv")},
        )
        assert made.status_code == 303, made.text
        location = made.headers["location"]
        shown = await c.get(location)
        assert f"История Беларуси {tag}" in shown.text and f"Летопись {tag}" in shown.text
        assert "Save selection" not in shown.text  # our staff select from a partner's list
        own = await c.get("/partner/offer-lists")
        assert f"Duplicates {tag}" in own.text
    list_id = location.rsplit("/", 1)[1]
    r = await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=stack.staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["direction"] == "incoming" and body["state"] == "published"
    assert body["partner"] == partner["code"] and body["copies"] == 3


async def test_the_portal_pages_in_russian(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    partner, _ = await register_partner(stack.http, stack.staff)
    item = await _deposit(stack, f"Kitab {tag}", 2)
    offer_list = await _published(stack, [partner["code"]], [(item, 2)], f"Daftar {tag}")
    username, password = await make_user(stack, "partner", partner["code"])
    async with signed_in(stack, username, password, portal=True) as c:
        switched = await c.get("/lang/ru", params={"next": "/partner/offer-lists"})
        assert switched.status_code == 303
        overview = await c.get("/partner/offer-lists")
        assert "Открытые списки" in overview.text, overview.text
        shown = await c.get(f"/partner/offer-lists/{offer_list['id']}")
        assert "Сохранить выбор" in shown.text and "Save selection" not in shown.text
        wishes = await c.get("/partner/wishlist")
        assert "Ваш список пожеланий" in wishes.text
        new = await c.get("/partner/offer-lists/new")
        assert "Опубликовать список" in new.text


async def test_pages_need_a_partner_user(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        r = await anonymous.get("/partner/offer-lists")
        assert r.status_code == 303 and r.headers["location"].startswith("/partner/signin")
