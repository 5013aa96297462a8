"""The partners pages of the staff desk: the register, one partner's agreements, balances
and webhook deliveries, and the forms that add a partner or an agreement (admin only)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from marc.charsets import ENCODING_NAMES
from services.exchange.http.deps import LIFECYCLE_ROLES, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.partners import AgreementIn, PartnerIn
from services.exchange.service import agreements, desk, reports, webhooks
from services.exchange.service import partners as partner_registry
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    act,
    context,
    describe,
    field,
    posted_form,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get("/partners")
async def partners_page(request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    rows = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today())
    return render(request, "staff/partners.html", user, partners=rows, encodings=ENCODING_NAMES)


@router.post("/partners")
async def add_partner(request: Request, user: StaffUser) -> Response:
    """Register a partner (admin); its API key and webhook secret are shown on this page only."""
    form = await posted_form(request, user)
    ctx = context(request)
    try:
        require_role(user.caller)  # admin only
        body = PartnerIn.model_validate(
            {
                "code": field(form, "code"),
                "name": field(form, "name"),
                "country": (field(form, "country") or "").upper(),
                "isil": field(form, "isil"),
                "marc_format": field(form, "marc_format"),
                "webhook_url": field(form, "webhook_url"),
                "marc_encoding": field(form, "marc_encoding"),
                "heading_form": field(form, "heading_form"),
            }
        )
        created = await asyncio.to_thread(partner_registry.create, ctx.engine, ctx.settings, body)
    except Problem as exc:
        return redirect("/partners", Flash("error", exc.detail), request)
    except ValidationError as exc:
        return redirect("/partners", Flash("error", describe(exc)), request)
    return render(request, "staff/partner_created.html", user, created=created)


@router.post("/partners/{code}/agreements")
async def add_agreement(code: str, request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        require_role(user.caller)  # admin only
        try:
            body = AgreementIn.model_validate(
                {
                    "signed_on": field(form, "signed_on"),
                    "valid_from": field(form, "valid_from"),
                    "valid_to": field(form, "valid_to"),
                    "programmes": [p for p in form.getlist("programmes") if isinstance(p, str)],
                    "response_days": whole_number(form, "response_days", "respond within"),
                    "receipt_days": whole_number(form, "receipt_days", "receipt within"),
                    "yearly_quota": whole_number(form, "yearly_quota", "yearly quota"),
                }
            )
        except FormError as exc:
            raise Problem(422, "validation-error", str(exc)) from None
        await asyncio.to_thread(agreements.create, ctx.engine, user.caller, code, body)

    return await act(request, f"/partners/{code}", run, N_("Agreement recorded."))


@router.get("/partners/{code}")
async def partner_page(code: str, request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    caller = require_role(user.caller, *LIFECYCLE_ROLES)
    this_year = agreements.today().year
    signed = await asyncio.to_thread(agreements.list_for, ctx.engine, caller, code)
    years = await asyncio.to_thread(desk.ledger_years, ctx.engine, code, this_year)
    balances = [
        await asyncio.to_thread(reports.balance, ctx.engine, caller, code, year) for year in years
    ]
    deliveries = await asyncio.to_thread(webhooks.list_deliveries, ctx.engine, caller, code, 50, 0)
    scale = max([1] + [max(b.sent.copies, b.received.copies) for b in balances])
    (partner,) = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today(), code)
    registered = await asyncio.to_thread(partner_registry.get, ctx.engine, caller, code)
    return render(
        request,
        "staff/partner.html",
        user,
        partner=partner,
        registered=registered,
        encoding_names=ENCODING_NAMES,
        agreements=signed,
        balances=balances,
        scale=scale,
        deliveries=deliveries,
    )
