"""Benchmark: a year of standing serial exchanges on the dev server, beside bare baselines.

    python -m bench.serials [--titles 2000] [--partners 20] [--check-ins 4000]
                            [--concurrency 16] [--sample 10] [--database sqlite|postgresql]

Starts the service as its own processes (``bench.processes``: a file-backed Temporal dev
server, ``exchange worker``, ``exchange api``) and registers ``--partners`` partners with
agreements, then measures what issue 16 asks:

1. *Setting up a year*: ``--titles`` monthly incoming titles (12 issues a year) registered for
   next year through ``POST /api/v1/partners/{code}/serials``, ``--concurrency`` at a time; each
   starts its title's run, which writes the year's predicted issues (``prepare_serial_year``)
   and goes to sleep on one durable timer. Timed from the first POST until every run's
   history shows its timer started. Next year, so that no claim and no review is due during
   the run (today's year would be all catch-up claims). Beside it, in the same run and the
   same way, bare workflows (``bench.serial_bare``, a worker process of their own) that only
   start and sleep on a timer, and ones that run one no-op activity first, started straight
   through the Temporal client: the dev server's own limit.
2. *Timers held and history size*: every title's history read back from the server: timers
   started and not fired or cancelled, events, workflow tasks.
3. *Check-in rate*: ``--check-ins`` check-ins through ``POST /api/v1/serials/check-in`` (ISSN,
   number, year: as scanned), issue 1 of every title, then issue 2, and so on, ``--concurrency``
   at a time (a receipt does not wake the run: ``serial_runs.NO_WAKE``); latencies p50/p99,
   beside a bare FastAPI POST endpoint served the same way and loaded by the same client with
   the same bodies. Then
   the time until every run is asleep again, and the histories once more: events per check-in.
4. *A whole title-year*: ``--sample`` of the titles played through the next year on the
   time-skipping test server with the real worker and activities (``bench.serial_year``),
   half with every further issue late (claimed twice each), half with each issue received on
   its day; their histories at the year's end.
5. *A claim day* (``bench.serial_claim_day``; ``--no-claim-day`` skips it): every run's clock
   set so that one claim midnight wakes them all at once, as predicted days do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.types import ASGIApp
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.api import STAFF, register
from bench.offer_lists import drop_postgres, fresh_postgres
from bench.processes import HOST, free_port, running_service, spawn, wait_port
from bench.serial_bare import TASK_QUEUE, BareSleepWorkflow, bare_worker
from bench.serial_claim_day import claim_day
from bench.serial_report import Histories, Load, report
from bench.serial_year import YearHistory, play_year
from services.exchange.cli.server import run, tuned, worker_count
from services.exchange.settings import Settings
from workflows.serial.types import serial_workflow_id

ISSUES_PER_YEAR = 12
# The last event of a run that sleeps on its timer.
IDLE_LAST = (EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
# A delivery workflow a run started has ended (or never started) once one of these is in.
CHILD_ENDS = (
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
)
bare_app = FastAPI(title="bare")


@bare_app.post("/bare/check-in")
async def bare_check_in(body: dict[str, Any]) -> dict[str, Any]:
    return {"issn": body.get("issn"), "numbers": body.get("numbers"), "state": "received"}


def tuned_bare_app() -> ASGIApp:
    return tuned(bare_app, Settings().api_threads)


def serve_bare(port: int) -> None:
    sys.exit(
        run(
            "bench.serials:tuned_bare_app",
            host=HOST,
            port=port,
            workers=worker_count(Settings()),
            factory=True,
        )
    )


def issn(n: int) -> str:
    """A valid ISSN (check digit included) for every n below 10 million."""
    digits = f"{n:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


async def bounded(
    jobs: list[Any],
    concurrency: int,
    job: Callable[[Any], Awaitable[None]],
    procs: list[subprocess.Popen[bytes]],
) -> float:
    """Run ``job`` on every item, ``concurrency`` at a time; stop if a child process dies."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in jobs:
        queue.put_nowait(item)

    async def runner() -> None:
        while not queue.empty():
            await job(queue.get_nowait())

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


async def asleep(client: Client, workflow_id: str) -> tuple[int, int, int, int] | None:
    """(open timers, events, workflow tasks, signals) once the run sleeps on a timer with
    nothing in flight, else None."""
    events = list((await client.get_workflow_handle(workflow_id).fetch_history()).events)
    kinds = [e.event_type for e in events]
    timers = (
        kinds.count(EventType.EVENT_TYPE_TIMER_STARTED)
        - kinds.count(EventType.EVENT_TYPE_TIMER_FIRED)
        - kinds.count(EventType.EVENT_TYPE_TIMER_CANCELED)
    )
    children_done = sum(kinds.count(k) for k in CHILD_ENDS)
    idle = (
        kinds[-1]
        in (EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        and kinds.count(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
        == children_done
    )
    if timers < 1 or not idle:
        return None
    return (
        timers,
        len(kinds),
        kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    )


async def wait_asleep(
    client: Client, workflow_ids: list[str], concurrency: int, procs: list[subprocess.Popen[bytes]]
) -> Histories:
    """Wait until every run sleeps on its timer (read each history until it does)."""
    found: dict[str, tuple[int, int, int, int]] = {}

    async def one(workflow_id: str) -> None:
        deadline = time.monotonic() + 600
        while (seen := await asleep(client, workflow_id)) is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"{workflow_id} did not go to sleep within 600 s")
            await asyncio.sleep(0.2)
        found[workflow_id] = seen

    await bounded(workflow_ids, concurrency, one, procs)
    out = Histories()
    for workflow_id in workflow_ids:
        timers, events, tasks, signals = found[workflow_id]
        out.timers.append(timers)
        out.events.append(events)
        out.tasks.append(tasks)
        out.signals.append(signals)
    return out


async def bare_setup(
    client: Client, count: int, activities: int, concurrency: int, procs: list[Any]
) -> tuple[float, Histories]:
    ids = [f"bare-{activities}-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    started = time.perf_counter()

    async def start(workflow_id: str) -> None:
        await client.start_workflow(
            BareSleepWorkflow.run, activities, id=workflow_id, task_queue=TASK_QUEUE
        )

    await bounded(ids, concurrency, start, procs)
    histories = await wait_asleep(client, ids, concurrency, procs)
    return time.perf_counter() - started, histories


async def load(
    base_url: str, path: str, bodies: list[dict[str, Any]], concurrency: int, label: str
) -> Load:
    out = Load(label)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:

        async def one(body: dict[str, Any]) -> None:
            began = time.perf_counter()
            r = await http.post(path, json=body, headers=STAFF)
            out.latencies.append(time.perf_counter() - began)
            if r.status_code >= 300:
                raise SystemExit(f"{label}: {r.status_code} {r.text[:300]}")

        out.seconds = await bounded(bodies, concurrency, one, [])
    return out


def issue_count(database_url: str) -> int:
    from services.exchange.serial_models import SerialIssue
    from services.exchange.storage.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(SerialIssue)).scalar_one())
    finally:
        engine.dispose()


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-serials-"))
    pg_name = None
    if args.database == "postgresql":
        pg_name, database_url = fresh_postgres()
    else:
        database_url = f"sqlite:///{tmp / 'exchange.db'}"
    try:
        await measure(args, tmp, database_url)
    finally:
        if pg_name:
            drop_postgres(pg_name)


async def measure(args: argparse.Namespace, tmp: Path, database_url: str) -> None:
    year = date.today().year + 1
    rows: list[tuple[str, int, float, str]] = []
    with running_service(tmp, database_url, "bench-serials") as service:
        procs = service.procs
        bare_port = free_port()
        bare_proc = spawn(
            [sys.executable, "-m", "bench.serials", "--serve-bare", str(bare_port)],
            service.env,
            tmp / "bare.log",
        )
        procs.append(bare_proc)
        procs.append(
            spawn(
                [sys.executable, "-m", "bench.serials", "--bare-worker", service.temporal_address],
                service.env,
                tmp / "bare-worker.log",
            )
        )
        wait_port(bare_port, bare_proc, "the bare app")
        client = await Client.connect(service.temporal_address)
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=service.api_url, timeout=120, limits=limits) as http:
            suffix = uuid.uuid4().hex[:4].upper()
            codes = [f"S{n}{suffix}" for n in range(args.partners)]
            for code in codes:
                await register(http, code)
            titles: list[tuple[int, str, str]] = []  # (id, ISSN, partner)

            async def create(n: int) -> None:
                code = codes[n % len(codes)]
                body = {
                    "issn": issn(1_000_000 + n),
                    "title": f"Vestnik nomor {n}",
                    "direction": "incoming",
                    "frequency": {"issues_per_year": ISSUES_PER_YEAR},
                    "numbering": {"volume_start": 1, "restart_yearly": True},
                    "copies": 1 + n % 2,
                    "first_year": year,
                    "claim_after_days": 60,
                }
                for _attempt in range(10):
                    r = await http.post(
                        f"/api/v1/partners/{code}/serials", json=body, headers=STAFF
                    )
                    if r.status_code != 503:  # Temporal did not answer: taken back, try again
                        break
                    refused.append(n)
                    await asyncio.sleep(1)
                if r.status_code != 201:
                    raise SystemExit(f"register a title: {r.status_code} {r.text[:300]}")
                titles.append((r.json()["id"], r.json()["issn"], code))

            # One title first, not timed: the worker is polling and warm before the clock runs.
            refused: list[int] = []
            await create(args.titles)
            await wait_asleep(client, [serial_workflow_id(titles[0][0])], 1, procs)
            titles.clear()
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            posted = await bounded(list(range(args.titles)), args.concurrency, create, procs)
            ids = [serial_workflow_id(t[0]) for t in titles]
            setup = await wait_asleep(client, ids, args.concurrency, procs)
            setup_seconds = time.perf_counter() - started
        issues = await asyncio.to_thread(issue_count, database_url) - ISSUES_PER_YEAR
        rows.append(
            (
                "titles registered through the API, runs asleep",
                args.titles,
                setup_seconds,
                f"{posted:.1f} s for the POSTs ({len(refused)} answered 503 and were sent again); "
                f"{issues} issues written",
            )
        )
        bare0_seconds, bare0 = await bare_setup(client, args.titles, 0, args.concurrency, procs)
        rows.append(("bare workflows: start, sleep on a timer", args.titles, bare0_seconds, ""))
        bare1_seconds, bare1 = await bare_setup(client, args.titles, 1, args.concurrency, procs)
        rows.append(
            ("bare workflows: start, 1 no-op activity, timer", args.titles, bare1_seconds, "")
        )

        by_number = [
            {"issn": t[1], "numbers": str(number), "year": year, "partner": t[2]}
            for number in range(1, ISSUES_PER_YEAR + 1)
            for t in sorted(titles)
        ][: args.check_ins]
        label = "POST /api/v1/serials/check-in"
        ours = await load(
            service.api_url, "/api/v1/serials/check-in", by_number, args.concurrency, label
        )
        settle_started = time.perf_counter()
        after = await wait_asleep(client, ids, args.concurrency, procs)
        settled = time.perf_counter() - settle_started
        bare = await load(
            f"http://{HOST}:{bare_port}",
            "/bare/check-in",
            by_number,
            args.concurrency,
            "bare FastAPI POST",
        )
        claims = None
        if args.claim_day:
            claims = await claim_day(
                client,
                database_url,
                [t[0] for t in titles],
                year,
                "bench-serials",
                args.concurrency,
                wait_asleep,
                procs,
            )
        load_after = os.getloadavg()[0]
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")

    sample = sorted(titles)[: args.sample]
    half = len(sample) // 2
    years: list[YearHistory] = []
    if sample:
        years = await play_year(
            database_url, [t[0] for t in sample[:half]], [t[0] for t in sample[half:]], year
        )
    report(
        args,
        database_url,
        year,
        load_before,
        load_after,
        rows,
        setup,
        bare0,
        bare1,
        ours,
        bare,
        after,
        settled,
        years,
        claims,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=2000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--check-ins", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument(
        "--no-claim-day", dest="claim_day", action="store_false", help="skip the claim day"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--serve-bare", metavar="PORT", type=int, default=None, help="(internal)")
    parser.add_argument("--bare-worker", metavar="ADDRESS", default=None, help="(internal)")
    parsed = parser.parse_args()
    if parsed.serve_bare:
        serve_bare(parsed.serve_bare)
    elif parsed.bare_worker:
        asyncio.run(bare_worker(parsed.bare_worker))
    else:
        asyncio.run(main(parsed))
