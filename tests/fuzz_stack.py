"""The running API the fuzz tests send to: served in a thread of its own, seeded with a partner,
its key and an exchange of each kind, so that generated requests reach real rows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from temporalio.client import Client

from tests.conftest import ADMIN_TOKEN, Stack, running_stack
from tests.support import bearer, lines, marc_file, register_partner

T = TypeVar("T")


# --- the API in a thread of its own --------------------------------------------------------


class ThreadedStack:
    """``running_stack`` served from a background thread with its own event loop."""

    def __init__(self, temporal_host: str, data_dir: Path) -> None:
        self._temporal_host = temporal_host
        self._data_dir = data_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._serving: Future[None] | None = None

    def run(self, make: Callable[[], Awaitable[T]], timeout: float = 120) -> T:
        """Run a coroutine in the stack's loop and wait for its result."""

        async def call() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout)

    def start(self) -> Stack:
        self._thread.start()
        ready: Future[Stack] = Future()

        async def serve() -> None:
            self._stop = asyncio.Event()
            client = await Client.connect(self._temporal_host)
            database_url = f"sqlite:///{self._data_dir / 'exchange.db'}"
            try:
                async with running_stack(client, "fuzz", self._data_dir, database_url) as stack:
                    ready.set_result(stack)
                    await self._stop.wait()
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)
                raise

        self._serving = asyncio.run_coroutine_threadsafe(serve(), self._loop)
        return ready.result(timeout=120)

    def close(self) -> None:
        if self._serving is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._serving.result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@dataclass
class Seeded:
    """What exists before the run: path parameter values by name, and the partner's key."""

    partner_code: str
    partner_key: str
    values: dict[str, list[str]] = field(default_factory=dict)


async def seed(stack: Stack, tmp: Path) -> Seeded:
    """Two partners, exchanges in several states (one with a claim and a MARC batch)."""
    http, staff = stack.http, stack.staff
    a, key_a = await register_partner(http, staff)
    b, key_b = await register_partner(http, staff)

    async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        r = await http.post(url, json=body, headers=headers)
        assert r.status_code in (200, 201), f"{url}: {r.status_code} {r.text}"
        answer: dict[str, Any] = r.json()
        return answer

    incoming = await post("/api/v1/exchanges", {"lines": lines(2, 1)}, key_a)
    outgoing = await post("/api/v1/exchanges", {"partner": a["code"], "lines": lines(1)}, staff)
    others = await post("/api/v1/exchanges", {"partner": b["code"], "lines": lines(3)}, staff)
    foreign = await post("/api/v1/exchanges", {"lines": lines(1)}, key_b)

    # An incoming exchange received with a damaged copy: a claim, and a MARC batch.
    received = await post("/api/v1/exchanges", {"lines": lines(2)}, key_a)
    url = f"/api/v1/exchanges/{received['id']}"
    line = received["lines"][0]["id"]
    await post(f"{url}/decision", {"accept": [{"line_id": line, "quantity": 2}]}, staff)
    await post(f"{url}/shipment", {"carrier": "EMS"}, key_a)
    receipt = {"lines": [{"line_id": line, "received": 2, "damaged": 1}]}
    received = await post(f"{url}/receipt", receipt, staff)
    claims = [c["claim_no"] for c in received["claims"]]
    with marc_file(tmp / "batch.mrc", 3).open("rb") as upload:
        r = await http.post(f"{url}/marc", files={"file": upload}, headers=key_a)
    assert r.status_code == 202, r.text
    batch = r.json()["batch_id"]

    exchanges = [incoming["id"], outgoing["id"], others["id"], foreign["id"], received["id"]]
    return Seeded(
        partner_code=a["code"],
        partner_key=key_a["Authorization"].removeprefix("Bearer "),
        values={
            "code": [a["code"], b["code"], stack.settings.home_code],
            "exchange_id": exchanges,
            "claim_no": claims,
            "batch_id": [batch],
        },
    )


class PartnerKey:
    """The partner pass's key. Fuzzing may rotate it (``overlap_hours: 0``) or revoke it; then
    a new one is issued with the staff key, so that the rest of the pass is not all 401s."""

    def __init__(self, base_url: str, code: str, key: str) -> None:
        self.base_url = base_url
        self.code = code
        self.key = key
        self.maybe_changed = False

    def current(self) -> str:
        if self.maybe_changed:
            self.maybe_changed = False
            url = f"{self.base_url}/api/v1/exchanges"
            r = requests.get(url, params={"limit": 1}, headers=bearer(self.key), timeout=30)
            if r.status_code == 401:
                body = {"role": "partner", "partner": self.code, "label": "fuzz, re-issued"}
                r = requests.post(
                    f"{self.base_url}/api/v1/keys",
                    json=body,
                    headers=bearer(ADMIN_TOKEN),
                    timeout=30,
                )
                assert r.status_code == 201, f"could not issue a new partner key: {r.text}"
                self.key = r.json()["key"]
        return self.key


@dataclass
class FuzzApi:
    stack: Stack
    seeded: Seeded
    partner: PartnerKey
