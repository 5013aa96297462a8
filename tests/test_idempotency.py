"""Idempotency-Key: a retried POST has no second effect, even when the retries race."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from tests.conftest import Stack
from tests.support import lines, register_partner


async def _count(stack: Stack, key: dict[str, str]) -> int:
    r = await stack.http.get("/api/v1/exchanges", params={"limit": 1}, headers=key)
    total: int = r.json()["total"]
    return total


async def test_same_key_same_body_replays_the_first_response(stack: Stack) -> None:
    http = stack.http
    _partner, key = await register_partner(http, stack.staff)
    headers = {**key, "Idempotency-Key": str(uuid.uuid4())}
    body = {"lines": lines(2)}
    first = await http.post("/api/v1/exchanges", json=body, headers=headers)
    assert first.status_code == 201
    again = await http.post("/api/v1/exchanges", json=body, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await _count(stack, key) == 1

    other = await http.post("/api/v1/exchanges", json={"lines": lines(3)}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert await _count(stack, key) == 1


async def test_a_retried_step_is_not_refused_as_a_second_step(stack: Stack) -> None:
    http = stack.http
    partner, key = await register_partner(http, stack.staff)
    exchange = (
        await http.post(
            "/api/v1/exchanges",
            json={"partner": partner["code"], "lines": lines(1)},
            headers=stack.staff,
        )
    ).json()
    url = f"/api/v1/exchanges/{exchange['id']}/decision"
    body = {"accept": [{"line_id": exchange["lines"][0]["id"], "quantity": 1}]}
    headers = {**key, "Idempotency-Key": "decision-1"}
    first = await http.post(url, json=body, headers=headers)
    retry = await http.post(url, json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json()["state"] == "accepted"
    without_key = await http.post(url, json=body, headers=key)
    assert without_key.status_code == 409, "without a key, a second decision is refused"


async def test_concurrent_duplicates_have_one_effect(stack: Stack) -> None:
    http = stack.http
    _partner, key = await register_partner(http, stack.staff)
    headers = {**key, "Idempotency-Key": str(uuid.uuid4())}
    body = {"lines": lines(1, 2)}
    responses = await asyncio.gather(
        *(http.post("/api/v1/exchanges", json=body, headers=headers) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _count(stack, key) == 1


async def test_keys_belong_to_their_caller(stack: Stack) -> None:
    http = stack.http
    _a, key_a = await register_partner(http, stack.staff)
    _b, key_b = await register_partner(http, stack.staff)
    shared = "same-key-different-callers"
    body = {"lines": lines(1)}
    r_a = await http.post(
        "/api/v1/exchanges", json=body, headers={**key_a, "Idempotency-Key": shared}
    )
    r_b = await http.post(
        "/api/v1/exchanges", json=body, headers={**key_b, "Idempotency-Key": shared}
    )
    assert r_a.status_code == r_b.status_code == 201
    assert r_a.json()["id"] != r_b.json()["id"]
    r = await http.post(
        "/api/v1/exchanges", json=body, headers={**key_a, "Idempotency-Key": "x" * 256}
    )
    assert r.status_code == 422


async def test_oversized_bodies_get_413(stack: Stack) -> None:
    http = stack.http
    limit = stack.settings.max_body_bytes
    big = {"lines": [{"title": "x" * 900, "quantity": 1}] * (limit // 900 + 10)}
    r = await http.post("/api/v1/exchanges", json=big, headers=stack.staff)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"

    async def chunked() -> AsyncIterator[bytes]:
        yield b'{"lines": ['
        for _ in range(limit // 900 + 50):
            yield b'{"title": "' + b"y" * 960 + b'", "quantity": 1},'
        yield b"]}"

    r = await http.post(
        "/api/v1/exchanges",
        content=chunked(),
        headers={**stack.staff, "content-type": "application/json"},
    )
    assert r.status_code == 413
