"""Benchmark: complete exchanges through the HTTP API against bare Temporal workflows.

    python -m bench.exchanges [--exchanges 500] [--concurrency 32] [--database-url URL]

Starts a file-backed Temporal dev server, ``exchange api`` and ``exchange worker`` as their own
processes, and drives N outgoing exchanges (propose, accept, ship, receive: four HTTP calls,
four workflow updates, eight activities each) to completion. In the same run it starts N bare
workflows that each run the same number of no-op activities, served by a worker process of
their own, and prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BareWorkflow, bare_step
from bench.processes import TOKEN, running_service, spawn

ACTIVITIES_PER_EXCHANGE = 8  # record_step x5 (accept, ship, receive, complete) + notify x3


async def _exchange(http: httpx.AsyncClient, partner: str, key: dict[str, str]) -> None:
    staff = {"Authorization": f"Bearer {TOKEN}"}
    body = {"partner": partner, "lines": [{"title": "Buku", "quantity": 2}]}
    r = await http.post("/api/v1/exchanges", json=body, headers=staff)
    r.raise_for_status()
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    steps = [
        (f"{url}/decision", {"accept": [{"line_id": line, "quantity": 2}]}, key),
        (f"{url}/shipment", {"carrier": "EMS"}, staff),
        (f"{url}/receipt", {"lines": [{"line_id": line, "received": 2}]}, key),
    ]
    for path, payload, headers in steps:
        r = await http.post(path, json=payload, headers=headers)
        r.raise_for_status()
    if r.json()["state"] != "completed":
        raise RuntimeError(f"exchange {exchange['id']} ended {r.json()['state']}")


async def _bounded(
    count: int,
    concurrency: int,
    make: Callable[[], Awaitable[None]],
    procs: list[subprocess.Popen[bytes]],
) -> float:
    """Run ``count`` jobs, ``concurrency`` at a time; stop at once if a child process dies."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def runner() -> None:
        while not queue.empty():
            queue.get_nowait()
            await make()

    async def watchdog() -> None:
        while True:
            for proc in procs:
                if proc.poll() is not None:
                    raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
            await asyncio.sleep(0.5)

    started = time.perf_counter()
    guard = asyncio.create_task(watchdog())
    try:
        await asyncio.gather(*(runner() for _ in range(concurrency)))
    finally:
        guard.cancel()
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-exchanges-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'exchange.db'}"
    with running_service(tmp, database_url, "bench-exchange") as service:
        procs = service.procs
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=service.api_url, timeout=120, limits=limits) as http:
            staff = service.staff
            code = f"B{uuid.uuid4().hex[:6].upper()}"
            r = await http.post(
                "/api/v1/partners",
                json={"code": code, "name": "Bench", "country": "BY", "marc_format": "marc21"},
                headers=staff,
            )
            key = {"Authorization": f"Bearer {r.json()['api_key']}"}
            agreement = {
                "signed_on": "2024-01-01",
                "valid_from": "2024-01-01",
                "valid_to": "2035-12-31",
                "programmes": ["material_exchange"],
            }
            await http.post(f"/api/v1/partners/{code}/agreements", json=agreement, headers=staff)
            warmup = min(20, args.exchanges)
            await _bounded(warmup, args.concurrency, lambda: _exchange(http, code, key), procs)
            ours = await _bounded(
                args.exchanges, args.concurrency, lambda: _exchange(http, code, key), procs
            )
            r = await http.get(
                "/api/v1/exchanges",
                params={"partner": code, "state": "completed", "limit": 1},
                headers=staff,
            )
            completed = r.json()["total"] - warmup

        # The bare workflows get a worker process of their own, as the exchanges do.
        client = await Client.connect(service.temporal_address)
        procs.append(
            spawn(
                [
                    sys.executable,
                    "-m",
                    "bench.exchanges",
                    "--bare-worker",
                    service.temporal_address,
                ],
                service.env,
                tmp / "bare-worker.log",
            )
        )

        async def bare() -> None:
            await client.execute_workflow(
                BareWorkflow.run,
                ACTIVITIES_PER_EXCHANGE,
                id=f"bare-{uuid.uuid4()}",
                task_queue="bench-bare",
            )

        await _bounded(min(20, args.exchanges), args.concurrency, bare, procs)
        bare_seconds = await _bounded(args.exchanges, args.concurrency, bare, procs)

    n = args.exchanges
    ours_rate, bare_rate = n / ours, n / bare_seconds
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"\n{n} exchanges, concurrency {args.concurrency}, {backend}, file-backed dev server\n")
    rows = [
        (f"through the API (4 HTTP calls, 4 updates, {ACTIVITIES_PER_EXCHANGE} activities)", ours),
        (f"bare workflows ({ACTIVITIES_PER_EXCHANGE} no-op activities, no API)", bare_seconds),
    ]
    print("| run | exchanges | seconds | exchanges/s |")
    print("|---|---:|---:|---:|")
    for label, seconds in rows:
        print(f"| {label} | {n} | {seconds:.1f} | {n / seconds:.1f} |")
    print(f"\nratio (API / bare): {ours_rate / bare_rate:.2f}   completed: {completed}/{n}")


async def bare_worker(address: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue="bench-bare",
            workflows=[BareWorkflow],
            activities=[bare_step],
            activity_executor=executor,
            max_concurrent_activities=8,
        ):
            await stop.wait()
    await asyncio.sleep(0.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--bare-worker", metavar="ADDRESS", default=None, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.bare_worker:
        asyncio.run(bare_worker(parsed.bare_worker))
    else:
        asyncio.run(main(parsed))
