"""Benchmark: partners selecting concurrently from one offer list, beside a bare endpoint.

    python -m bench.offer_lists [--partners 50] [--items 5000] [--copies 2] [--rounds 40]
                                [--pick 3] [--hot 300] [--database sqlite|postgresql]

Starts the service as its own processes (``bench.processes``: a file-backed Temporal dev
server, ``exchange worker``, ``exchange api``), registers N partners with agreements and keys,
puts ``--items`` publications into the exchange fund (rows inserted directly: the fixture, not
the measurement) and makes one offer list of all of them, ``--copies`` copies each, addressed
to every partner, through ``POST /api/v1/offer-lists`` and ``/publish``.

Then every partner, each its own HTTP client and all at once, sets its selection ``--rounds``
times with ``POST /api/v1/offer-lists/{id}/selection``: each time ``--pick`` items drawn from
the ``--hot`` most wanted ones (so that partners race for the same copies), one copy each, in
place of its previous selection. A 409 (the copies went to someone else first) is an answer,
counted apart; any other non-2xx answer fails the run. The same clients then post the same
bodies, as often, to a bare FastAPI endpoint served the same way (``bench.api``'s bare app
gets a POST route here): the limit of this machine and this client, in the same run.

Afterwards the database is checked: no item has more copies taken than it has, every item's
``copies_taken`` equals the copies its selections hold, and every fund item's reserved copies
equal the copies picked from it (nothing selected twice, nothing lost).

Beside rates and latencies the table gives each server's CPU time per request (its process
and worker processes, read from ``/proc``): on a shared machine the rates move with whatever
else runs, the CPU a selection costs much less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from bench.api import STAFF, register
from bench.processes import HOST, free_port, running_service, spawn, wait_port
from services.exchange.cli.server import run, tuned, worker_count
from services.exchange.settings import Settings

PG_ADMIN = os.environ.get("EXCHANGE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

bare_app = FastAPI(title="bare")


@bare_app.post("/bare/selection")
async def bare_selection(body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("items", [])
    return {"state": "open", "items": items, "copies": len(items)}


def tuned_bare_app() -> ASGIApp:
    return tuned(bare_app, Settings().api_threads)


def serve_bare(port: int) -> None:
    workers = worker_count(Settings())
    sys.exit(
        run("bench.offer_lists:tuned_bare_app", host=HOST, port=port, workers=workers, factory=True)
    )


def tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) of a process and its descendants, from ``/proc``: what
    the server spent, whatever else this machine is doing at the same time."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    label: str
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # the server's CPU seconds during the load

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def seed_fund(database_url: str, items: int, copies: int) -> list[int]:
    """Fund items with ``copies`` copies free for exchange each (one more kept by law)."""
    from services.exchange.models import FundItem
    from services.exchange.storage.db import make_engine, session_scope

    engine = make_engine(database_url)
    ids: list[int] = []
    try:
        with session_scope(engine) as session:
            rows = [
                FundItem(
                    title=f"Laporan tahunan nomor {n}",
                    author=f"Penulis {n % 97}",
                    publisher="Perpustakaan Nasional",
                    year=1990 + n % 35,
                    copies_received=copies + 1,
                    copies_retained=1,
                )
                for n in range(items)
            ]
            session.add_all(rows)
            session.flush()
            ids = [row.id for row in rows if row.id is not None]
    finally:
        engine.dispose()
    return ids


def check(database_url: str, list_id: str) -> tuple[int, int, list[str]]:
    """(copies taken, items taken out, problems): the invariants the run must keep."""
    from sqlalchemy import text

    from services.exchange.storage.db import make_engine

    engine = make_engine(database_url)
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT i.id, i.copies, i.copies_taken, i.fund_item_id, "
                    "COALESCE((SELECT SUM(p.copies) FROM offer_pick p JOIN offer_selection s "
                    "ON s.id = p.selection_id WHERE p.item_id = i.id "
                    "AND s.state IN ('open', 'submitted')), 0), "
                    "f.copies_reserved + f.copies_shipped "
                    "FROM offer_item i JOIN fund_item f ON f.id = i.fund_item_id "
                    "WHERE i.list_id = :l"
                ),
                {"l": list_id},
            ).all()
    finally:
        engine.dispose()
    taken = items_out = 0
    for item_id, copies, copies_taken, _fund_id, picked, fund_held in rows:
        taken += copies_taken
        items_out += copies_taken == copies
        if copies_taken > copies:
            problems.append(f"item {item_id}: {copies_taken} of {copies} copies taken")
        if copies_taken != picked:
            problems.append(f"item {item_id}: copies_taken {copies_taken}, picks hold {picked}")
        if fund_held != picked:
            problems.append(f"item {item_id}: the fund holds {fund_held}, picks hold {picked}")
    return taken, items_out, problems


async def select_all(
    base_url: str,
    path: str,
    keys: list[str],
    item_ids: list[int],
    args: argparse.Namespace,
    label: str,
    server_pid: int,
) -> Load:
    """Every partner its own client, all at once, ``rounds`` selections each."""
    load = Load(label)
    rng = random.Random(args.seed)
    hot = item_ids[: args.hot]
    bodies = [
        [
            {"items": [{"item_id": i, "copies": 1} for i in rng.sample(hot, args.pick)]}
            for _ in range(args.rounds)
        ]
        for _ in keys
    ]

    async def partner(key: str, plan: list[dict[str, Any]]) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            for body in plan:
                started = time.perf_counter()
                r = await http.post(path, json=body, headers=headers)
                load.latencies.append(time.perf_counter() - started)
                if r.status_code == 409:
                    load.refused += 1
                elif r.status_code >= 300:
                    raise SystemExit(f"{label}: {r.status_code} {r.text[:300]}")

    cpu = tree_cpu(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(partner(k, b) for k, b in zip(keys, bodies, strict=True)))
    load.seconds = time.perf_counter() - started
    load.cpu = tree_cpu(server_pid) - cpu
    return load


def fresh_postgres() -> tuple[str, str]:
    import psycopg

    name = f"bench_ol_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-offer-lists-"))
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
    bare_port = free_port()
    with running_service(tmp, database_url, "bench-offer-lists") as service:
        bare_proc = spawn(
            [sys.executable, "-m", "bench.offer_lists", "--serve-bare", str(bare_port)],
            service.env,
            tmp / "bare.log",
        )
        service.procs.append(bare_proc)
        wait_port(bare_port, bare_proc, "the bare app")
        async with httpx.AsyncClient(base_url=service.api_url, timeout=300) as http:
            suffix = uuid.uuid4().hex[:4].upper()
            codes = [f"P{n}{suffix}" for n in range(args.partners)]
            keys = [await register(http, code) for code in codes]
            fund_ids = await asyncio.to_thread(seed_fund, database_url, args.items, args.copies)
            body = {
                "title": "Bench duplicates",
                "closes_on": (date.today() + timedelta(days=30)).isoformat(),
                "partners": codes,
                "items": [{"fund_item_id": i, "copies": args.copies} for i in fund_ids],
            }
            started = time.perf_counter()
            r = await http.post("/api/v1/offer-lists", json=body, headers=STAFF)
            r.raise_for_status()
            list_id = r.json()["id"]
            created_in = time.perf_counter() - started
            r = await http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=STAFF)
            r.raise_for_status()
            published_in = time.perf_counter() - started - created_in
            r = await http.get(f"/api/v1/offer-lists/{list_id}", headers=STAFF)
            r.raise_for_status()
            item_ids = [item["id"] for item in r.json()["item_list"]]
        random.Random(args.seed).shuffle(item_ids)
        path = f"/api/v1/offer-lists/{list_id}/selection"
        api_proc = next(p for p in service.procs if p.args[-1] == "api")  # type: ignore[index]
        label = "POST /api/v1/offer-lists/{id}/selection"
        load_before = os.getloadavg()[0]
        api = await select_all(service.api_url, path, keys, item_ids, args, label, api_proc.pid)
        bare = await select_all(
            f"http://{HOST}:{bare_port}",
            "/bare/selection",
            keys,
            item_ids,
            args,
            "bare",
            bare_proc.pid,
        )
        for proc in service.procs:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
    taken, items_out, problems = check(database_url, list_id)
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"\n{backend}: one list of {args.items} items x {args.copies} copies (created in "
        f"{created_in:.1f} s, published in {published_in:.1f} s) addressed to "
        f"{args.partners} partners; each partner {args.rounds} selections of {args.pick} items "
        f"drawn from the {args.hot} most wanted, all partners at once; {os.cpu_count()} CPUs, "
        f"{worker_count(Settings())} API worker process(es); load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the machine "
        "slows both endpoints; the servers' CPU per request, from /proc, much less).\n"
    )
    print(
        "| endpoint | selections | per second | p50 ms | p99 ms | refused (409) | rate / bare "
        "| server CPU ms / selection |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for load in (api, bare):
        print(
            f"| {load.label} | {len(load.latencies)} | {load.rate:.0f} | {load.pct(0.5):.1f} "
            f"| {load.pct(0.99):.1f} | {load.refused} | {load.rate / bare.rate:.2f} "
            f"| {load.cpu_ms:.2f} |"
        )
    print(
        f"\nafterwards: {taken} copies held by selections, {items_out} items fully taken, "
        f"{len(problems)} problems (copies taken twice, or counters that disagree)"
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    print(f"target: p99 under 200 ms; median latency {statistics.median(api.latencies) * 1000:.1f}")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--pick", type=int, default=3)
    parser.add_argument("--hot", type=int, default=300)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--serve-bare", metavar="PORT", type=int, default=None, help="(internal)")
    parsed = parser.parse_args()
    if parsed.serve_bare:
        serve_bare(parsed.serve_bare)
    else:
        asyncio.run(main(parsed))
