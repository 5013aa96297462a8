"""The Temporal dev server stops in the middle of running exchanges and starts again on the
same state file: every exchange goes on to its end, none lost and no step taken twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, func, select
from temporalio.client import Client

from services.exchange.models import ExchangeEvent, LedgerEntry
from tests.conftest import Stack, free_port, running_stack, temporal_cli
from tests.support import lines, register_partner

EXCHANGES = 16


class DevServer:
    def __init__(self, db_file: Path, port: int) -> None:
        self.db_file, self.port = db_file, port
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--headless",
                "--db-filename",
                str(self.db_file),
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                await Client.connect(f"127.0.0.1:{self.port}")
                return
            except RuntimeError:
                await asyncio.sleep(0.1)
        raise AssertionError("the Temporal dev server did not start")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


async def _until_taken(
    step: Callable[[], Awaitable[httpx.Response]], refused: list[int]
) -> dict[str, Any]:
    """Retry a step while Temporal is away; a 409 after a lost answer means it was taken."""
    for _ in range(600):
        r = await step()
        if r.status_code == 200:
            body: dict[str, Any] = r.json()
            return body
        if r.status_code == 409 and r.json()["type"] in (
            "/problems/invalid-transition",
            "/problems/exchange-closed",
        ):
            return {"state": "already"}
        assert r.status_code == 503, r.text
        refused.append(503)
        await asyncio.sleep(0.1)
    raise AssertionError("the step never went through")


async def test_exchanges_survive_a_temporal_restart(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "temporal.db", free_port())
    await server.start()
    client = await Client.connect(f"127.0.0.1:{server.port}")
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
        if server.proc and server.proc.poll() is None:
            server.stop()


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
            lambda: http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff), refused
        )
        await _until_taken(
            lambda: http.post(
                f"{url}/receipt", json={"lines": [{"line_id": line, "received": 1}]}, headers=key
            ),
            refused,
        )

    running = [asyncio.create_task(finish(url, line)) for url, line in exchanges]
    while _count(stack, "ship") < 3:  # stop once some exchanges are on their way
        await asyncio.sleep(0.01)
    server.stop()
    completed_at_stop = _count(stack, "complete")
    assert completed_at_stop < EXCHANGES, "the server must stop in the middle"
    await asyncio.sleep(1.0)
    await server.start()
    await asyncio.wait_for(asyncio.gather(*running), timeout=120)
    for url, _line in exchanges:
        body = (await http.get(url, headers=staff)).json()
        assert body["state"] == "completed", body["history"]
