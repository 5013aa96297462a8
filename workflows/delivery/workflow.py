"""Delivering one notice to a partner's webhook and its contacts' mailboxes, retried for days.

Each notice gets its own workflow, started by the exchange (or the offer list, or the API for
wish-list notices) as an abandoned child or a plain workflow: the starter goes on at once, and
delivery keeps trying even after the exchange has ended.

Patches (the table of every workflow's patches is in ``workflows/exchange/patches.py``):
``EMAIL_PATCH`` (``email-delivery``, issue 15): runs started before it deliver only the
webhook.

Behind ``EMAIL_PATCH`` the webhook and the e-mails are two activities running side by side, so
a partner whose webhook is down for days still gets its e-mails at once (and the other way
round). Each is idempotent (a success per notice, and per notice and address, is never
repeated); the run fails when either gives up at the end of the window.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.delivery.types import DeliveryInput, DeliveryResult, EmailsSent
from workflows.delivery.types import notice_workflow_id as notice_workflow_id

with workflow.unsafe.imports_passed_through():
    from workflows.delivery.activities import DeliveryActivities

EMAIL_PATCH = "email-delivery"

# Partners on slow, flaky links get at least three days of attempts.
DELIVERY_WINDOW = timedelta(days=4)
MAX_INTERVAL = timedelta(hours=1)
DEFAULT_FIRST_RETRY_SECONDS = 30.0
# One attempt at every address of a notice: a few SMTP conversations of at most 30 s each.
EMAIL_ATTEMPT_TIMEOUT = timedelta(minutes=5)


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


def _retry(inp: DeliveryInput) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=first_retry(inp), backoff_coefficient=2.0, maximum_interval=MAX_INTERVAL
    )


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> DeliveryResult:
        if not workflow.patched(EMAIL_PATCH):
            return await self._webhook(inp)
        # Both run to their end, so one that gives up does not cut the other's retries short.
        webhook, emails = await asyncio.gather(
            self._webhook(inp), self._emails(inp), return_exceptions=True
        )
        for outcome in (webhook, emails):
            if isinstance(outcome, BaseException):
                raise outcome
        # No isinstance check: the sandbox has its own copy of the dataclass the result is of.
        return cast(DeliveryResult, webhook)

    async def _webhook(self, inp: DeliveryInput) -> DeliveryResult:
        result: DeliveryResult = await workflow.execute_activity_method(
            DeliveryActivities.deliver_webhook,
            inp,
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=DELIVERY_WINDOW,
            retry_policy=_retry(inp),
        )
        return result

    async def _emails(self, inp: DeliveryInput) -> EmailsSent:
        sent: EmailsSent = await workflow.execute_activity_method(
            DeliveryActivities.send_notice_emails,
            inp,
            start_to_close_timeout=EMAIL_ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=DELIVERY_WINDOW,
            retry_policy=_retry(inp),
        )
        return sent
