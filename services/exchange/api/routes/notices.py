"""Notices as staff follow them: every e-mail sent (or tried) for any notice, in one list.

A partner's own attempts are under ``/partners/{code}/email-deliveries`` beside its webhook
deliveries; this list adds the staff addresses, so an exchange department can see that the
mail it expects went out.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, ContextDep
from services.exchange.schemas.common import Page
from services.exchange.schemas.partner_contacts import EmailDeliveryOut
from services.exchange.service import webhooks

router = APIRouter(tags=["notices"], responses=PROBLEMS)


@router.get("/email-deliveries")
def list_email_deliveries(
    ctx: ContextDep, caller: AcquisitionsDep, limit: Limit = 100, offset: Offset = 0
) -> Page[EmailDeliveryOut]:
    """Every attempt to e-mail a notice, newest first: partners' contacts and staff alike."""
    return webhooks.list_email_deliveries(ctx.engine, caller, None, limit, offset)
