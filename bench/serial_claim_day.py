"""The serial benchmark's claim day: every title's run wakes at the same midnight.

Titles with the same frequency have the same predicted days, so one midnight a year wakes the
runs of every monthly title whose issue is missing, all at once. The dev server cannot skip to
that midnight, so each title's run is restarted (terminated, started again for the same year)
with its clock set ahead (``SerialInput.clock_offset_seconds``, there for tests and
benchmarks) so that the next claim midnight comes for all of them at one instant a little
later. Measured: from that instant until every claim's notice is written, and until every run
sleeps again (its claim's delivery workflow started). The delivery workflows run with the real
activities; the bench partners have no webhook and no e-mail address, so each has nothing to
send.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client

from services.exchange.models import Notice
from services.exchange.serial_models import SerialIssue
from services.exchange.storage.db import make_engine
from workflows.serial import rules
from workflows.serial.types import (
    EVENT_CLAIM,
    EXPECTED,
    WORKFLOW_NAME,
    SerialInput,
    serial_workflow_id,
)


@dataclass
class ClaimDay:
    day: str
    titles: int
    claims: int
    restart_seconds: float
    written_seconds: float  # from the midnight until every claim's notice is written
    asleep_seconds: float  # from the midnight until every run sleeps again


def first_claim_day(database_url: str, year: int, serial_ids: list[int]) -> tuple[datetime, int]:
    """The earliest claim day of an issue of these titles still awaited, and how many of
    their issues it has (only these: the benchmark's warm-up title is not restarted)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            day = conn.execute(
                select(func.min(col(SerialIssue.claim_on))).where(
                    col(SerialIssue.year) == year,
                    col(SerialIssue.state) == EXPECTED,
                    col(SerialIssue.serial_id).in_(serial_ids),
                )
            ).scalar_one()
            issues = conn.execute(
                select(func.count())
                .select_from(SerialIssue)
                .where(
                    col(SerialIssue.claim_on) <= day,
                    col(SerialIssue.state) == EXPECTED,
                    col(SerialIssue.serial_id).in_(serial_ids),
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return rules.midnight(day), int(issues)


def claims_written(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(Notice).where(col(Notice.event) == EVENT_CLAIM)
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def claim_day(
    client: Client,
    database_url: str,
    serial_ids: list[int],
    year: int,
    task_queue: str,
    concurrency: int,
    wait_asleep: Any,
    procs: list[subprocess.Popen[bytes]],
) -> ClaimDay:
    """Restart every run so that its next claim midnight comes at one instant; time it."""
    midnight, issues = await asyncio.to_thread(first_claim_day, database_url, year, serial_ids)
    lead = max(20.0, len(serial_ids) * 0.06)  # the restarts must be done by the instant
    instant = datetime.now(UTC) + timedelta(seconds=lead)
    offset = (midnight - instant).total_seconds()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for serial_id in serial_ids:
        queue.put_nowait(serial_id)

    async def restart() -> None:
        while not queue.empty():
            serial_id = queue.get_nowait()
            handle = client.get_workflow_handle(serial_workflow_id(serial_id))
            await handle.terminate("bench: restarted with its clock set ahead")
            await client.start_workflow(
                WORKFLOW_NAME,
                SerialInput(serial_id, year, clock_offset_seconds=offset),
                id=serial_workflow_id(serial_id),
                task_queue=task_queue,
            )

    began = time.perf_counter()
    await asyncio.gather(*(restart() for _ in range(concurrency)))
    restarted = time.perf_counter() - began
    before = await asyncio.to_thread(claims_written, database_url)
    left = (instant - datetime.now(UTC)).total_seconds()
    if left > 0:
        await asyncio.sleep(left)
    at_midnight = time.perf_counter()
    written = before
    while written - before < issues:
        await asyncio.sleep(0.25)
        written = await asyncio.to_thread(claims_written, database_url)
        if time.perf_counter() - at_midnight > 900:
            raise SystemExit(f"claim day: {written - before} of {issues} claims in 900 s")
    written_seconds = time.perf_counter() - at_midnight
    await wait_asleep(client, [serial_workflow_id(i) for i in serial_ids], concurrency, procs)
    return ClaimDay(
        day=midnight.date().isoformat(),
        titles=len(serial_ids),
        claims=written - before,
        restart_seconds=restarted,
        written_seconds=written_seconds,
        asleep_seconds=time.perf_counter() - at_midnight,
    )
