"""The key cache: accepted keys are remembered briefly, yet revocation and expiry still hold.

Each API process keeps the keys it accepted for ``EXCHANGE_KEY_CACHE_SECONDS``. These tests
check that a revoked key stops at once in the process that revoked it, in every process that
shares the data directory (a second app here), and after the cache's lifetime in a process that
does not; and that a cached key still stops at its expiry time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from services.exchange.app import create_app
from services.exchange.settings import Settings
from tests.conftest import Stack, free_port
from tests.support import bearer, register_partner


async def _new_key(stack: Stack, **body: Any) -> dict[str, Any]:
    r = await stack.http.post("/api/v1/keys", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


@asynccontextmanager
async def _another_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second API over the same database, as another process would be: its own engine."""
    port = free_port()
    app = create_app(settings.model_copy(update={"port": port}), migrate=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        await serving


async def test_a_cached_key_still_stops_at_its_expiry(stack: Stack) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=2)
    created = await _new_key(stack, role="cataloguer", expires_at=expires.isoformat())
    key = bearer(created["key"])
    for _ in range(3):  # the first request looks the key up, the others find it cached
        assert (await stack.http.get("/api/v1/match-rules", headers=key)).status_code == 200
    await asyncio.sleep((expires - datetime.now(UTC)).total_seconds() + 0.2)
    r = await stack.http.get("/api/v1/match-rules", headers=key)
    assert r.status_code == 401, r.text


async def test_revocation_reaches_a_process_sharing_the_data_directory_at_once(
    stack: Stack,
) -> None:
    created = await _new_key(stack, role="acquisitions")
    key = bearer(created["key"])
    async with _another_api(stack.settings) as other:
        for http in (stack.http, other, other):
            assert (await http.get("/api/v1/exchanges", headers=key)).status_code == 200
        r = await stack.http.delete(f"/api/v1/keys/{created['id']}", headers=stack.staff)
        assert r.status_code == 204
        for http in (other, stack.http):
            r = await http.get("/api/v1/exchanges", headers=key)
            assert r.status_code == 401, r.text


async def test_a_process_that_saw_only_the_bootstrap_key_still_tells_the_others(
    stack: Stack,
) -> None:
    created = await _new_key(stack, role="cataloguer")
    key = bearer(created["key"])
    async with _another_api(stack.settings) as other, _another_api(stack.settings) as admin:
        assert (await other.get("/api/v1/match-rules", headers=key)).status_code == 200
        r = await admin.delete(f"/api/v1/keys/{created['id']}", headers=stack.staff)
        assert r.status_code == 204
        assert (await other.get("/api/v1/match-rules", headers=key)).status_code == 401


async def test_rotation_reaches_a_process_sharing_the_data_directory_at_once(
    stack: Stack,
) -> None:
    partner, old_key = await register_partner(stack.http, stack.staff)
    async with _another_api(stack.settings) as other:
        assert (await other.get("/api/v1/exchanges", headers=old_key)).status_code == 200
        r = await stack.http.post(
            f"/api/v1/partners/{partner['code']}/keys",
            json={"overlap_hours": 0},
            headers=old_key,
        )
        assert r.status_code == 201, r.text
        new_key = bearer(r.json()["key"])
        assert (await other.get("/api/v1/exchanges", headers=old_key)).status_code == 401
        assert (await other.get("/api/v1/exchanges", headers=new_key)).status_code == 200


async def test_a_process_without_the_data_directory_forgets_within_the_cache_lifetime(
    stack: Stack, tmp_path: Path
) -> None:
    ttl = 1.0
    created = await _new_key(stack, role="cataloguer")
    key = bearer(created["key"])
    elsewhere = stack.settings.model_copy(update={"data_dir": tmp_path, "key_cache_seconds": ttl})
    async with _another_api(elsewhere) as other:
        assert (await other.get("/api/v1/match-rules", headers=key)).status_code == 200
        r = await stack.http.delete(f"/api/v1/keys/{created['id']}", headers=stack.staff)
        assert r.status_code == 204
        revoked_at = time.monotonic()
        while (await other.get("/api/v1/match-rules", headers=key)).status_code != 401:
            assert time.monotonic() - revoked_at < ttl + 3, "still accepted after the TTL"
            await asyncio.sleep(0.1)
