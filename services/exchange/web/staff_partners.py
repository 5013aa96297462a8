"""The partners pages of the staff desk: the register, one partner's agreements, balances
and webhook deliveries, and the forms that add a partner or an agreement (admin only).

The balance is shown in the model the agreement chose (``service/balance.py``), per year and
running, with its tolerance, so the page says what the exchange department agreed to keep.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from marc.charsets import ENCODING_NAMES
from services.exchange.http.deps import (
    ACQUISITIONS_ROLES,
    LIFECYCLE_ROLES,
    permitted,
    require_role,
)
from services.exchange.problems import Problem
from services.exchange.schemas.partners import AgreementIn, PartnerIn
from services.exchange.service import (
    agreements,
    desk,
    partner_contacts,
    reports,
    staff_lists,
    webhooks,
)
from services.exchange.service import partners as partner_registry
from services.exchange.service.users import SignedIn
from services.exchange.web.countries import country_choices
from services.exchange.web.forms import FormError, decimal_number, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.list_views import sort_links
from services.exchange.web.money import money
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import kept, mendable, refusal
from services.exchange.web.staff_lists import PARTNERS_DEFAULT

router = APIRouter(include_in_schema=False)


# The forms' fields as the API names them, and their labels on the pages.
PARTNER_LABELS = {
    "code": N_("Code"),
    "name": N_("Name"),
    "country": N_("Country (two letters, e.g. BY)"),
    "isil": N_("ISIL"),
    "marc_format": N_("MARC format"),
    "marc_encoding": N_("Character set of its MARC files"),
    "heading_form": N_("Name headings"),
    "webhook_url": N_("Webhook address (https, optional)"),
}
AGREEMENT_LABELS = {
    "signed_on": N_("Signed on"),
    "valid_from": N_("Valid from"),
    "valid_to": N_("Valid to"),
    "programmes": N_("Programmes"),
    "response_days": N_("Days to answer a proposal"),
    "receipt_days": N_("Days for a parcel to arrive"),
    "yearly_quota": N_("Yearly quota of copies, each way (optional)"),
    "balance_model": N_("How the balance is counted"),
    "currency": N_("Currency of a value balance"),
    "tolerance": N_("Tolerance, in the model's unit (optional)"),
}


@router.get("/partners")
async def partners_page(request: Request, user: StaffUser) -> Response:
    return await _partners_view(request, user)


async def _partners_view(
    request: Request, user: SignedIn, status_code: int = 200, **form_state: object
) -> Response:
    """The register, with the registration form as it was sent when it was refused."""
    ctx = context(request)
    links = sort_links(request, staff_lists.PARTNER_SORTABLE, PARTNERS_DEFAULT)
    rows = await asyncio.to_thread(staff_lists.partners, ctx.engine, agreements.today(), links.sort)
    return render(
        request,
        "staff/partners.html",
        user,
        status_code=status_code,
        partners=rows,
        links=links,
        encodings=ENCODING_NAMES,
        **form_state,
    )


@router.post("/partners")
async def add_partner(request: Request, user: StaffUser) -> Response:
    """Register a partner (admin); its API key and webhook secret are shown on this page only."""
    form = await posted_form(request, user)
    ctx = context(request)
    try:
        require_role(user.caller)  # admin only
    except Problem as exc:
        return redirect("/partners", Flash("error", exc.detail), request)
    try:
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
        created = await asyncio.to_thread(
            partner_registry.create, ctx.engine, ctx.settings, body, user.caller
        )
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        return await _partners_view(
            request,
            user,
            status_code=422 if isinstance(exc, ValidationError) else exc.status,
            refused=refusal(lang_for(request), exc, PARTNER_LABELS),
            sent=kept(form, *PARTNER_LABELS),
        )
    return render(request, "staff/partner_created.html", user, created=created)


@router.post("/partners/{code}/agreements")
async def add_agreement(code: str, request: Request, user: StaffUser) -> Response:
    """Record an agreement (admin); a refused one comes back filled in, the reason beside
    the field it is about."""
    form = await posted_form(request, user)
    ctx = context(request)
    back = f"/partners/{code}"
    try:
        require_role(user.caller)  # admin only
    except Problem as exc:
        return redirect(back, Flash("error", exc.detail), request)
    programmes = [p for p in form.getlist("programmes") if isinstance(p, str)]
    try:
        days = {  # left empty: the agreement's defaults, as when the API is not sent them
            name: value
            for name in ("response_days", "receipt_days")
            if (value := whole_number(form, name, name)) is not None
        }
        currency = field(form, "currency")
        body = AgreementIn.model_validate(
            {
                "signed_on": field(form, "signed_on"),
                "valid_from": field(form, "valid_from"),
                "valid_to": field(form, "valid_to"),
                "programmes": programmes,
                **days,
                "yearly_quota": whole_number(form, "yearly_quota", "yearly quota"),
                "balance_model": field(form, "balance_model") or "pieces",
                "currency": currency.upper() if currency else None,
                "tolerance": decimal_number(form, "tolerance", "tolerance"),
            }
        )
        await asyncio.to_thread(agreements.create, ctx.engine, user.caller, code, body)
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        return await _partner_view(
            code,
            request,
            user,
            status_code=exc.status if isinstance(exc, Problem) else 422,
            refused=refusal(lang_for(request), exc, AGREEMENT_LABELS),
            sent={**kept(form, *AGREEMENT_LABELS), "programmes": programmes},
        )
    return redirect(back, Flash("ok", N_("Agreement recorded.")), request)


@router.get("/partners/{code}")
async def partner_page(code: str, request: Request, user: StaffUser) -> Response:
    return await _partner_view(code, request, user)


async def _partner_view(
    code: str, request: Request, user: SignedIn, status_code: int = 200, **form_state: object
) -> Response:
    """One partner's page, with the agreement form as it was sent when it was refused."""
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
    lang = lang_for(request)
    (partner,) = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today(), code)
    registered = await asyncio.to_thread(partner_registry.get, ctx.engine, caller, code)
    addresses = await asyncio.to_thread(partner_contacts.list_addresses, ctx.engine, caller, code)
    contacts = await asyncio.to_thread(partner_contacts.list_contacts, ctx.engine, caller, code)
    return render(
        request,
        "staff/partner.html",
        user,
        partner=partner,
        registered=registered,
        encoding_names=ENCODING_NAMES,
        agreements=signed,
        balances=balances,
        current=balances[-1] if balances else None,  # this year's: the running balance now
        money=money(lang),
        scale=scale,
        deliveries=deliveries,
        addresses=addresses,
        contacts=contacts,
        countries=country_choices(lang),
        keeps_contacts=permitted(caller, ACQUISITIONS_ROLES),
        status_code=status_code,
        **form_state,
    )
