"""The worker process: runs exchange workflows and their activities until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from services.exchange.settings import Settings
from workflows.activities import ExchangeActivities
from workflows.delivery import WebhookDeliveryWorkflow
from workflows.exchange import ExchangeWorkflow
from workflows.importing import ImportWorkflow

log = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN = timedelta(seconds=20)
_CORE_SETTLE_SECONDS = 0.5


def build_worker(
    client: Client, settings: Settings, engine: Engine, executor: ThreadPoolExecutor
) -> Worker:
    """The one place that lists what a worker runs, for the process and the tests alike."""
    activities = ExchangeActivities(engine, settings)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ExchangeWorkflow, WebhookDeliveryWorkflow, ImportWorkflow],
        activities=[
            activities.record_step,
            activities.revise_lines,
            activities.notify,
            activities.deliver_webhook,
            activities.import_chunk,
            activities.import_marc_batch,
        ],
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
