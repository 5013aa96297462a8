"""A real worker process is killed in the middle of a large commit; a new worker finishes it:
no record written to the catalogue twice, none lost, every one with its history entry."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import CatalogueRecord, ImportOutcome, RecordHistory, RecordKey
from tests.conftest import Stack, running_stack
from tests.support import build_record
from tests.test_import_worker_kill import _worker

RECORDS = 20_000


async def _batch(stack: Stack, batch_id: str) -> dict[str, Any]:
    r = await stack.http.get(f"/api/v1/marc-batches/{batch_id}", headers=stack.staff)
    body: dict[str, Any] = r.json()
    return body


async def _until(stack: Stack, batch_id: str, done: Any, what: str, tries: int = 1200) -> None:
    for _ in range(tries):
        if done(await _batch(stack, batch_id)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: {await _batch(stack, batch_id)}")


def _counts(stack: Stack, batch_id: str) -> tuple[int, int, int, int, int]:
    with Session(stack.engine) as session:
        records, copies = session.exec(
            select(func.count(), func.coalesce(func.sum(CatalogueRecord.holdings), 0)).where(
                col(CatalogueRecord.batch_id) == batch_id
            )
        ).one()
        keys = session.exec(
            select(func.count())
            .select_from(RecordKey)
            .join(CatalogueRecord, col(CatalogueRecord.id) == col(RecordKey.record_id))
            .where(col(CatalogueRecord.batch_id) == batch_id)
        ).one()
        history = session.exec(
            select(func.count()).where(col(RecordHistory.batch_id) == batch_id)
        ).one()
        created = session.exec(
            select(func.count()).where(
                col(ImportOutcome.batch_id) == batch_id, col(ImportOutcome.applied) == "created"
            )
        ).one()
    return records, copies, keys, history, created


async def test_a_worker_killed_mid_commit_loses_nothing_and_doubles_nothing(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    upload = tmp_path / "big.mrc"
    with upload.open("wb") as out:
        for n in range(1, RECORDS + 1):
            out.write(build_record(n).as_marc())
    database_url = f"sqlite:///{tmp_path / 'exchange.db'}"
    async with running_stack(
        temporal_env.client,
        "commit-kill",
        tmp_path,
        database_url,
        with_worker=False,
        import_heartbeat_seconds=2.0,
        import_chunk_size=200,  # commit chunks of 1,000 (``commit.COMMIT_CHUNK_FACTOR``)
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
            await _until(stack, batch_id, lambda b: b["state"] == "staged", "staged", 6000)
            assert _counts(stack, batch_id) == (0, 0, 0, 0, 0), "staging wrote no record"
            r = await stack.http.post(
                f"/api/v1/marc-batches/{batch_id}/commit", headers=stack.staff
            )
            assert r.status_code == 202, r.text
            await _until(
                stack,
                batch_id,
                lambda b: (b["commit"] or {}).get("committed_through", 0) >= 2_000,
                "the commit never got going",
            )
            first.send_signal(signal.SIGKILL)
            first.wait()
            at_kill = await _batch(stack, batch_id)
            assert at_kill["state"] == "committing", "the worker must die in the middle"
            assert at_kill["commit"]["committed_through"] < RECORDS

            second = _worker(stack, tmp_path / "worker-2.log")
            await _until(
                stack, batch_id, lambda b: b["state"] != "committing", "never finished", 6000
            )
            batch = await _batch(stack, batch_id)
            assert batch["state"] == "committed", batch
            assert batch["commit"]["committed_through"] == RECORDS
            assert batch["commit"]["counts"]["created"] == RECORDS
            assert _counts(stack, batch_id) == (RECORDS,) * 5
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
