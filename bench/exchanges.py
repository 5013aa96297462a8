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
import os
import signal
import socket
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

ACTIVITIES_PER_EXCHANGE = 8  # record_step x5 (accept, ship, receive, complete) + notify x3
TOKEN = "bench-admin-token"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.1)
    raise SystemExit(f"{what} did not start")


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


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-exchanges-"))
    temporal_port, api_port = _free_port(), _free_port()
    address = f"127.0.0.1:{temporal_port}"
    database_url = args.database_url or f"sqlite:///{tmp / 'exchange.db'}"
    env = {
        **os.environ,
        "EXCHANGE_DATA_DIR": str(tmp),
        "EXCHANGE_DATABASE_URL": database_url,
        "EXCHANGE_TEMPORAL_ADDRESS": address,
        "EXCHANGE_ADMIN_TOKEN": TOKEN,
        "EXCHANGE_PORT": str(api_port),
        "EXCHANGE_TASK_QUEUE": "bench-exchange",
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        temporal = _spawn(
            [str(BIN / "temporal"), "server", "start-dev", "--headless", "--log-level", "error",
             "--db-filename", str(tmp / "temporal.db"), "--ip", "127.0.0.1",
             "--port", str(temporal_port)],
            env, tmp / "temporal.log",
        )  # fmt: skip
        procs.append(temporal)
        await _wait_port(temporal_port, temporal, "Temporal")
        migrate = await asyncio.create_subprocess_exec(str(BIN / "exchange"), "migrate", env=env)
        if await migrate.wait() != 0:
            raise SystemExit("exchange migrate failed")
        env["EXCHANGE_SKIP_MIGRATIONS"] = "1"
        procs.append(_spawn([str(BIN / "exchange"), "worker"], env, tmp / "worker.log"))
        api = _spawn([str(BIN / "exchange"), "api"], env, tmp / "api.log")
        procs.append(api)
        await _wait_port(api_port, api, "the API")

        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}", timeout=120, limits=limits
        ) as http:
            staff = {"Authorization": f"Bearer {TOKEN}"}
            code = f"B{uuid.uuid4().hex[:6].upper()}"
            r = await http.post(
                "/api/v1/partners",
                json={"code": code, "name": "Bench", "country": "BY", "marc_format": "marc21"},
                headers=staff,
            )
            key = {"Authorization": f"Bearer {r.json()['api_key']}"}
            await http.post(
                f"/api/v1/partners/{code}/agreements",
                json={"signed_on": "2024-01-01", "valid_from": "2024-01-01",
                      "valid_to": "2035-12-31", "programmes": ["material_exchange"]},
                headers=staff,
            )  # fmt: skip
            warmup = min(20, args.exchanges)
            await _bounded(warmup, args.concurrency, lambda: _exchange(http, code, key), procs)
            ours = await _bounded(
                args.exchanges, args.concurrency, lambda: _exchange(http, code, key), procs
            )
            r = await http.get(
                "/api/v1/exchanges", params={"partner": code, "state": "completed", "limit": 1},
                headers=staff,
            )  # fmt: skip
            completed = r.json()["total"] - warmup

        # The bare workflows get a worker process of their own, as the exchanges do.
        client = await Client.connect(address)
        bare_worker = _spawn(
            [sys.executable, "-m", "bench.exchanges", "--bare-worker", address],
            env, tmp / "bare-worker.log",
        )  # fmt: skip
        procs.append(bare_worker)

        async def bare() -> None:
            await client.execute_workflow(
                BareWorkflow.run, ACTIVITIES_PER_EXCHANGE, id=f"bare-{uuid.uuid4()}",
                task_queue="bench-bare",
            )  # fmt: skip

        await _bounded(min(20, args.exchanges), args.concurrency, bare, procs)
        bare_seconds = await _bounded(args.exchanges, args.concurrency, bare, procs)
    finally:
        for proc in reversed(procs):
            _stop(proc)

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
            client, task_queue="bench-bare", workflows=[BareWorkflow], activities=[bare_step],
            activity_executor=executor, max_concurrent_activities=8,
        ):  # fmt: skip
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
