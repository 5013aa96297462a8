"""The delivery workflow's activities: one attempt to post a notice to the partner's webhook,
and one attempt to e-mail it to every address it goes to.

Each sends nothing that an earlier attempt delivered (the webhook once per notice, an e-mail
once per notice and address), so a retry is safe.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from services.exchange.service import email_sending, webhooks
from services.exchange.settings import Settings
from workflows.delivery.types import DeliveryInput, DeliveryResult, EmailsSent


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
            notice_id=inp.notice_id,
            home=self._settings.home_code,
        )
        return DeliveryResult(attempts=done.attempts, already_delivered=done.already)

    @activity.defn(name="send_notice_emails")
    def send_notice_emails(self, inp: DeliveryInput) -> EmailsSent:
        """One attempt at each address not reached yet; raises (to be retried) if any failed."""
        sent = email_sending.send_notice(
            self._engine,
            self._settings,
            activity.info().attempt,
            notice_id=inp.notice_id,
            exchange_id=inp.exchange_id,
            seq=inp.seq,
        )
        return EmailsSent(sent=sent.sent, already=sent.already)
