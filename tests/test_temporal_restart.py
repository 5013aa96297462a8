"""The Temporal dev server stops in the middle of running exchanges and starts again on the
same state file: every exchange goes on to its end, none lost and no step taken twice.

Each step is sent with an ``Idempotency-Key`` and repeated with it while Temporal is away: a
step whose answer was lost in the stop is answered, on its retry, with the step it took (200),
never with a 409 for a second step nor a 500. The test waits for what it needs (the server's
namespace answering, a refusal seen during the outage) within generous but bounded deadlines,
so that a loaded machine makes it slower, not failed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, func, select
from temporalio.client import Client

from services.exchange.models import ExchangeEvent, LedgerEntry
from tests.conftest import Stack, free_port, running_stack
from tests.dev_server import DevServer
from tests.support import lines, register_partner

EXCHANGES = 16
STEP_WITHIN = 300.0  # seconds for one step to go through, outage and restart included


async def _until_taken(
    step: Callable[[dict[str, str]], Awaitable[httpx.Response]], refused: list[int]
) -> dict[str, Any]:
    """Send a step, and again with the same key while Temporal is away, until it is answered."""
    key = {"Idempotency-Key": f"step-{uuid.uuid4()}"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_WITHIN
    while loop.time() < deadline:
        r = await step(key)
        if r.status_code == 200:
            body: dict[str, Any] = r.json()
            return body
        assert r.status_code in (429, 503), r.text
        assert r.headers.get("retry-after", "").isdigit(), r.headers
        refused.append(r.status_code)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the step did not go through within {STEP_WITHIN} s")


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.01)


async def test_exchanges_survive_a_temporal_restart(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "temporal.db", free_port())
    await server.start()
    client = await Client.connect(server.address)
    database_url = f"sqlite:///{tmp_path / 'exchange.db'}"
    try:
        async with running_stack(client, "restart", tmp_path, database_url) as stack:
            await _drive(stack, server)
            for step in ("accept", "ship", "receive", "complete"):
                count = _count(stack, step)
                assert count == EXCHANGES, f"{step}: {count} events for {EXCHANGES} exchanges"
            with Session(stack.engine) as session:
                ledger = session.exec(select(func.count()).select_from(LedgerEntry)).one()
                assert ledger == EXCHANGES
    finally:
        server.stop_if_running()


def _count(stack: Stack, step: str) -> int:
    with Session(stack.engine) as session:
        count: int = session.exec(select(func.count()).where(col(ExchangeEvent.step) == step)).one()
        return count


async def _drive(stack: Stack, server: DevServer) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    exchanges = []
    for _ in range(EXCHANGES):
        r = await http.post(
            "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(1)}, headers=staff
        )
        exchange = r.json()
        url = f"/api/v1/exchanges/{exchange['id']}"
        line = exchange["lines"][0]["id"]
        r = await http.post(
            f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=key
        )
        assert r.status_code == 200, r.text
        exchanges.append((url, line))

    refused: list[int] = []

    async def finish(url: str, line: str) -> None:
        await _until_taken(
            lambda once: http.post(
                f"{url}/shipment", json={"carrier": "EMS"}, headers={**staff, **once}
            ),
            refused,
        )
        await _until_taken(
            lambda once: http.post(
                f"{url}/receipt",
                json={"lines": [{"line_id": line, "received": 1}]},
                headers={**key, **once},
            ),
            refused,
        )

    running = [asyncio.create_task(finish(url, line)) for url, line in exchanges]
    # stop once some exchanges are on their way
    await _until(lambda: _count(stack, "ship") >= 3, 120, "three shipments")
    server.stop()
    completed_at_stop = _count(stack, "complete")
    assert completed_at_stop < EXCHANGES, "the server must stop in the middle"
    await _until(lambda: bool(refused), 120, "a step refused while Temporal is away")
    await server.start()
    await asyncio.wait_for(asyncio.gather(*running), timeout=STEP_WITHIN * 2)
    for url, _line in exchanges:
        body = (await http.get(url, headers=staff)).json()
        assert body["state"] == "completed", body["history"]
