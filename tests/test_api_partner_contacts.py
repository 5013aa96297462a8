"""A partner's addresses and contacts over the API: kept by admins and acquisitions staff,
read by the partner itself, checked (country, e-mail, language), and audited."""

from __future__ import annotations

import httpx

from tests.conftest import Stack
from tests.support import bearer, register_partner

ADDRESS = {"lines": "Russian State Library\nVozdvizhenka 3/5\nMoscow 119019", "country": "RU"}
CONTACT = {"name": "Anna Ivanova", "email": "anna.ivanova@rsl.ru", "language": "ru"}


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


async def test_addresses_are_kept_by_staff_and_read_by_their_partner(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    base = f"/api/v1/partners/{partner['code']}/addresses"
    acquisitions = await _staff_key(stack, "acquisitions")

    r = await http.post(base, json=ADDRESS, headers=acquisitions)
    assert r.status_code == 201, r.text
    postal = r.json()
    assert postal["kind"] == "postal" and postal["country"] == "RU"
    assert postal["lines"].splitlines() == [
        "Russian State Library",
        "Vozdvizhenka 3/5",
        "Moscow 119019",
    ]
    r = await http.post(
        base,
        json={"kind": "shipping", "lines": "  Dock 4 \n\n Moscow  ", "country": "RU"},
        headers=staff,
    )
    assert r.status_code == 201 and r.json()["lines"] == "Dock 4\nMoscow", "lines tidied"
    shipping = r.json()

    r = await http.get(base, headers=key)  # the partner reads its own
    assert [a["id"] for a in r.json()] == [postal["id"], shipping["id"]]
    r = await http.patch(f"{base}/{shipping['id']}", json={"country": "BY"}, headers=staff)
    assert r.status_code == 200 and r.json()["country"] == "BY", r.text
    assert r.json()["lines"] == "Dock 4\nMoscow", "what the body leaves out stays"

    _problem(await http.post(base, json=ADDRESS, headers=key), 403, "staff")
    cataloguer = await _staff_key(stack, "cataloguer")
    _problem(await http.post(base, json=ADDRESS, headers=cataloguer), 403, "role")
    _problem(await http.get(base, headers=cataloguer), 403, "role")
    _, other_key = await register_partner(http, staff)
    _problem(await http.get(base, headers=other_key), 404, "partner")

    for bad, field in (
        ({**ADDRESS, "country": "XX"}, "country"),
        ({**ADDRESS, "country": "ru"}, "country"),
        ({**ADDRESS, "lines": "   "}, "lines"),
        ({**ADDRESS, "kind": "home"}, "kind"),
        ({"lines": "Somewhere"}, "country"),
    ):
        _problem(await http.post(base, json=bad, headers=staff), 422, field)
    _problem(
        await http.patch(f"{base}/{postal['id']}", json={"lines": None}, headers=staff),
        422,
        "lines",
    )
    other, _ = await register_partner(http, staff)
    r = await http.patch(
        f"/api/v1/partners/{other['code']}/addresses/{postal['id']}", json={}, headers=staff
    )
    _problem(r, 404, "address")  # another partner's address does not exist under this one

    r = await http.delete(f"{base}/{shipping['id']}", headers=staff)
    assert r.status_code == 204
    _problem(await http.delete(f"{base}/{shipping['id']}", headers=staff), 404, "address")
    assert [a["id"] for a in (await http.get(base, headers=staff)).json()] == [postal["id"]]


async def test_contacts_are_checked_and_their_changes_audited(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    base = f"/api/v1/partners/{partner['code']}/contacts"

    r = await http.post(base, json=CONTACT, headers=staff)
    assert r.status_code == 201, r.text
    anna = r.json()
    assert anna | {"id": 0} == {
        **CONTACT,
        "id": 0,
        "role": None,
        "receives_notices": True,
        "notices": None,
    }
    r = await http.patch(
        f"{base}/{anna['id']}", json={"role": "Exchange", "receives_notices": False}, headers=staff
    )
    assert r.status_code == 200 and r.json()["role"] == "Exchange"
    assert r.json()["email"] == CONTACT["email"] and not r.json()["receives_notices"]
    r = await http.get(base, headers=key)
    assert [c["name"] for c in r.json()] == ["Anna Ivanova"]
    _problem(await http.patch(f"{base}/{anna['id']}", json={"role": "x"}, headers=key), 403, "")

    for bad, field in (
        ({**CONTACT, "email": "anna.ivanova"}, "email"),
        ({**CONTACT, "email": "anna @rsl.ru"}, "email"),
        ({**CONTACT, "email": "anna@rsl"}, "email"),
        ({**CONTACT, "language": "de"}, "language"),
        ({**CONTACT, "name": ""}, "name"),
        ({**CONTACT, "extra": 1}, "extra"),
    ):
        _problem(await http.post(base, json=bad, headers=staff), 422, field)

    r = await http.delete(f"{base}/{anna['id']}", headers=staff)
    assert r.status_code == 204
    r = await http.get("/api/v1/audit", params={"entity": "partner"}, headers=staff)
    assert r.status_code == 200, r.text
    mine = [e for e in r.json()["items"] if e["entity_key"] == partner["code"]]
    contact_entries = [e for e in mine if any(c["field"] == "contact.id" for c in e["changes"])]
    assert len(contact_entries) == 2, "added and removed (the change keeps its id)"
    fields = {change["field"] for entry in mine for change in entry["changes"]}
    assert {"contact.email", "contact.role", "contact.receives_notices"} <= fields, mine
