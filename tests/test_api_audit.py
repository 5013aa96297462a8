"""``GET /api/v1/audit`` over real HTTP: admin keys only, and its filters (entity, actor, days).

The entries themselves (one per change, before and after, no secrets) are checked against the
service layer in ``tests/fast/test_service_audit.py``; here, that the API's changes land in the
trail with the key that made them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import Stack
from tests.support import bearer, register_partner


async def _key(stack: Stack, role: str, label: str) -> tuple[dict[str, str], str]:
    r = await stack.http.post(
        "/api/v1/keys", json={"role": role, "label": label}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["key"]), r.json()["id"]


async def test_only_admin_keys_read_the_audit(stack: Stack) -> None:
    assert (await stack.http.get("/api/v1/audit")).status_code == 401
    cataloguer, _ = await _key(stack, "cataloguer", "cataloguing desk")
    r = await stack.http.get("/api/v1/audit", headers=cataloguer)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    _, partner_key = await register_partner(stack.http, stack.staff)
    assert (await stack.http.get("/api/v1/audit", headers=partner_key)).status_code == 403
    admin, _ = await _key(stack, "admin", "second admin")
    assert (await stack.http.get("/api/v1/audit", headers=admin)).status_code == 200


async def test_changes_made_through_the_api_are_in_the_trail(stack: Stack) -> None:
    admin, admin_id = await _key(stack, "admin", f"audit admin {uuid.uuid4().hex[:6]}")
    code = f"A{uuid.uuid4().hex[:8].upper()}"
    r = await stack.http.post(
        "/api/v1/partners",
        json={"code": code, "name": "Audit library", "country": "BY", "marc_format": "marc21"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    secret = r.json()["webhook_secret"]
    r = await stack.http.patch(
        f"/api/v1/partners/{code}", json={"name": "Audit library, renamed"}, headers=admin
    )
    assert r.status_code == 200, r.text

    r = await stack.http.get(
        "/api/v1/audit",
        params={"entity": "partner", "actor": f"staff:{admin_id}"},
        headers=stack.staff,
    )
    assert r.status_code == 200, r.text
    page = r.json()
    assert [(e["entity_key"], e["action"]) for e in page["items"]] == [
        (code, "updated"),
        (code, "created"),
    ]
    updated, created = page["items"]
    assert updated["actor"] == f"staff:{admin_id}" and updated["actor_name"].startswith("audit")
    assert updated["changes"] == [
        {"field": "name", "before": "Audit library", "after": "Audit library, renamed"}
    ]
    assert created["before"] is None and created["after"]["code"] == code
    assert secret not in r.text and "webhook_secret" not in r.text

    # The key the registration made is there too, without its secret.
    r = await stack.http.get(
        "/api/v1/audit", params={"entity": "key", "actor": f"staff:{admin_id}"}, headers=admin
    )
    assert [e["after"]["partner"] for e in r.json()["items"]] == [code]
    assert "secret_hash" not in r.text


async def test_the_bootstrap_key_and_the_day_filters(stack: Stack) -> None:
    r = await stack.http.post(
        "/api/v1/deposits", json={"title": "Audit deposit", "copies": 3}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    item_id = str(r.json()["id"])
    today = datetime.now(UTC).date()
    found = await stack.http.get(
        "/api/v1/audit",
        params={"entity": "deposit", "actor": "staff:admin", "since": str(today), "limit": 500},
        headers=stack.staff,
    )
    assert found.status_code == 200, found.text
    (entry,) = [e for e in found.json()["items"] if e["entity_key"] == item_id]
    assert entry["action"] == "deposited" and entry["after"]["copies_deposited"] == 3
    tomorrow = str(today + timedelta(days=1))
    later = await stack.http.get(
        "/api/v1/audit", params={"entity": "deposit", "since": tomorrow}, headers=stack.staff
    )
    assert later.status_code == 200 and later.json()["total"] == 0
    yesterday = str(today - timedelta(days=1))
    earlier = await stack.http.get(
        "/api/v1/audit",
        params={"entity": "deposit", "actor": "staff:admin", "until": yesterday},
        headers=stack.staff,
    )
    assert earlier.status_code == 200 and earlier.json()["total"] == 0


async def test_bad_filters_are_problems(stack: Stack) -> None:
    for params in (
        {"entity": "exchange"},
        {"since": "yesterday"},
        {"until": "9999-12-31"},
        {"limit": "0"},
        {"actor": "x" * 201},
    ):
        r = await stack.http.get("/api/v1/audit", params=params, headers=stack.staff)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
