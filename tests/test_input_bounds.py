"""Bounded, strict input (issue 13, items 1, 3 and 4), over HTTP on SQLite and PostgreSQL.

Every date and every integer a request can carry has a range the service can live with, and
each value outside it is a 422 validation problem naming the field; nothing reaches the
database or a workflow to fail there (a 500, or a workflow task failing for ever). Numbers in
request bodies are JSON numbers and nothing else: ``false`` is not 0, ``true`` is not 1, and
``"2"`` is not 2 (decimal amounts may still come as strings).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import AGREEMENT, bearer, lines, register_partner
from tests.test_api_access import assert_problem

FAR = "9999-12-31"
FIRST = "0001-01-01"
INT32 = 2**31  # one past PostgreSQL's integer
INT64 = 2**63  # one past SQLite's integer


def today() -> date:
    return datetime.now(UTC).date()


def assert_invalid(r: httpx.Response, *loc: str | int) -> None:
    """A 422 validation problem whose errors name ``loc`` (or a place inside it)."""
    body = assert_problem(r, 422, "validation-error")
    found = [e["loc"] for e in body.get("errors", [])]
    assert any(place[: len(loc)] == list(loc) for place in found), (loc, body)


async def _accepted(stack: Stack) -> tuple[str, str, dict[str, str]]:
    """An exchange we send, accepted by the partner: its URL, its line and the partner's key."""
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    r = await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(2)}, headers=staff
    )
    assert r.status_code == 201, r.text
    url, line = f"/api/v1/exchanges/{r.json()['id']}", r.json()["lines"][0]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 2}]}, headers=key
    )
    assert r.status_code == 200, r.text
    return url, line, key


# --- dates (item 1) ------------------------------------------------------------------------


async def test_respond_by_is_from_today_to_two_years_ahead(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff)
    day = today()
    for respond_by in (FAR, FIRST, day - timedelta(days=1), day + timedelta(days=731)):
        body = {"partner": partner["code"], "lines": lines(1), "respond_by": str(respond_by)}
        r = await http.post("/api/v1/exchanges", json=body, headers=staff)
        assert_invalid(r, "body", "respond_by")
    for respond_by in (day, day + timedelta(days=730)):
        body = {"partner": partner["code"], "lines": lines(1), "respond_by": str(respond_by)}
        r = await http.post("/api/v1/exchanges", json=body, headers=staff)
        assert r.status_code == 201, r.text
        assert r.json()["respond_by"] == str(respond_by)
    listed = await http.get("/api/v1/exchanges", params={"partner": partner["code"]}, headers=staff)
    assert listed.status_code == 200 and listed.json()["total"] == 2


async def test_shipment_and_receipt_dates_are_within_a_year_back_and_a_day_ahead(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    url, line, key = await _accepted(stack)
    day = today()
    for shipped_on in (FAR, FIRST, day + timedelta(days=2), day - timedelta(days=367)):
        shipment: dict[str, Any] = {"carrier": "EMS", "shipped_on": str(shipped_on)}
        assert_invalid(await http.post(f"{url}/shipment", json=shipment, headers=staff), "body")
    shipped_on = day - timedelta(days=366)
    r = await http.post(
        f"{url}/shipment", json={"carrier": "EMS", "shipped_on": str(shipped_on)}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert r.json()["receipt_due"] == str(shipped_on + timedelta(days=AGREEMENT["receipt_days"]))

    for received_on in (FAR, FIRST, day + timedelta(days=2), day - timedelta(days=367)):
        body = {
            "lines": [{"line_id": line, "received": 2}],
            "received_on": str(received_on),
        }
        r = await http.post(f"{url}/receipt", json=body, headers=key)
        assert_invalid(r, "body", "received_on")
    body = {"lines": [{"line_id": line, "received": 2}], "received_on": str(day + timedelta(1))}
    r = await http.post(f"{url}/receipt", json=body, headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["received_on"] == str(day + timedelta(days=1))


async def test_agreement_dates_are_from_1950_to_2099(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff, agreement=None)
    url = f"/api/v1/partners/{partner['code']}/agreements"
    for field, value in (
        ("signed_on", FIRST),
        ("signed_on", "1949-12-31"),
        ("valid_from", FIRST),
        ("valid_to", FAR),
        ("valid_to", "2100-01-01"),
    ):
        r = await http.post(url, json={**AGREEMENT, field: value}, headers=staff)
        assert_invalid(r, "body", field)
    widest = {**AGREEMENT, "signed_on": "1950-01-01", "valid_from": "1950-01-01"}
    r = await http.post(url, json={**widest, "valid_to": "2099-12-31"}, headers=staff)
    assert r.status_code == 201, r.text
    assert (await http.get(url, headers=staff)).json()[0]["valid_to"] == "2099-12-31"


async def test_key_expiry_is_from_a_day_ago_to_five_years_ahead(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    now = datetime.now(UTC)
    for expires_at in (
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        (now + timedelta(days=5 * 365, hours=1)).isoformat(),
        (now - timedelta(days=1, hours=1)).isoformat(),
    ):
        body = {"role": "cataloguer", "expires_at": expires_at}
        assert_invalid(await http.post("/api/v1/keys", json=body, headers=staff), "body")
    soon = now + timedelta(days=5 * 365 - 1)
    r = await http.post(
        "/api/v1/keys", json={"role": "cataloguer", "expires_at": soon.isoformat()}, headers=staff
    )
    assert r.status_code == 201, r.text
    key = bearer(r.json()["key"])
    assert (await http.get("/api/v1/records", params={"limit": 1}, headers=key)).status_code == 200
    # A naive time is UTC, as the database takes it.
    naive = (now + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    r = await http.post(
        "/api/v1/keys", json={"role": "cataloguer", "expires_at": naive.isoformat()}, headers=staff
    )
    assert r.status_code == 201, r.text


async def test_year_parameters_are_from_1900_to_2200(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff)
    for path in (
        "/api/v1/exchanges",
        f"/api/v1/partners/{partner['code']}/balance",
        "/api/v1/reports/exchanges.csv",
    ):
        for year in (1899, 2201, INT64, -1):
            r = await http.get(path, params={"year": year}, headers=staff)
            assert_invalid(r, "query", "year")
        r = await http.get(path, params={"year": 2200}, headers=staff)
        assert r.status_code == 200, (path, r.text)


# --- integers (item 3) ---------------------------------------------------------------------


async def test_integers_past_the_database_range_are_422_on_the_same_connection(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    url, line, partner_key = await _accepted(stack)

    def proposal(**line_fields: Any) -> dict[str, Any]:
        return {"partner": code, "lines": [{"title": "Judul", "quantity": 1, **line_fields}]}

    cases: list[tuple[str, dict[str, Any], dict[str, str], tuple[str | int, ...]]] = [
        ("/api/v1/exchanges", proposal(record_id=INT64), staff, ("body", "lines", 0, "record_id")),
        ("/api/v1/exchanges", proposal(record_id=INT32), staff, ("body", "lines", 0, "record_id")),
        ("/api/v1/exchanges", proposal(record_id=0), staff, ("body", "lines", 0, "record_id")),
        ("/api/v1/exchanges", proposal(quantity=INT64), staff, ("body", "lines", 0, "quantity")),
        ("/api/v1/exchanges", proposal(year=INT64), staff, ("body", "lines", 0, "year")),
        (
            f"/api/v1/partners/{code}/agreements",
            {**AGREEMENT, "yearly_quota": INT32},
            staff,
            ("body", "yearly_quota"),
        ),
        (
            f"/api/v1/partners/{code}/agreements",
            {**AGREEMENT, "yearly_quota": INT64},
            staff,
            ("body", "yearly_quota"),
        ),
        (
            f"/api/v1/partners/{code}/agreements",
            {**AGREEMENT, "response_days": INT64},
            staff,
            ("body", "response_days"),
        ),
        ("/api/v1/deposits", {"title": "Judul", "copies": INT64}, staff, ("body", "copies")),
        (f"/api/v1/partners/{code}/keys", {"overlap_hours": INT64}, key, ("body", "overlap_hours")),
        (
            f"{url}/shipment",
            {"carrier": "EMS", "parcels": INT64},
            staff,
            ("body", "parcels"),
        ),
        (f"{url}/shipment", {"carrier": "EMS", "parcels": 0}, staff, ("body", "parcels")),
        (
            f"{url}/receipt",
            {"lines": [{"line_id": line, "received": INT64}]},
            partner_key,
            ("body", "lines", 0, "received"),
        ),
        (
            f"{url}/receipt",
            {"lines": [{"line_id": line, "received": 1, "damaged": INT32}]},
            partner_key,
            ("body", "lines", 0, "damaged"),
        ),
    ]
    for path, body, headers, loc in cases:
        r = await http.post(path, json=body, headers=headers)
        assert_invalid(r, *loc)
        # The connection is still good: the next request on it gets its answer.
        r = await http.get("/api/v1/exchanges", params={"limit": 1}, headers=staff)
        assert r.status_code == 200, r.text

    incoming = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    decision = {"accept": [{"line_id": incoming.json()["lines"][0]["id"], "quantity": INT64}]}
    r = await http.post(
        f"/api/v1/exchanges/{incoming.json()['id']}/decision", json=decision, headers=staff
    )
    assert_invalid(r, "body", "accept", 0, "quantity")

    for params in ({"limit": INT64}, {"offset": INT64}, {"offset": INT32}, {"limit": 0}):
        for path in ("/api/v1/exchanges", "/api/v1/partners", "/api/v1/fund", "/api/v1/records"):
            r = await http.get(path, params=params, headers=staff)
            assert_invalid(r, "query", next(iter(params)))

    # Nothing was written by any of them.
    r = await http.get(f"/api/v1/partners/{code}/agreements", headers=staff)
    assert len(r.json()) == 1
    assert (await http.get(url, headers=staff)).json()["state"] == "accepted"


# --- strict numbers (item 4) ---------------------------------------------------------------


async def test_booleans_and_strings_are_not_numbers(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    url, line, partner_key = await _accepted(stack)

    # Rotating with "overlap_hours": false would end the partner's keys at once.
    for overlap in (False, True, "24", 24.0, None):
        r = await http.post(
            f"/api/v1/partners/{code}/keys", json={"overlap_hours": overlap}, headers=key
        )
        assert_invalid(r, "body", "overlap_hours")
    r = await http.get("/api/v1/exchanges", headers=key)
    assert r.status_code == 200, "the partner's key still works"

    def proposal(**line_fields: Any) -> dict[str, Any]:
        return {"partner": code, "lines": [{"title": "Judul", **line_fields}]}

    for fields, name in (
        ({"quantity": True}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"quantity": 2.0}, "quantity"),
        ({"quantity": 1, "year": "2010"}, "year"),
        ({"quantity": 1, "year": True}, "year"),
        ({"quantity": 1, "record_id": True}, "record_id"),
    ):
        r = await http.post("/api/v1/exchanges", json=proposal(**fields), headers=staff)
        assert_invalid(r, "body", "lines", 0, name)
    for body, name in (
        ({"title": "Judul", "copies": True}, "copies"),
        ({"title": "Judul", "copies": "3"}, "copies"),
        ({"title": "Judul", "copies": 3, "year": False}, "year"),
    ):
        assert_invalid(await http.post("/api/v1/deposits", json=body, headers=staff), "body", name)
    for name in ("response_days", "receipt_days", "yearly_quota"):
        r = await http.post(
            f"/api/v1/partners/{code}/agreements", json={**AGREEMENT, name: True}, headers=staff
        )
        assert_invalid(r, "body", name)
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS", "parcels": True}, headers=staff)
    assert_invalid(r, "body", "parcels")
    for counts in ({"received": True}, {"received": 2, "damaged": False}, {"received": "2"}):
        receipt = {"lines": [{"line_id": line, **counts}]}
        assert_invalid(await http.post(f"{url}/receipt", json=receipt, headers=partner_key), "body")
    assert (await http.get(url, headers=staff)).json()["state"] == "accepted"

    incoming = await http.post("/api/v1/exchanges", json={"lines": lines(2)}, headers=key)
    decision = {"accept": [{"line_id": incoming.json()["lines"][0]["id"], "quantity": True}]}
    r = await http.post(
        f"/api/v1/exchanges/{incoming.json()['id']}/decision", json=decision, headers=staff
    )
    assert_invalid(r, "body", "accept", 0, "quantity")

    # Declared values stay as they were: a JSON number or a decimal string.
    for unit_value in ("12.50", 12.5):
        body = proposal(quantity=2, unit_value=unit_value, currency="EUR")
        r = await http.post("/api/v1/exchanges", json=body, headers=staff)
        assert r.status_code == 201, r.text
        assert r.json()["lines"][0]["unit_value"] == "12.50"
