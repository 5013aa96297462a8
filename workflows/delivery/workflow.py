"""Delivering one notice to a partner's webhook, retried with backoff for days.

Each notice gets its own workflow, started by the exchange as an abandoned child: the
exchange goes on at once, and delivery keeps trying even after the exchange has ended.
"""

from __future__ import annotations

import math
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.delivery.types import DeliveryInput, DeliveryResult

with workflow.unsafe.imports_passed_through():
    from workflows.delivery.activities import DeliveryActivities

# Partners on slow, flaky links get at least three days of attempts.
DELIVERY_WINDOW = timedelta(days=4)
MAX_INTERVAL = timedelta(hours=1)
DEFAULT_FIRST_RETRY_SECONDS = 30.0


def delivery_workflow_id(exchange_id: str, seq: int) -> str:
    return f"webhook-{exchange_id}-{seq}"


def first_retry(inp: DeliveryInput) -> timedelta:
    """The wait before the second attempt: the setting, or the default for one that is not a
    positive number; no longer than the longest wait (Temporal refuses a policy whose first
    interval exceeds its maximum)."""
    seconds = inp.retry_seconds
    if not math.isfinite(seconds) or seconds <= 0:
        seconds = DEFAULT_FIRST_RETRY_SECONDS
    return timedelta(seconds=min(seconds, MAX_INTERVAL.total_seconds()))


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> DeliveryResult:
        result: DeliveryResult = await workflow.execute_activity_method(
            DeliveryActivities.deliver_webhook,
            inp,
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=DELIVERY_WINDOW,
            retry_policy=RetryPolicy(
                initial_interval=first_retry(inp),
                backoff_coefficient=2.0,
                maximum_interval=MAX_INTERVAL,
            ),
        )
        return result
