"""Keys and roles: what each staff role may do, revocation, partner key rotation, hashing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from services.exchange.models import ApiKey
from tests.conftest import Stack
from tests.support import bearer, lines, marc_file, register_partner


async def _key(stack: Stack, **body: Any) -> dict[str, Any]:
    r = await stack.http.post("/api/v1/keys", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def test_each_staff_role_does_its_own_work(stack: Stack, tmp_path: Path) -> None:
    http = stack.http
    partner, partner_key = await register_partner(http, stack.staff)
    acquisitions = bearer((await _key(stack, role="acquisitions", label="desk"))["key"])
    cataloguer = bearer((await _key(stack, role="cataloguer"))["key"])

    # Acquisitions proposes and decides, but does not manage partners or keys.
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(1)},
        headers=acquisitions,
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    body = {"code": "NEWP", "name": "x", "country": "BY", "marc_format": "marc21"}
    for path, payload in (("/api/v1/partners", body), ("/api/v1/keys", {"role": "admin"})):
        r = await http.post(path, json=payload, headers=acquisitions)
        assert r.status_code == 403 and r.json()["type"] == "/problems/role-required"

    # The cataloguer uploads MARC and reads records, but takes no exchange step.
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(1)},
        headers=cataloguer,
    )
    assert r.status_code == 403
    assert "acquisitions" in r.json()["detail"]
    upload = marc_file(tmp_path / "c.mrc", 2)
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=cataloguer)
    assert r.status_code == 202, r.text
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=acquisitions)
    assert r.status_code == 403
    assert (await http.get("/api/v1/records", headers=cataloguer)).status_code == 200
    assert (await http.get(url, headers=cataloguer)).status_code == 200, "any staff reads"
    r = await http.post("/api/v1/deposits", json={"title": "x", "copies": 1}, headers=cataloguer)
    assert r.status_code == 403

    # A partner key reaches only partner-facing routes.
    r = await http.post("/api/v1/keys", json={"role": "partner"}, headers=partner_key)
    assert r.status_code == 403 and r.json()["type"] == "/problems/staff-only"


async def test_keys_are_listed_without_secrets_and_revoked_at_once(stack: Stack) -> None:
    created = await _key(stack, role="cataloguer", label="temporary")
    assert created["key"].startswith(f"exk_{created['id']}_")
    listed = (await stack.http.get("/api/v1/keys", headers=stack.staff)).json()
    mine = next(k for k in listed if k["id"] == created["id"])
    assert "key" not in mine and mine["label"] == "temporary"
    with Session(stack.engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.id == created["id"])).one()
    assert created["key"] not in row.secret_hash and len(row.secret_hash) == 64

    key = bearer(created["key"])
    assert (await stack.http.get("/api/v1/records", headers=key)).status_code == 200
    r = await stack.http.delete(f"/api/v1/keys/{created['id']}", headers=stack.staff)
    assert r.status_code == 204
    r = await stack.http.get("/api/v1/records", headers=key)
    assert r.status_code == 401
    r = await stack.http.delete(f"/api/v1/keys/{created['id']}", headers=stack.staff)
    assert r.status_code == 404
    listed = (await stack.http.get("/api/v1/keys", headers=stack.staff)).json()
    assert created["id"] not in {k["id"] for k in listed}


async def test_partner_rotates_its_key_with_an_overlap(stack: Stack) -> None:
    http = stack.http
    partner, old_key = await register_partner(http, stack.staff)
    code = partner["code"]
    r = await http.post(
        f"/api/v1/partners/{code}/keys", json={"overlap_hours": 24}, headers=old_key
    )
    assert r.status_code == 201, r.text
    new_key = bearer(r.json()["key"])
    # Both work during the overlap.
    assert (await http.get("/api/v1/exchanges", headers=old_key)).status_code == 200
    assert (await http.get("/api/v1/exchanges", headers=new_key)).status_code == 200
    # Rotating again with no overlap retires every older key at once.
    r = await http.post(f"/api/v1/partners/{code}/keys", json={"overlap_hours": 0}, headers=new_key)
    newest = bearer(r.json()["key"])
    assert (await http.get("/api/v1/exchanges", headers=old_key)).status_code == 401
    assert (await http.get("/api/v1/exchanges", headers=new_key)).status_code == 401
    assert (await http.get("/api/v1/exchanges", headers=newest)).status_code == 200
    other, _ = await register_partner(http, stack.staff)
    r = await http.post(f"/api/v1/partners/{other['code']}/keys", json={}, headers=newest)
    assert r.status_code == 404


async def test_requests_are_logged_with_the_key_id_never_the_key(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    created = await _key(stack, role="acquisitions")
    with caplog.at_level(logging.INFO, logger="exchange.api"):
        r = await stack.http.get("/api/v1/exchanges", headers=bearer(created["key"]))
    assert r.status_code == 200
    lines_logged = [rec.getMessage() for rec in caplog.records if rec.name == "exchange.api"]
    assert any(f"key={created['id']}" in line for line in lines_logged)
    assert not any(created["key"] in line for line in caplog.text.splitlines())
