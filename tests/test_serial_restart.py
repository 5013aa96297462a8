"""The Temporal dev server stops in the middle of a serial title's year and starts again on the
same state file: the run's timer is not lost, and the claim it waits for still goes out.

A dev server cannot skip time, so the run's clock is set (``clock_offset_seconds``) a few
seconds before the midnight its first claim is due; the server is stopped before that moment
and started again after it, so the timer fires only from the restarted server's state.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from services.exchange.models import Notice
from services.exchange.serial_models import SerialIssue
from services.exchange.service import serial_claims
from tests.conftest import free_port, running_stack
from tests.dev_server import DevServer
from tests.support import register_partner
from tests.test_serial_claims import _title
from workflows.serial import rules
from workflows.serial.types import (
    EVENT_CLAIM,
    WORKFLOW_NAME,
    SerialInput,
    SerialStatus,
    serial_workflow_id,
)

BEFORE_MIDNIGHT = 15.0  # seconds from the run's start to its first claim


async def _until(check: object, within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check() if callable(check) else check
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, f"{what}: not within {within} s"
        await asyncio.sleep(0.2)


async def test_a_serial_timer_survives_a_temporal_restart(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "temporal.db", free_port())
    await server.start()
    client = await Client.connect(server.address)
    database_url = f"sqlite:///{tmp_path / 'exchange.db'}"
    try:
        async with running_stack(client, "serial-restart", tmp_path, database_url) as stack:
            partner, _key = await register_partner(stack.http, stack.staff)
            year = datetime.now(UTC).year + 1  # every claim day still ahead in real time
            serial_id = _title(stack, partner["code"], first_year=year)
            assert serial_claims.ensure_year(stack.engine, serial_id, year) == 12
            with Session(stack.engine) as session:
                first = session.exec(
                    select(SerialIssue)
                    .where(col(SerialIssue.serial_id) == serial_id)
                    .order_by(col(SerialIssue.claim_on))
                ).first()
                assert first is not None
                claim_on: date = first.claim_on
            due = rules.midnight(claim_on)
            offset = (due - timedelta(seconds=BEFORE_MIDNIGHT) - datetime.now(UTC)).total_seconds()
            handle = await client.start_workflow(
                WORKFLOW_NAME,
                SerialInput(serial_id, year, retry_seconds=0.2, clock_offset_seconds=offset),
                id=serial_workflow_id(serial_id),
                task_queue=stack.settings.task_queue,
            )
            started = time.monotonic()

            async def waiting() -> bool:
                status = await handle.query("status", result_type=SerialStatus)
                return status.next_wake == claim_on.isoformat()

            await _until(waiting, 30, "the run waiting for the first claim")
            server.stop()
            assert _claims(stack.engine, serial_id) == [], "nothing claimed before the stop"
            # Stay down past the moment, so that only the restarted server can fire the timer.
            await asyncio.sleep(max(0.0, BEFORE_MIDNIGHT + 3 - (time.monotonic() - started)))
            assert _claims(stack.engine, serial_id) == []
            await server.start()
            await _until(lambda: _claims(stack.engine, serial_id), 90, "the claim after restart")
            [notice] = _claims(stack.engine, serial_id)
            assert notice.key == serial_claims.claim_key(first.id or 0, 1)
            status = await handle.query("status", result_type=SerialStatus)
            assert status.state == "active" and status.next_wake is not None
            assert date.fromisoformat(status.next_wake) > claim_on
            await handle.terminate("test over")
    finally:
        server.stop_if_running()


def _claims(engine: Engine, serial_id: int) -> list[Notice]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Notice).where(
                    col(Notice.serial_id) == serial_id, col(Notice.event) == EVENT_CLAIM
                )
            )
        )
