"""Benchmark: importing generated MARC files end to end, on SQLite and on PostgreSQL.

    python -m bench.import [--sizes 10000 100000] [--databases sqlite postgresql]

For each database it starts a file-backed Temporal dev server, ``exchange worker`` and
``exchange api`` as their own processes, uploads each file through the API, waits until the
batch is staged, commits it (``POST .../commit``) and waits until it is committed. It prints
the seconds of each part and records per second end to end (upload to the last record in the
catalogue) and the worker's peak resident memory for each size, beside raw pymarc parse
speed measured on the same file in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pymarc
from pymarc import Field, Indicators, Leader, Record, Subfield

from bench.processes import running_service

PG_ADMIN = os.environ.get("EXCHANGE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Row:
    database: str
    records: int
    seconds: float  # stage + commit
    peak_mb: float
    stage_seconds: float = 0.0
    commit_seconds: float = 0.0


def generate(path: Path, count: int, seed: int) -> Path:
    """Records like a partner's shipment list: ISBN, system number, control number, title."""
    with path.open("wb") as out:
        for n in range(count):
            record = Record(force_utf8=True)
            record.leader = Leader("00000nam a2200000 a 4500")
            record.add_field(Field(tag="001", data=f"b{seed}-{n}"))
            record.add_field(Field(tag="003", data="ID-JaPN"))
            record.add_field(Field(tag="008", data="261121s2026    io a          000 0 ind d"))
            digits = f"978{(seed * 1_000_003 + n) % 10**9:09d}"
            check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
            record.add_field(
                Field(
                    tag="020",
                    indicators=Indicators(" ", " "),
                    subfields=[Subfield("a", digits + str(check))],
                )
            )
            record.add_field(
                Field(
                    tag="035",
                    indicators=Indicators(" ", " "),
                    subfields=[Subfield("a", f"(IDJN){seed}{n}")],
                )
            )
            record.add_field(
                Field(
                    tag="100",
                    indicators=Indicators("1", " "),
                    subfields=[Subfield("a", "Suharto, Budi,")],
                )
            )
            record.add_field(
                Field(
                    tag="245",
                    indicators=Indicators("1", "0"),
                    subfields=[
                        Subfield("a", f"Kumpulan cerita rakyat Nusantara jilid {n} /"),
                        Subfield("c", "Budi Suharto."),
                    ],
                )
            )
            record.add_field(
                Field(
                    tag="264",
                    indicators=Indicators(" ", "1"),
                    subfields=[
                        Subfield("a", "Jakarta :"),
                        Subfield("b", "Balai Pustaka,"),
                        Subfield("c", "2026."),
                    ],
                )
            )
            out.write(record.as_marc())
    return path


def raw_pymarc(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as f:
        count = sum(1 for _ in pymarc.MARCReader(f, to_unicode=True))
    return count / (time.perf_counter() - started)


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak(pid: int) -> None:
    """Linux resets a process's peak RSS when 5 is written to clear_refs."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _until_not(http: httpx.Client, url: str, state: str) -> dict[str, Any]:
    while True:
        batch: dict[str, Any] = http.get(url).json()
        if batch["state"] != state:
            return batch
        time.sleep(0.2)


def run_database(database: str, files: dict[int, Path], tmp: Path) -> list[Row]:
    data_dir = tmp / database
    data_dir.mkdir()
    pg_name = None
    if database == "postgresql":
        pg_name = f"bench_import_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{pg_name}"
    else:
        url = f"sqlite:///{data_dir / 'exchange.db'}"
    rows: list[Row] = []
    try:
        with (
            running_service(
                data_dir, url, "bench-import", EXCHANGE_MAX_UPLOAD_BYTES=str(2 * 1024**3)
            ) as service,
            httpx.Client(base_url=service.api_url, headers=service.staff, timeout=600) as http,
        ):
            for size, path in files.items():
                _reset_peak(service.worker.pid)
                started = time.perf_counter()
                with path.open("rb") as f:
                    r = http.post("/api/v1/marc-batches", files={"file": (path.name, f)})
                r.raise_for_status()
                batch_url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
                batch = _until_not(http, batch_url, "staging")
                staged = time.perf_counter()
                if batch["state"] != "staged" or batch["counts"]["created"] != size:
                    raise SystemExit(f"{database}: the import ended {batch['state']}: {batch}")
                http.post(f"{batch_url}/commit").raise_for_status()
                batch = _until_not(http, batch_url, "committing")
                done = time.perf_counter()
                if batch["state"] != "committed" or batch["commit"]["counts"]["created"] != size:
                    raise SystemExit(f"{database}: the commit ended {batch['state']}: {batch}")
                rows.append(
                    Row(
                        database,
                        size,
                        done - started,
                        _peak_mb(service.worker.pid),
                        staged - started,
                        done - staged,
                    )
                )
    finally:
        if pg_name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    files = {size: generate(tmp / f"records-{size}.mrc", size, seed=size) for size in args.sizes}
    largest = files[max(files)]
    pymarc_rate = raw_pymarc(largest)
    rows = [row for database in args.databases for row in run_database(database, files, tmp)]
    print(
        "\nImport end to end (upload through the API, staged, committed, to the last record "
        f"in the catalogue), {os.cpu_count()} CPUs\n"
    )
    print(
        "| database | records | stage s | commit s | seconds | records/s | worker peak RSS (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.database} | {row.records:,} | {row.stage_seconds:.1f} | "
            f"{row.commit_seconds:.1f} | {row.seconds:.1f} | "
            f"{row.records / row.seconds:,.0f} | {row.peak_mb:.0f} |"
        )
    print(
        f"\nraw pymarc parse of the {max(files):,}-record file, same run: "
        f"{pymarc_rate:,.0f} records/s"
    )


if __name__ == "__main__":
    main()
