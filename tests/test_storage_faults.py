"""A full disk and a read-only database get honest answers (507, 503), never a 500.

The faults are real: the data directory is a small tmpfs of its own, filled to the last byte
then opened read-only; PostgreSQL is switched to read-only transactions. Mounting
needs root (as in CI); elsewhere the mount tests skip and say why.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from temporalio.testing import WorkflowEnvironment

from services.exchange.storage import faults
from services.exchange.storage.db import make_engine
from tests.conftest import PG_ADMIN_URL, running_stack
from tests.support import lines, register_partner


def test_os_errors_of_a_full_or_read_only_disk() -> None:
    assert faults.classify(OSError(errno.ENOSPC, "No space left on device")) == faults.NO_ROOM
    assert faults.classify(OSError(errno.EROFS, "Read-only file system")) == faults.READ_ONLY
    assert faults.classify(OSError(errno.ENOENT, "No such file")) is None
    assert faults.classify(ValueError("not a fault")) is None


def test_sqlite_full_and_read_only_errors(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
    with pytest.raises(OperationalError) as full:
        with engine.begin() as conn:
            conn.execute(text("PRAGMA max_page_count = 3"))
            for _ in range(100):
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})
    assert faults.classify(full.value) == faults.NO_ROOM
    engine.dispose()
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(OperationalError) as refused:
        with read_only.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('y')"))
    assert faults.classify(refused.value) == faults.READ_ONLY
    read_only.dispose()
    with pytest.raises(sqlite3.Error):
        sqlite3.connect(f"file:{tmp_path}/none/x.db?mode=ro", uri=True).execute("SELECT 1")


def test_postgres_read_only_and_disk_full_errors(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError) as refused:
            with engine.begin() as conn:
                conn.execute(text("SET TRANSACTION READ ONLY"))
                conn.execute(text("CREATE TABLE never (x int)"))
        assert faults.classify(refused.value) == faults.READ_ONLY
    finally:
        engine.dispose()
    # No test can fill the server's disk; the error it would raise is classified by its code.
    wrapped = DBAPIError("INSERT", {}, pg_errors.DiskFull("could not extend file"))
    assert faults.classify(wrapped) == faults.NO_ROOM


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    ballast = disk / "ballast"
    # Unbuffered: a buffered file would try the failed block again on close and raise there.
    with ballast.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    # Whatever is left for one more block goes too.
    try:
        with (disk / "ballast-tail").open("wb", buffering=0) as out:
            while True:
                out.write(b"\0")
    except OSError:
        pass
    return ballast


async def test_full_then_read_only_disk_answers_507_then_503(
    small_disk: Path, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    db = f"sqlite:///{small_disk / 'exchange.db'}"
    async with running_stack(temporal_env.client, "full", small_disk, db) as stack:
        http, staff = stack.http, stack.staff
        partner, _key = await register_partner(http, staff)
        proposal = {"partner": partner["code"], "lines": lines(1)}
        assert (await http.get("/health")).status_code == 200

        ballast = _fill(small_disk)
        r = await http.post("/api/v1/exchanges", json=proposal, headers=staff)
        assert r.status_code == 507, r.text
        assert r.json()["type"] == "/problems/storage-full"
        assert r.headers["retry-after"] == "60"
        marc = tmp_path / "one.mrc"
        marc.write_bytes(b"00026nam a2200025 a 4500\x1e\x1d" * 4000)
        r = await http.post("/api/v1/marc-batches", files={"file": marc.open("rb")}, headers=staff)
        assert r.status_code == 507, r.text
        r = await http.get("/health")
        assert r.status_code == 507 and r.json()["type"] == "/problems/storage-full", r.text

        ballast.unlink()
        (small_disk / "ballast-tail").unlink(missing_ok=True)
        assert (await http.get("/health")).status_code == 200

        # The same database opened read-only (as from a read-only mount): writes get 503.
        read_only = f"sqlite:///file:{small_disk / 'exchange.db'}?mode=ro&uri=true"
        async with running_stack(
            temporal_env.client, "ro", small_disk, read_only, with_worker=False
        ) as frozen:
            r = await frozen.http.post("/api/v1/exchanges", json=proposal, headers=staff)
            assert r.status_code == 503, r.text
            assert r.json()["type"] == "/problems/storage-read-only"
            r = await frozen.http.get("/health")
            assert r.status_code == 503, r.text
            assert r.json()["type"] == "/problems/storage-read-only"
            # Reading still works.
            assert (await frozen.http.get("/api/v1/partners", headers=staff)).status_code == 200


async def test_a_read_only_postgres_answers_503(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    name = f"exchange_ro_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        async with running_stack(
            temporal_env.client, "ro", tmp_path, f"{base}/{name}", with_worker=False
        ) as stack:
            http, staff = stack.http, stack.staff
            partner, _key = await register_partner(http, staff)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
                # Connections open now keep their old setting; the pools reconnect.
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
            proposal = {"partner": partner["code"], "lines": lines(1)}
            r = await http.post("/api/v1/exchanges", json=proposal, headers=staff)
            assert r.status_code == 503, r.text
            assert r.json()["type"] == "/problems/storage-read-only"
            r = await http.get("/health")
            assert r.status_code == 503, r.text
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
