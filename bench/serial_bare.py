"""The baseline of the serial benchmark: a workflow that only starts, runs ``activities``
no-op activities (``bench.bare``'s) and sleeps on one durable timer, and a worker process for
it. What a title's run costs the dev server at the least, measured in the same run."""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from bench.bare import bare_step

TASK_QUEUE = "bench-serial-bare"


@workflow.defn(name="BareSleepWorkflow")
class BareSleepWorkflow:
    @workflow.run
    async def run(self, activities: int) -> int:
        for n in range(activities):
            await workflow.execute_activity(
                bare_step, n, start_to_close_timeout=timedelta(seconds=30)
            )
        await workflow.sleep(timedelta(days=365))
        return activities


async def bare_worker(address: str) -> None:
    """Serve the bare workflow until SIGTERM, with the real worker's activity limits."""
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[BareSleepWorkflow],
            activities=[bare_step],
            activity_executor=executor,
            max_concurrent_activities=8,
        ):
            await stop.wait()
    await asyncio.sleep(0.5)
