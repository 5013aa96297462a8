"""Wish lists and partner profiles over HTTP, with the real worker and Temporal, both databases.

A partner keeps its own wish list (another partner's does not exist for it), staff keep ours;
a deposit that meets a partner's wish is marked for it and the partner is told (a
"wishlist_hits" notice, delivered by e-mail to its contact at the session's SMTP server); an
agreement carries the partner's profile in and out, and its profile can be changed.
"""

from __future__ import annotations

import uuid

import httpx
from sqlmodel import Session, col, select

from services.exchange.models import Notice
from tests.catalogue_support import isbn10_of, unique_isbn
from tests.conftest import Stack
from tests.smtp_server import SmtpServer
from tests.support import AGREEMENT, bearer, register_partner


async def _staff_key(stack: Stack, role: str) -> dict[str, str]:
    r = await stack.http.post(
        "/api/v1/keys", json={"role": role, "label": f"{role} desk"}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["key"])


def _problem(r: httpx.Response, status: int, names: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert names in r.text, r.text


async def test_a_partner_keeps_its_own_wish_list(stack: Stack) -> None:
    http = stack.http
    partner, key = await register_partner(http, stack.staff)
    base = f"/api/v1/partners/{partner['code']}/wishlist"

    r = await http.post(
        base,
        json={"issn": "0042-8779", "title": "Voprosy istorii", "volumes": "2019–2023"},
        headers=key,
    )
    assert r.status_code == 201, r.text
    serial = r.json()
    assert (serial["partner"], serial["issn"], serial["year_from"], serial["year_to"]) == (
        partner["code"],
        "0042-8779",
        2019,
        2023,
    )
    assert (serial["volume_from"], serial["hits"]) == (None, 0)
    typed, compact = unique_isbn()
    r = await http.post(base, json={"isbn": typed, "author": "Tolstoy, Leo"}, headers=key)
    assert r.status_code == 201 and r.json()["isbn"] == compact, r.text
    book = r.json()

    r = await http.get(base, headers=key)
    assert r.status_code == 200, r.text
    assert [w["id"] for w in r.json()["items"]] == [book["id"], serial["id"]], "newest first"
    assert r.json()["total"] == 2

    _, other_key = await register_partner(http, stack.staff)
    _problem(await http.get(base, headers=other_key), 404, partner["code"])
    _problem(await http.post(base, json={"title": "Mine"}, headers=other_key), 404, "partner")
    _problem(await http.delete(f"{base}/{book['id']}", headers=other_key), 404, "partner")
    _problem(await http.post(base, json={"author": "Tolstoy, Leo"}, headers=key), 422, "title")
    _problem(await http.post(base, json={"isbn": "978-0-00-000000-1"}, headers=key), 422, "isbn")
    _problem(
        await http.post(base, json={"title": "Jurnal", "volumes": "2023–2019"}, headers=key),
        422,
        "volumes",
    )
    cataloguer = await _staff_key(stack, "cataloguer")
    _problem(await http.post(base, json={"title": "X"}, headers=cataloguer), 403, "role")
    r = await http.get(base, headers=cataloguer)
    assert r.status_code == 200 and r.json()["total"] == 2, "staff read any partner's list"

    r = await http.delete(f"{base}/{book['id']}", headers=key)
    assert r.status_code == 204, r.text
    _problem(await http.delete(f"{base}/{book['id']}", headers=key), 404, "wish")
    r = await http.get(base, headers=stack.staff)
    assert [w["id"] for w in r.json()["items"]] == [serial["id"]]


async def test_staff_keep_our_wish_list(stack: Stack) -> None:
    http = stack.http
    acquisitions = await _staff_key(stack, "acquisitions")
    title = f"Sejarah Nasional {uuid.uuid4().hex[:8]}"
    r = await http.post("/api/v1/wishlist", json={"title": title}, headers=acquisitions)
    assert r.status_code == 201, r.text
    ours = r.json()
    assert ours["partner"] is None
    r = await http.get("/api/v1/wishlist", params={"limit": 500}, headers=acquisitions)
    assert ours["id"] in [w["id"] for w in r.json()["items"]]

    partner, key = await register_partner(http, stack.staff)
    _problem(await http.get("/api/v1/wishlist", headers=key), 403, "staff")
    _problem(await http.post("/api/v1/wishlist", json={"title": "x"}, headers=key), 403, "staff")
    r = await http.delete(f"/api/v1/partners/{partner['code']}/wishlist/{ours['id']}", headers=key)
    _problem(r, 404, "wish")
    r = await http.delete(f"/api/v1/wishlist/{ours['id']}", headers=acquisitions)
    assert r.status_code == 204, r.text


async def test_a_deposit_meeting_a_wish_tells_the_partner(
    stack: Stack, smtp_server: SmtpServer
) -> None:
    http = stack.http
    partner, key = await register_partner(http, stack.staff)
    code = partner["code"]
    address = f"desk.{code.lower()}@library.test"
    r = await http.post(
        f"/api/v1/partners/{code}/contacts",
        json={"name": "Anna Ivanova", "email": address, "language": "ru"},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    _, isbn = unique_isbn()
    r = await http.post(
        f"/api/v1/partners/{code}/wishlist", json={"isbn": isbn10_of(isbn)}, headers=key
    )
    assert r.status_code == 201, r.text
    wish = r.json()
    title = f"Peta Nusantara {uuid.uuid4().hex[:6]}"
    r = await http.post(
        "/api/v1/deposits", json={"title": title, "isbn": isbn, "copies": 4}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    item = r.json()

    r = await http.get(f"/api/v1/partners/{code}/wishlist", headers=key)
    assert {w["id"]: w["hits"] for w in r.json()["items"]} == {wish["id"]: 1}
    with Session(stack.engine) as session:
        notices = list(session.exec(select(Notice).where(col(Notice.party) == code)))
    assert [(n.event, n.key, n.note_id) for n in notices] == [
        ("wishlist_hits", f"wishes:deposit:{item['id']}:{code}", "wishlist_hits_deposit")
    ]
    assert notices[0].note_params == {"n": 1, "title": title}

    arrived = await smtp_server.wait_for(address)
    assert len(arrived) == 1 and title in arrived[0].text

    r = await http.post(
        "/api/v1/deposits", json={"title": title, "isbn": isbn, "copies": 1}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    with Session(stack.engine) as session:
        again = list(session.exec(select(Notice).where(col(Notice.party) == code)))
    assert len(again) == 1, "deposited again: nothing new to tell"


async def test_an_agreement_carries_the_partners_profile(stack: Stack) -> None:
    http = stack.http
    partner, key = await register_partner(http, stack.staff, agreement=None)
    code = partner["code"]
    profile = {"classes": ["94(470)", "300-399"], "languages": ["rus"], "year_from": 1991}
    r = await http.post(
        f"/api/v1/partners/{code}/agreements",
        json={**AGREEMENT, "profile": profile},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    agreement = r.json()
    assert agreement["profile"] == {**profile, "material_types": [], "year_to": None}
    r = await http.get(f"/api/v1/partners/{code}/agreements", headers=key)
    assert [a["profile"] for a in r.json()] == [agreement["profile"]]

    path = f"/api/v1/partners/{code}/agreements/{agreement['id']}/profile"
    acquisitions = await _staff_key(stack, "acquisitions")
    r = await http.put(path, json={"material_types": ["serial"]}, headers=acquisitions)
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["material_types"] == ["serial"]
    assert r.json()["profile"]["classes"] == []
    r = await http.put(path, json={}, headers=acquisitions)
    assert r.status_code == 200 and r.json()["profile"] is None, "empty: everything"

    _problem(await http.put(path, json={}, headers=key), 403, "staff")
    _problem(await http.put(path, json={"classes": ["399-300"]}, headers=acquisitions), 422, "")
    _problem(await http.put(path, json={"languages": ["russian"]}, headers=acquisitions), 422, "")
    other, _ = await register_partner(http, stack.staff)
    r = await http.put(
        f"/api/v1/partners/{other['code']}/agreements/{agreement['id']}/profile",
        json={},
        headers=acquisitions,
    )
    _problem(r, 404, "agreement")
    r = await http.get(f"/api/v1/partners/{code}/agreements", headers=stack.staff)
    assert r.json()[0]["profile"] is None
