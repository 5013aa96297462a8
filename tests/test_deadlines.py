"""Deadlines are durable timers: reminders, expiry, overdue claims and loss, with a month of
waiting skipped by Temporal's time-skipping test server. Everything is driven over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack
from tests.support import lines, register_partner, wait_for


def _steps(exchange: dict[str, Any]) -> list[str]:
    return [h["step"] for h in exchange["history"]]


async def _wait_step(stack: Stack, url: str, step: str, count: int = 1) -> dict[str, Any]:
    """Timers fire on the server's clock; their activities then run in real time."""
    for _ in range(300):
        body: dict[str, Any] = (await stack.http.get(url, headers=stack.staff)).json()
        if _steps(body).count(step) >= count:
            return body
        await __import__("asyncio").sleep(0.05)
    raise AssertionError(f"{url}: step {step!r} x{count} never came; history {_steps(body)}")


async def test_reminder_then_expiry_releases_the_reservation(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    r = await http.post(
        "/api/v1/deposits", json={"title": "Babad Tanah Jawi", "copies": 4}, headers=staff
    )
    item = r.json()
    assert item["copies_available"] == 2
    respond_by = await server_day(skipping_env, days=10)
    r = await http.post(
        "/api/v1/exchanges",
        json={
            "partner": partner["code"],
            "respond_by": respond_by,
            "lines": [{"title": "Babad Tanah Jawi", "record_id": item["id"], "quantity": 2}],
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    fund = (await http.get("/api/v1/fund", params={"available_only": False}, headers=staff)).json()
    assert next(i for i in fund["items"] if i["id"] == item["id"])["copies_reserved"] == 2

    # Eight days on, three days before the deadline: a reminder, still undecided.
    await skipping_env.sleep(timedelta(days=8, hours=1))
    exchange = await _wait_step(stack, url, "reminder")
    assert exchange["state"] == "proposed"
    assert any(
        h["step"] == "notice" and h["note"].startswith("reminder notice for")
        for h in exchange["history"]
    )

    # The deadline passes without a decision.
    await skipping_env.sleep(timedelta(days=3))
    exchange = await wait_for(http, url, staff, "state", {"expired"})
    assert "expire" in _steps(exchange)
    fund = (await http.get("/api/v1/fund", headers=staff)).json()
    assert next(i for i in fund["items"] if i["id"] == item["id"])["copies_available"] == 2

    line = exchange["lines"][0]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=key
    )
    assert r.status_code == 409
    assert r.json()["type"] in ("/problems/exchange-closed", "/problems/invalid-transition")


async def server_day(env: WorkflowEnvironment, days: int) -> str:
    """A date ``days`` ahead on the test server's clock, which earlier tests have moved on."""
    return (await env.get_current_time() + timedelta(days=days)).date().isoformat()


async def _shipped(
    stack: Stack, env: WorkflowEnvironment
) -> tuple[str, dict[str, str], dict[str, Any]]:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    r = await http.post(
        "/api/v1/exchanges",
        json={
            "partner": partner["code"],
            "lines": lines(2),
            "respond_by": await server_day(env, days=30),
        },
        headers=staff,
    )
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 2}]}, headers=key
    )
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    assert r.status_code == 200, r.text
    shipped = r.json()
    assert shipped["receipt_due"] is not None  # the agreement's 60 receipt days
    return url, key, shipped


async def test_overdue_receipt_raises_two_claims_then_the_sender_marks_it_lost(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    url, _key, _ = await _shipped(stack, skipping_env)

    await skipping_env.sleep(timedelta(days=61))
    exchange = await _wait_step(stack, url, "claim")
    assert [(c["kind"], c["state"]) for c in exchange["claims"]] == [("overdue", "open")]
    r = await stack.http.post(f"{url}/lost", json={}, headers=stack.staff)
    assert r.status_code == 409
    assert "after two unanswered claims" in r.json()["detail"]

    await skipping_env.sleep(timedelta(days=15))
    exchange = await _wait_step(stack, url, "claim", count=2)
    assert len(exchange["claims"]) == 2 and exchange["state"] == "shipped"

    r = await stack.http.post(
        f"{url}/lost", json={"note": "parcel never arrived"}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    lost = r.json()
    assert lost["state"] == "lost"
    assert {c["state"] for c in lost["claims"]} == {"written_off"}


async def test_late_receipt_settles_the_overdue_claim(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    url, key, shipped = await _shipped(stack, skipping_env)
    await skipping_env.sleep(timedelta(days=61))
    await _wait_step(stack, url, "claim")
    line = shipped["lines"][0]["id"]
    r = await stack.http.post(
        f"{url}/receipt", json={"lines": [{"line_id": line, "received": 2}]}, headers=key
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "completed"
    assert [(c["kind"], c["state"]) for c in done["claims"]] == [("overdue", "resolved")]
