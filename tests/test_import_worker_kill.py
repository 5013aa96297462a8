"""A real worker process is killed in the middle of a large import; a new worker finishes it:
no record staged twice, none lost (``test_commit_worker_kill`` does the same to a commit)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, col, func, select
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import CatalogueRecord, ImportOutcome
from tests.conftest import Stack, running_stack
from tests.support import build_record

RECORDS = 20_000


def _worker(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EXCHANGE_DATA_DIR": str(stack.settings.data_dir),
        "EXCHANGE_DATABASE_URL": stack.settings.resolved_database_url,
        "EXCHANGE_TEMPORAL_ADDRESS": stack.client.service_client.config.target_host,
        "EXCHANGE_TASK_QUEUE": stack.settings.task_queue,
        "EXCHANGE_SKIP_MIGRATIONS": "1",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "exchange"), "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def _batch(stack: Stack, batch_id: str) -> dict[str, object]:
    r = await stack.http.get(f"/api/v1/marc-batches/{batch_id}", headers=stack.staff)
    body: dict[str, object] = r.json()
    return body


async def test_a_killed_worker_loses_nothing_and_doubles_nothing(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    upload = tmp_path / "big.mrc"
    with upload.open("wb") as out:
        for n in range(1, RECORDS + 1):
            out.write(build_record(n).as_marc())
    database_url = f"sqlite:///{tmp_path / 'exchange.db'}"
    async with running_stack(
        temporal_env.client,
        "kill",
        tmp_path,
        database_url,
        with_worker=False,
        import_heartbeat_seconds=2.0,
        import_chunk_size=500,
    ) as stack:
        first = _worker(stack, tmp_path / "worker-1.log")
        second: subprocess.Popen[bytes] | None = None
        try:
            r = await stack.http.post(
                "/api/v1/marc-batches",
                files={"file": ("big.mrc", upload.read_bytes())},
                headers=stack.staff,
            )
            batch_id = r.json()["batch_id"]
            for _ in range(600):
                processed = int((await _batch(stack, batch_id))["progress"]["processed"])  # type: ignore[index]
                if processed >= 2_000:
                    break
                await asyncio.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait()
            at_kill = await _batch(stack, batch_id)
            assert at_kill["state"] == "staging", "the worker must die in the middle"

            second = _worker(stack, tmp_path / "worker-2.log")
            for _ in range(1200):
                batch = await _batch(stack, batch_id)
                if batch["state"] != "staging":
                    break
                await asyncio.sleep(0.1)
            assert batch["state"] == "staged", batch
            assert batch["total"] == RECORDS and batch["imported"] == RECORDS
            with Session(stack.engine) as session:
                stored = session.exec(
                    select(func.count()).where(col(CatalogueRecord.batch_id) == batch_id)
                ).one()
                outcomes = session.exec(
                    select(func.count()).where(
                        col(ImportOutcome.batch_id) == batch_id,
                        col(ImportOutcome.marc).is_not(None),
                    )
                ).one()
            assert (stored, outcomes) == (0, RECORDS), "every record staged, none catalogued"
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
