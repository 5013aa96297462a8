"""The worker process: runs every workflow type and its activities until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from services.exchange.settings import Settings
from workflows.committing.activities import CommitActivities
from workflows.committing.workflow import CommitWorkflow, UndoWorkflow
from workflows.delivery.activities import DeliveryActivities
from workflows.delivery.workflow import WebhookDeliveryWorkflow
from workflows.exchange.activities import ExchangeActivities
from workflows.exchange.workflow import ExchangeWorkflow
from workflows.importing.activities import ImportActivities
from workflows.importing.workflow import ImportWorkflow
from workflows.offerlist.activities import OfferListActivities
from workflows.offerlist.workflow import OfferListWorkflow
from workflows.serial.activities import SerialActivities
from workflows.serial.workflow import SerialExchangeWorkflow

log = logging.getLogger(__name__)

# Every workflow type a worker runs; a new workflow is added here and nowhere else.
WORKFLOWS = (
    ExchangeWorkflow,
    WebhookDeliveryWorkflow,
    ImportWorkflow,
    CommitWorkflow,
    UndoWorkflow,
    OfferListWorkflow,
    SerialExchangeWorkflow,
)

GRACEFUL_SHUTDOWN = timedelta(seconds=20)
_CORE_SETTLE_SECONDS = 0.5


def activities(engine: Engine, settings: Settings) -> list[Callable[..., Any]]:
    """Every activity, bound to one database, under the names the workflows schedule."""
    exchange = ExchangeActivities(engine, settings)
    importing = ImportActivities(engine)
    delivery = DeliveryActivities(engine, settings)
    committing = CommitActivities(engine)
    offer_lists = OfferListActivities(engine, settings)
    serials = SerialActivities(engine, settings)
    return [
        exchange.record_step,
        exchange.revise_lines,
        exchange.notify,
        delivery.deliver_webhook,
        delivery.send_notice_emails,
        importing.import_chunk,
        importing.import_marc_batch,
        importing.fail_batch,
        committing.commit_chunk,
        committing.undo_chunk,
        committing.fail_commit,
        offer_lists.announce_offer_list,
        offer_lists.close_offer_list,
        offer_lists.set_closing_day,
        serials.prepare_serial_year,
        serials.claim_due_issues,
        serials.remind_serial_review,
        serials.close_serial_year,
    ]


def build_worker(
    client: Client, settings: Settings, engine: Engine, executor: ThreadPoolExecutor
) -> Worker:
    """The one place that lists what a worker runs, for the process and the tests alike."""
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(WORKFLOWS),
        activities=activities(engine, settings),
        activity_executor=executor,
        max_concurrent_activities=8,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def run_worker(client: Client, settings: Settings, engine: Engine) -> None:
    """Run until SIGINT or SIGTERM, then let running activities finish within the grace period."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="activity") as executor:
        worker = build_worker(client, settings, engine, executor)
        async with worker:
            log.info("worker polling task queue %r", settings.task_queue)
            await stop.wait()
            log.info("worker stopping (grace period %s)", GRACEFUL_SHUTDOWN)
    # The SDK's core finishes its shutdown on its own threads a moment after the worker
    # returns; closing the event loop before then can crash the interpreter at exit.
    await asyncio.sleep(_CORE_SETTLE_SECONDS)
    log.info("worker stopped")
