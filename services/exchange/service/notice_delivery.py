"""Starting the delivery of notices written by the API process (a selection submitted, wish-list
hits of a deposit): one delivery workflow per notice, ``notice-<id>``.

The workflow posts the webhook (a partner's, if it has one) and sends the e-mails (its contacts,
or our staff users and mailbox). A notice with nobody to reach starts nothing. Starting is
idempotent (a workflow already started for the notice is left to go on), and Temporal being
unreachable is logged, not raised: the step that wrote the notice has happened, and the notice
stays in the API for whoever reads it there.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from services.exchange.models import Notice, Partner
from services.exchange.service import email_notices
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from workflows.delivery.types import DeliveryInput, notice_workflow_id

log = logging.getLogger(__name__)

# By name: the workflow module imports its activities, which import the service modules.
DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"


def worth_delivering(ctx: Context, notice_ids: list[int]) -> list[int]:
    """The notices that have a webhook or an e-mail address to go to."""
    settings = ctx.settings
    wanted: list[int] = []
    with Session(ctx.engine) as session:
        for notice_id in notice_ids:
            notice = session.get(Notice, notice_id)
            if notice is None:
                continue
            partner = session.exec(select(Partner).where(col(Partner.code) == notice.party)).first()
            webhook = bool(partner and partner.webhook_url and notice.party != settings.home_code)
            mail = bool(settings.smtp_host) and email_notices.has_recipients(
                session, notice.party, notice.event, settings.home_code, settings.staff_email
            )
            if webhook or mail:
                wanted.append(notice_id)
    return wanted


async def deliver_notices(ctx: Context, notice_ids: list[int]) -> None:
    """Start one delivery workflow per notice that has somewhere to go; never raises for
    Temporal (logged)."""
    if not notice_ids:
        return
    wanted = await asyncio.to_thread(worth_delivering, ctx, notice_ids)
    for notice_id in wanted:
        inp = DeliveryInput(
            exchange_id="",
            seq=0,
            retry_seconds=ctx.settings.webhook_retry_seconds,
            notice_id=notice_id,
        )
        try:
            await ctx.temporal.start_workflow(
                DELIVERY_WORKFLOW,
                inp,
                id=notice_workflow_id(notice_id),
                task_queue=ctx.settings.task_queue,
                rpc_timeout=TEMPORAL_RPC_TIMEOUT,
            )
        except WorkflowAlreadyStartedError:
            continue  # a retried request: its delivery runs already
        except RPCError as exc:
            log.warning("notice %s: its delivery could not be started: %s", notice_id, exc.message)
        except (TimeoutError, OSError) as exc:
            log.warning("notice %s: its delivery could not be started: %s", notice_id, exc)
