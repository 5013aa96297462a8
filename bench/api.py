"""Benchmark: the partner read endpoints against a bare FastAPI JSON endpoint.

    python -m bench.api [--seconds 20] [--clients 50] [--exchanges 3000] [--seed api|db]
                        [--workers N]

Starts a file-backed Temporal dev server, ``exchange migrate``, ``exchange worker`` and
``exchange api`` as their own processes (as ``bench.exchanges`` does), registers three partners
with agreements and fills the database with N exchanges spread over them. Then it loads, one
after the other and each for the same fixed time with the same number of concurrent
connections, the benchmarked partner's

- ``GET /api/v1/exchanges`` (its list, default page of 100), and
- ``GET /api/v1/exchanges/{id}`` (detail of one of its own exchanges, picked at random),

as ``exchange api`` serves them by default, with its read cache (answers kept until the
database changes, which it does not during the run); the same two on a second ``exchange api``
over the same database with the cache off (``EXCHANGE_READ_CACHE_MB=0``: every request reads
the database and writes the JSON anew); and a bare FastAPI app with one GET route returning a
small JSON dict, served the same way (``services.exchange.cli.server.run``: uvicorn on 127.0.0.1
with as many worker processes as ``exchange api`` runs, ``EXCHANGE_API_WORKERS``, by default
one per CPU, and the same process tuning; ``--workers`` sets the number for all three). It
prints a Markdown table (requests, req/s, p50, p99) and each endpoint's rate as a fraction of
the bare one.

The load comes from ``wrk`` (Debian: ``apt-get install -y wrk``), a C client that is not the
bottleneck on a small machine; a Lua script sets the partner's key and picks the paths, and
every non-2xx answer counts as an error (the run fails if there is any).

Seeding: ``--seed api`` (default) creates the exchanges with ``POST /api/v1/exchanges`` (the
partners' and our proposals; each starts its workflow), 32 at a time. ``--seed db`` inserts
the same projection rows (exchange, lines, its first history event) straight into the
database: a fair fixture for read endpoints, which only read the database, and much faster.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from bench.processes import BIN, HOST, TOKEN, free_port, running_service, spawn, wait_port
from services.exchange.cli.server import run, tuned, worker_count
from services.exchange.settings import Settings

STAFF = {"Authorization": f"Bearer {TOKEN}"}
SEED_CONCURRENCY = 32
PARTNERS = 3
AGREEMENT = {
    "signed_on": "2024-01-01",
    "valid_from": "2024-01-01",
    "valid_to": "2035-12-31",
    "programmes": ["material_exchange"],
    "response_days": 60,
    "receipt_days": 60,
}

# --- the bare endpoint ----------------------------------------------------------------------

bare_app = FastAPI(title="bare")


@bare_app.get("/bare")
async def bare() -> dict[str, Any]:
    return {"status": "ok", "items": [1, 2, 3], "name": "bare"}


def tuned_bare_app() -> ASGIApp:
    """The bare app in a worker process, with the tuning ``exchange api`` gives its own."""
    return tuned(bare_app, Settings().api_threads)


def serve_bare(port: int) -> None:
    """Served as ``exchange api`` serves the real app: the same uvicorn, workers and tuning."""
    workers = worker_count(Settings())
    sys.exit(run("bench.api:tuned_bare_app", host=HOST, port=port, workers=workers, factory=True))


# --- wrk ------------------------------------------------------------------------------------

LUA = """
wrk.headers["Authorization"] = "Bearer %(key)s"
local paths = {%(paths)s}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Result:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "bench.api needs wrk, the HTTP load generator: install it with "
            "`apt-get install -y wrk` (Debian/Ubuntu, as root) and run again"
        )
    return path


def run_wrk(
    wrk: str,
    label: str,
    port: int,
    key: str,
    paths: list[str],
    args: argparse.Namespace,
    tmp: Path,
    seconds: float,
) -> Result:
    script = tmp / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    listed = ", ".join(f'"{p}"' for p in paths)
    script.write_text(LUA % {"key": key, "paths": listed})
    command = [
        wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.clients}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{paths[0]}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.MULTILINE)
    if match is None:
        raise SystemExit(f"unexpected wrk output:\n{out}")
    requests, duration_us, p50_us, p99_us, errors = (int(g) for g in match.groups())
    return Result(label, requests, duration_us / 1e6, p50_us / 1000, p99_us / 1000, errors)


# --- seeding --------------------------------------------------------------------------------


async def register(http: httpx.AsyncClient, code: str) -> str:
    body = {"code": code, "name": f"Bench {code}", "country": "BY", "marc_format": "marc21"}
    r = await http.post("/api/v1/partners", json=body, headers=STAFF)
    r.raise_for_status()
    key: str = r.json()["api_key"]
    r = await http.post(f"/api/v1/partners/{code}/agreements", json=AGREEMENT, headers=STAFF)
    r.raise_for_status()
    return key


def _isbn13(first_twelve: str) -> str:
    """With its check digit: the API refuses an ISBN whose check digit is wrong."""
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(first_twelve))
    return first_twelve + str(-total % 10)


def proposal_lines(n: int) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Buku nomor {n}-{i}",
            "isbn": _isbn13(f"978602{n % 10000:04d}{i:02d}"),
            "quantity": i,
        }
        for i in range(1, 1 + n % 3 + 1)
    ]


async def seed_api(http: httpx.AsyncClient, partners: list[tuple[str, str]], count: int) -> None:
    """Proposals through the API, half by the partners and half by us, 32 at a time."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def runner() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            code, key = partners[n % len(partners)]
            if n % 2:
                body: dict[str, Any] = {"lines": proposal_lines(n)}
                headers = {"Authorization": f"Bearer {key}"}
            else:
                body = {"partner": code, "lines": proposal_lines(n)}
                headers = STAFF
            r = await http.post("/api/v1/exchanges", json=body, headers=headers)
            r.raise_for_status()

    await asyncio.gather(*(runner() for _ in range(SEED_CONCURRENCY)))


def seed_db(database_url: str, codes: list[str], count: int) -> None:
    """The projection rows a proposal writes, inserted directly (no workflows behind them)."""
    from sqlmodel import Session, col, select

    from services.exchange.models import Exchange, ExchangeEvent, ExchangeLine, Partner
    from services.exchange.service import numbering
    from services.exchange.storage.db import make_engine

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(Partner).where(col(Partner.code).in_(codes)))
            ids = {p.code: p.id for p in rows}
            start = datetime.now(UTC) - timedelta(days=count // 100 + 1)
            for n in range(count):
                code = codes[n % len(codes)]
                at = start + timedelta(minutes=n)
                exchange_id = str(uuid.uuid4())
                partner_id = ids[code]
                assert partner_id is not None
                outgoing = n % 2 == 0
                session.add(
                    Exchange(
                        id=exchange_id,
                        partner_id=partner_id,
                        direction="outgoing" if outgoing else "incoming",
                        state="proposed",
                        respond_by=date.today() + timedelta(days=60),
                        receipt_days=60,
                        created_by="staff:bench" if outgoing else code,
                        number=numbering.next_exchange_number(session, at.year),
                        created_at=at,
                        updated_at=at,
                    )
                )
                for position, line in enumerate(proposal_lines(n), start=1):
                    session.add(
                        ExchangeLine(
                            id=str(uuid.uuid4()),
                            exchange_id=exchange_id,
                            position=position,
                            **line,
                        )
                    )
                session.add(
                    ExchangeEvent(
                        exchange_id=exchange_id,
                        seq=1,
                        at=at,
                        actor="staff:bench" if outgoing else code,
                        step="propose",
                        state="proposed",
                        note=None,
                    )
                )
                if n % 500 == 499:
                    session.commit()
            session.commit()
        if engine.dialect.name == "postgresql":
            # What autovacuum would do a minute after a bulk load anyway, done before the
            # measurement instead of during it (its ANALYZE is a write: it empties the caches).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


# --- the run --------------------------------------------------------------------------------


async def own_exchange_paths(http: httpx.AsyncClient, key: str) -> tuple[int, list[str]]:
    headers = {"Authorization": f"Bearer {key}"}
    ids: list[str] = []
    total = 0
    while True:
        params = {"limit": 500, "offset": len(ids)}
        r = await http.get("/api/v1/exchanges", params=params, headers=headers)
        r.raise_for_status()
        page = r.json()
        total = page["total"]
        ids.extend(item["id"] for item in page["items"])
        if not page["items"] or len(ids) >= total:
            return total, [f"/api/v1/exchanges/{i}" for i in ids]


async def main(args: argparse.Namespace) -> None:
    wrk = wrk_path()
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    bare_port = free_port()
    database_url = args.database_url or f"sqlite:///{tmp / 'exchange.db'}"
    results: list[Result] = []
    extra = {"EXCHANGE_API_WORKERS": str(args.workers)} if args.workers else {}
    with running_service(tmp, database_url, "bench-api", **extra) as service:
        procs = service.procs
        api_port = int(service.api_url.rsplit(":", 1)[1])
        bare_proc = spawn(
            [sys.executable, "-m", "bench.api", "--serve-bare", str(bare_port)],
            service.env,
            tmp / "bare.log",
        )
        procs.append(bare_proc)
        wait_port(bare_port, bare_proc, "the bare app")
        uncached_port = free_port()
        uncached_env = {
            **service.env,
            "EXCHANGE_PORT": str(uncached_port),
            "EXCHANGE_READ_CACHE_MB": "0",
        }
        uncached_proc = spawn([str(BIN / "exchange"), "api"], uncached_env, tmp / "uncached.log")
        procs.append(uncached_proc)
        wait_port(uncached_port, uncached_proc, "the API without its read cache")

        limits = httpx.Limits(max_connections=SEED_CONCURRENCY)
        async with httpx.AsyncClient(
            base_url=f"http://{HOST}:{api_port}", timeout=120, limits=limits
        ) as http:
            suffix = uuid.uuid4().hex[:5].upper()
            codes = [f"B{n}{suffix}" for n in range(PARTNERS)]
            keys = [await register(http, code) for code in codes]
            started = time.perf_counter()
            if args.seed == "api":
                await seed_api(http, list(zip(codes, keys, strict=True)), args.exchanges)
                how = f"through POST /api/v1/exchanges, {SEED_CONCURRENCY} at a time"
            else:
                await asyncio.to_thread(seed_db, database_url, codes, args.exchanges)
                how = "as projection rows inserted directly into the database"
            seeded_in = time.perf_counter() - started
            key = keys[0]
            own, detail_paths = await own_exchange_paths(http, key)
            r = await http.get(detail_paths[0], headers={"Authorization": f"Bearer {key}"})
            r.raise_for_status()

        list_label = "GET /api/v1/exchanges (list, 100 per page)"
        detail_label = "GET /api/v1/exchanges/{id} (detail)"
        loads = [
            (list_label, api_port, ["/api/v1/exchanges"]),
            (detail_label, api_port, detail_paths),
            (f"{list_label}, read cache off", uncached_port, ["/api/v1/exchanges"]),
            (f"{detail_label}, read cache off", uncached_port, detail_paths),
            ("GET /bare (bare FastAPI JSON)", bare_port, ["/bare"]),
        ]
        for label, port, paths in loads:
            run_wrk(wrk, label, port, key, paths, args, tmp, min(3.0, args.seconds))  # warm-up
            result = run_wrk(wrk, label, port, key, paths, args, tmp, args.seconds)
            if result.errors:
                raise SystemExit(f"{label}: {result.errors} errors or non-2xx answers")
            results.append(result)
            for proc in procs:
                if proc.poll() is not None:
                    raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")

    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    workers = worker_count(Settings(api_workers=args.workers) if args.workers else Settings())
    print(
        f"\n{args.exchanges} exchanges in the database ({backend}), seeded {how} in "
        f"{seeded_in:.0f} s; the benchmarked partner has {own} of them.\n"
        f"{args.clients} concurrent connections for {args.seconds:g} s per endpoint "
        f"(wrk, {args.wrk_threads} threads), {workers} uvicorn worker process(es) each, "
        f"{HOST}, {os.cpu_count()} CPUs.\n"
    )
    bare_rate = results[-1].rate
    print("| endpoint | requests | req/s | p50 ms | p99 ms | rate / bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for res in results:
        print(
            f"| {res.label} | {res.requests} | {res.rate:.0f} | {res.p50_ms:.1f} "
            f"| {res.p99_ms:.1f} | {res.rate / bare_rate:.2f} |"
        )
    print("\ntargets: p99 under 50 ms, at least 0.3 of the bare endpoint's rate")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--exchanges", type=int, default=3000)
    parser.add_argument("--seed", choices=["api", "db"], default="api")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--workers", type=int, default=0, help="EXCHANGE_API_WORKERS for the API and the bare app"
    )
    parser.add_argument(
        "--serve-bare", metavar="PORT", type=int, default=None, help=argparse.SUPPRESS
    )
    parsed = parser.parse_args()
    if parsed.serve_bare:
        serve_bare(parsed.serve_bare)
    else:
        asyncio.run(main(parsed))
