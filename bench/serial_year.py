"""A whole year of serial runs on Temporal's time-skipping test server, with the real worker.

The dev server cannot skip a year, so the serial benchmark plays a sample of its titles' next
year here: the real ``SerialExchangeWorkflow`` and the real activities (``build_worker`` bound
to the benchmark's own database, the dev server stopped by then), and counts what each run's
history holds at the year's end: events, workflow tasks, timers. Two kinds of year:

- *late*: nothing more arrives (the issues already checked in stay received): every other
  issue is claimed twice, then the review reminder and the close;
- *on time*: each issue is received through the service (``serial_issues.record_receipt``, as
  the API does) on its expected day and the run is signalled, as the API's route does.

Neither title is confirmed by a review, so each run ends at its year's end (no continue-as-new),
and its history is the whole title-year.
"""

from __future__ import annotations

import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from services.exchange.schemas.serials import ReceiptIn
from services.exchange.serial_models import SerialIssue
from services.exchange.service import serial_issues
from services.exchange.service.keys import ADMIN, Caller
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from workflows.serial.types import (
    SIGNAL_CHANGED,
    WORKFLOW_NAME,
    SerialChanged,
    SerialInput,
    SerialStatus,
    serial_workflow_id,
)
from workflows.worker import build_worker


@dataclass
class YearHistory:
    kind: str  # "late" or "on time"
    serial_id: int
    events: int
    workflow_tasks: int
    timers: int
    activities: int
    signals: int
    children: int  # delivery workflows started (one per notice), 10 events or so each
    state: str


def count(events: list[HistoryEvent], kind: int) -> int:
    return sum(1 for e in events if e.event_type == kind)


async def history_of(handle: WorkflowHandle[object, object]) -> YearHistory:
    events = list((await handle.fetch_history()).events)
    return YearHistory(
        kind="",
        serial_id=0,
        events=len(events),
        workflow_tasks=count(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        timers=count(events, EventType.EVENT_TYPE_TIMER_STARTED),
        activities=count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        signals=count(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        children=count(events, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
        state="",
    )


async def play_year(
    database_url: str, late: list[int], on_time: list[int], year: int
) -> list[YearHistory]:
    """Each title's run of ``year`` from its start to its end; the histories."""
    path = Path(sys.executable).parent / "temporal-test-server"
    settings = Settings(database_url=database_url, task_queue=f"bench-year-{uuid.uuid4().hex[:6]}")
    engine = make_engine(database_url)
    staff = Caller(kind="staff", key_id="admin", party=settings.home_code, role=ADMIN)
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path))
    out: list[YearHistory] = []
    try:
        client: Client = env.client
        with ThreadPoolExecutor(max_workers=8) as executor:
            async with build_worker(client, settings, engine, executor):
                handles: dict[int, WorkflowHandle[object, SerialStatus]] = {}
                for serial_id in [*late, *on_time]:
                    handles[serial_id] = await client.start_workflow(
                        WORKFLOW_NAME,
                        SerialInput(serial_id, year, retry_seconds=30.0),
                        id=serial_workflow_id(serial_id),
                        task_queue=settings.task_queue,
                        result_type=SerialStatus,
                    )
                # On time: walk the year issue by issue, the server's clock skipped to each day.
                with engine.connect() as conn:
                    rows = conn.execute(
                        select(
                            col(SerialIssue.id),
                            col(SerialIssue.serial_id),
                            col(SerialIssue.expected_on),
                        )
                        .where(col(SerialIssue.serial_id).in_(on_time))
                        .where(col(SerialIssue.year) == year)
                        .where(col(SerialIssue.state).in_(("expected", "claimed")))
                        .order_by(col(SerialIssue.expected_on))
                    ).all()
                for issue_id, serial_id, expected_on in rows:
                    assert issue_id is not None
                    at = datetime.combine(expected_on, datetime.min.time(), tzinfo=UTC)
                    wait = (at - await env.get_current_time()).total_seconds() + 3600
                    if wait > 0:
                        await env.sleep(wait)
                    serial_issues.record_receipt(engine, staff, serial_id, issue_id, ReceiptIn())
                    await handles[serial_id].signal(SIGNAL_CHANGED, SerialChanged("receipt"))
                for serial_id, handle in handles.items():
                    status = await handle.result()
                    history = await history_of(handle)
                    history.kind = "late" if serial_id in late else "on time"
                    history.serial_id = serial_id
                    history.state = status.state
                    out.append(history)
    finally:
        await env.shutdown()
        engine.dispose()
    return out
