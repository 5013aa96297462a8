"""Reads a partner's developer needs (issue 13, item 15), over HTTP on SQLite and PostgreSQL:
one partner by its code, the exchange list searched by words and year, and list items that
say what an exchange holds (titles, copies offered and accepted) without reading each one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import Stack
from tests.support import bearer, register_partner
from tests.test_api_access import assert_problem


async def _document_parameters(stack: Stack, path: str) -> dict[str, dict[str, Any]]:
    document = (await stack.http.get("/openapi.json")).json()
    return {p["name"]: p for p in document["paths"][path]["get"].get("parameters", [])}


async def test_one_partner_for_staff_and_for_itself_only(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    a, key_a = await register_partner(http, staff)
    b, _key_b = await register_partner(http, staff)
    r = await http.post("/api/v1/keys", json={"role": "cataloguer"}, headers=staff)
    cataloguer = bearer(r.json()["key"])

    listed = (await http.get("/api/v1/partners", params={"limit": 500}, headers=staff)).json()
    as_listed = next(p for p in listed["items"] if p["code"] == a["code"])
    for key in (staff, cataloguer, key_a):
        r = await http.get(f"/api/v1/partners/{a['code']}", headers=key)
        assert r.status_code == 200, r.text
        assert r.json() == as_listed
        assert "api_key" not in r.json() and "webhook_secret" not in r.json()
    assert_problem(await http.get(f"/api/v1/partners/{b['code']}", headers=key_a), 404, "not-found")
    assert_problem(await http.get("/api/v1/partners/NOSUCHLIB", headers=staff), 404, "not-found")
    assert_problem(await http.get(f"/api/v1/partners/{a['code']}"), 401, "unauthorized")
    assert "code" in await _document_parameters(stack, "/api/v1/partners/{code}")


async def test_the_exchange_list_is_searched_by_words_and_year(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    _other, other_key = await register_partner(http, staff)
    code = partner["code"]
    word = f"Centhini{code[1:5]}"
    wanted = [
        {
            "title": f"Serat {word} jilid 1",
            "author": "Ranggasutrasna",
            "isbn": "978-979-000-111-4",
            "quantity": 2,
        },
        {"title": "Babad Tanah Jawi", "quantity": 1},
    ]
    r = await http.post("/api/v1/exchanges", json={"partner": code, "lines": wanted}, headers=staff)
    assert r.status_code == 201, r.text
    found = r.json()["id"]
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": code, "lines": [{"title": "Kamus Dewan", "quantity": 1}]},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    other = r.json()["id"]

    async def ids(key: dict[str, str], **params: Any) -> list[str]:
        r = await http.get("/api/v1/exchanges", params=params, headers=key)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    for q in (
        word.lower(),
        f"serat {word.upper()}",
        "ranggasutrasna",
        "9789790001114",
        "979-000-111",
        found[:8],
    ):
        assert await ids(staff, q=q, partner=code) == [found], q
        assert await ids(key, q=q) == [found], q
        assert await ids(other_key, q=q) == [], q
    assert await ids(staff, q=f"{word} Dewan", partner=code) == []
    assert set(await ids(staff, q="a", partner=code)) == {found, other}

    year = datetime.now(UTC).year
    assert await ids(staff, year=year, partner=code) == [other, found]
    assert await ids(key, year=year, q=word) == [found]
    assert await ids(staff, year=year - 1, partner=code) == []
    assert await ids(key, year=year + 1) == []

    r = await http.get("/api/v1/exchanges", params={"q": "x" * 201}, headers=staff)
    assert_problem(r, 422, "validation-error")
    many_words = " ".join(["z"] * 100)
    assert await ids(staff, q=many_words, partner=code) == []

    documented = await _document_parameters(stack, "/api/v1/exchanges")
    for name in ("q", "year", "state", "partner", "direction"):
        assert documented[name]["in"] == "query" and documented[name]["description"], name
    assert documented["q"]["schema"]["anyOf"][0]["maxLength"] == 200


async def test_list_items_say_titles_and_copies(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    offered = [{"title": f"Judul {n}", "quantity": q} for n, q in enumerate((2, 1, 3, 1), 1)]
    r = await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": offered}, headers=staff
    )
    assert r.status_code == 201, r.text
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"

    async def listed() -> dict[str, Any]:
        r = await http.get("/api/v1/exchanges", params={"partner": partner["code"]}, headers=staff)
        [item] = r.json()["items"]
        assert set(item) < set((await http.get(url, headers=staff)).json())
        return dict(item)

    before = {
        "line_count": 4,
        "titles": ["Judul 1", "Judul 2", "Judul 3"],
        "copies_offered": 7,
        "copies_accepted": None,
    }
    item = await listed()
    assert {k: item[k] for k in before} == before
    assert {k: exchange[k] for k in before} == before, "the exchange says the same"

    lines = exchange["lines"]
    accept = [
        {"line_id": lines[0]["id"], "quantity": 1},
        {"line_id": lines[2]["id"], "quantity": 3},
    ]
    r = await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["copies_accepted"] == 4
    item = await listed()
    assert (item["copies_offered"], item["copies_accepted"]) == (7, 4)
    r = await http.get("/api/v1/exchanges", params={"q": exchange["id"][:8]}, headers=key)
    [seen] = r.json()["items"]
    assert {k: seen[k] for k in before} == {**before, "copies_accepted": 4}

    # A proposal of one line, revised to two: the list follows the lines.
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": [{"title": "Satu", "quantity": 1}]},
        headers=staff,
    )
    revised = [{"title": "Dua", "quantity": 2}, {"title": "Tiga", "quantity": 5}]
    r = await http.post(
        f"/api/v1/exchanges/{r.json()['id']}/revision", json={"lines": revised}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert (r.json()["titles"], r.json()["copies_offered"]) == (["Dua", "Tiga"], 7)
    r = await http.get("/api/v1/exchanges", params={"q": "Tiga"}, headers=key)
    [item] = r.json()["items"]
    assert (item["line_count"], item["titles"], item["copies_offered"]) == (2, ["Dua", "Tiga"], 7)
