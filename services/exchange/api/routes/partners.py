"""Partner libraries: registering and changing them, their webhooks, agreements and balance.

The balance is here and not with the reports because it is read per partner, under its path
and its tag.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status

from services.exchange.api.params import Limit, Offset, Year
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import (
    AcquisitionsDep,
    AcquisitionsOrPartnerDep,
    AdminDep,
    AdminOrPartnerDep,
    CallerDep,
    ContextDep,
    StaffDep,
)
from services.exchange.schemas.common import INT32_MAX, Page
from services.exchange.schemas.partner_contacts import EmailDeliveryOut
from services.exchange.schemas.partners import (
    AgreementIn,
    AgreementOut,
    DeliveryOut,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    WebhookSecret,
)
from services.exchange.schemas.profiles import ProfileIn
from services.exchange.schemas.reports import BalanceOut, BalancePreviewIn, BalancePreviewOut
from services.exchange.service import agreements, partners, reports, webhooks
from services.exchange.service import balance as balances
from services.exchange.service.offer_lines import line_spec

router = APIRouter(prefix="/partners", tags=["partners"], responses=PROBLEMS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
def create_partner(body: PartnerIn, ctx: ContextDep, caller: AdminDep) -> PartnerCreated:
    """Register a partner library; its API key and webhook secret are shown only here."""
    return partners.create(ctx.engine, ctx.settings, body, caller)


@router.get("")
def list_partners(
    ctx: ContextDep, _: StaffDep, limit: Limit = 100, offset: Offset = 0
) -> Page[PartnerOut]:
    return partners.list_all(ctx.engine, limit, offset)


@router.get("/{code}")
def get_partner(code: str, ctx: ContextDep, caller: CallerDep) -> PartnerOut:
    """One partner: any staff key reads any partner, a partner key only its own (404 else)."""
    return partners.get(ctx.engine, caller, code)


@router.patch("/{code}")
def update_partner(
    code: str, body: PartnerPatch, ctx: ContextDep, caller: AdminOrPartnerDep
) -> PartnerOut:
    """Admins change name, ISIL, marc_encoding and heading_form; a partner its own webhook_url."""
    return partners.update(ctx.engine, ctx.settings, caller, code, body)


@router.post("/{code}/webhook-secret")
def new_webhook_secret(code: str, ctx: ContextDep, caller: AdminOrPartnerDep) -> WebhookSecret:
    """Issue a new secret for signing this partner's webhook events; the old one stops now."""
    return partners.new_webhook_secret(ctx.engine, caller, code)


@router.get("/{code}/deliveries")
def list_deliveries(
    code: str,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """Every attempt to deliver a webhook event to this partner, newest first."""
    return webhooks.list_deliveries(ctx.engine, caller, code, limit, offset)


@router.get("/{code}/email-deliveries")
def list_email_deliveries(
    code: str,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[EmailDeliveryOut]:
    """Every attempt to e-mail a notice to this partner's contacts, newest first (beside the
    webhook deliveries: a notice goes both ways)."""
    return webhooks.list_email_deliveries(ctx.engine, caller, code, limit, offset)


@router.post("/{code}/agreements", status_code=status.HTTP_201_CREATED)
def create_agreement(
    code: str, body: AgreementIn, ctx: ContextDep, caller: AdminDep
) -> AgreementOut:
    """Record a memorandum of understanding; exchanges need one valid on the day."""
    return agreements.create(ctx.engine, caller, code, body)


@router.get("/{code}/agreements")
def list_agreements(code: str, ctx: ContextDep, caller: CallerDep) -> list[AgreementOut]:
    return agreements.list_for(ctx.engine, caller, code)


@router.put("/{code}/agreements/{agreement_id}/profile")
def set_agreement_profile(
    code: str,
    agreement_id: Annotated[int, Path(ge=1, le=INT32_MAX, description="The agreement's id")],
    body: ProfileIn,
    ctx: ContextDep,
    caller: AcquisitionsDep,
) -> AgreementOut:
    """What the partner wants under this agreement: subject classes, languages, kinds of
    material, years; an empty profile is everything. A list puts what fits it first."""
    return agreements.set_profile(ctx.engine, caller, code, agreement_id, body)


@router.get("/{code}/balance")
def balance(
    code: str, ctx: ContextDep, caller: AcquisitionsOrPartnerDep, year: Year = None
) -> BalanceOut:
    """What was sent and received in a year (default: this year), and the balance in the
    agreement's model (blanket, pieces, titles or value), for the year and running through it,
    with the tolerance and the quota used. A partner reads its own."""
    return reports.balance(ctx.engine, caller, code, year or datetime.now(UTC).year)


@router.post("/{code}/balance/preview")
def balance_preview(
    code: str, body: BalancePreviewIn, ctx: ContextDep, caller: AcquisitionsDep
) -> BalancePreviewOut:
    """What sending (or receiving) these lines would do to the running balance, exchanges under
    way counted, and a warning when it would go past the agreement's tolerance. Changes nothing."""
    specs = [line_spec(line) for line in body.lines]
    return balances.preview(ctx.engine, caller, code, body.direction, specs)
