"""The delivery workflow's activity: one attempt to post a notice to the partner's webhook.

It sends nothing once an attempt for the notice has succeeded, so a retry is safe.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from services.exchange.service import webhooks
from services.exchange.settings import Settings
from workflows.delivery.types import DeliveryInput, DeliveryResult


class DeliveryActivities:
    """Bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    @activity.defn(name="deliver_webhook")
    def deliver_webhook(self, inp: DeliveryInput) -> DeliveryResult:
        """One attempt; a failure raises, and the retry policy tries again later."""
        done = webhooks.deliver(
            self._engine,
            inp.exchange_id,
            inp.seq,
            activity.info().attempt,
            self._settings.base_url,
            self._settings.allow_insecure_webhooks,
        )
        return DeliveryResult(attempts=done.attempts, already_delivered=done.already)
