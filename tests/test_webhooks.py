"""Signed webhooks to a real local receiver that fails the first attempts: every event is
accepted exactly once, the signature verifies, and the exchange never waits for delivery."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator

import pytest

from tests.conftest import Stack
from tests.support import lines, register_partner
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2).start()
    yield r
    r.stop()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What the README tells a partner to do."""
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(f"v1={expected.hexdigest()}", signature)


async def test_events_are_signed_retried_and_accepted_once(
    stack: Stack, receiver: Receiver
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, webhook_url=receiver.url)
    secret = partner["webhook_secret"]
    code = partner["code"]

    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=staff
    )
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    # The partner's endpoint is still failing; the exchange goes on regardless.
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=key
    )
    assert r.status_code == 200
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    assert r.status_code == 200
    # proposal and shipment notices go to the partner (it took the decision itself).
    for _ in range(300):
        if len(receiver.accepted()) >= 2:
            break
        await asyncio.sleep(0.05)
    accepted = receiver.accepted()
    assert len(accepted) == 2 and set(accepted.values()) == {1}, accepted
    await asyncio.sleep(1.0)  # long enough for any stray retry to show itself
    assert receiver.accepted() == accepted, "an accepted event was sent again"

    events = {r.event["type"]: r for r in receiver.requests if r.status == 200}
    assert set(events) == {"exchange.proposal", "exchange.shipment"}
    for received in events.values():
        headers = received.headers
        assert verify(
            secret, headers["webhook-timestamp"], received.body, headers["webhook-signature"]
        )
        assert not verify(
            "wrong", headers["webhook-timestamp"], received.body, headers["webhook-signature"]
        )
        event = received.event
        assert event["exchange_id"] == exchange["id"] and event["id"] == headers["webhook-id"]
        assert event["links"]["exchange"].endswith(f"/api/v1/exchanges/{exchange['id']}")
    assert len(receiver.requests) == 2 * 3, "two failures, then one success, per event"

    r = await http.get(f"/api/v1/partners/{code}/deliveries", headers=key)
    assert r.status_code == 200
    attempts = r.json()["items"]
    assert len(attempts) == 6
    assert sorted((a["succeeded"], a["status_code"]) for a in attempts) == sorted(
        [(False, 503)] * 4 + [(True, 200)] * 2
    )
    assert {a["attempt"] for a in attempts} == {1, 2, 3}
    _other, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/partners/{code}/deliveries", headers=other_key)
    assert r.status_code == 404


async def test_webhook_urls_must_be_safe(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    for bad in ("https://10.1.2.3/hooks", "https://169.254.169.254/latest", "http://example.org/x"):
        body = {
            "code": "SSRF",
            "name": "x",
            "country": "BY",
            "marc_format": "marc21",
            "webhook_url": bad,
        }
        r = await http.post("/api/v1/partners", json=body, headers=staff)
        assert r.status_code == 422 and r.json()["type"] == "/problems/webhook-url-not-allowed"
    partner, key = await register_partner(http, staff)
    r = await http.patch(
        f"/api/v1/partners/{partner['code']}",
        json={"webhook_url": "https://192.168.1.10/hook"},
        headers=key,
    )
    assert r.status_code == 422
    r = await http.patch(
        f"/api/v1/partners/{partner['code']}", json={"name": "Renamed"}, headers=key
    )
    assert r.status_code == 403, "a partner changes only its webhook URL"
    r = await http.post(f"/api/v1/partners/{partner['code']}/webhook-secret", headers=key)
    assert r.status_code == 200 and r.json()["webhook_secret"] != partner["webhook_secret"]
