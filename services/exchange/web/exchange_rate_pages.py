"""The staff page of exchange rates: what one unit of a currency was worth in another, per year.

A value-model balance adds declared values in the agreement's currency; a line in another
currency is converted at the rate staff recorded for the ledger entry's year, and is left
out (named as unconverted) until one is recorded. Every staff member reads the rates, since
they explain the balances; acquisitions staff and administrators record, replace and remove
them (``exchange_rates``, the same service as ``/api/v1/exchange-rates``, audited there).
"""

from __future__ import annotations

import asyncio
import functools
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError

from services.exchange.http.deps import ACQUISITIONS_ROLES, permitted, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.common import RequestModel
from services.exchange.schemas.reports import Currency, RateYear
from services.exchange.service import agreements, exchange_rates
from services.exchange.service.users import SignedIn
from services.exchange.web.forms import FormError, decimal_number, small_number, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.money import rate as written_rate
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

router = APIRouter(include_in_schema=False)

RATE_LABELS = {
    "year": N_("Year"),
    "currency": N_("Currency"),
    "to_currency": N_("Into currency"),
    "rate": N_("Rate: one unit is worth"),
}


class RateForm(RequestModel):
    """The form's fields, checked as the API checks its path and body."""

    year: RateYear
    currency: Currency
    to_currency: Currency
    rate: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]


@router.get("/exchange-rates")
async def rates_page(request: Request, user: StaffUser, year: str | None = None) -> Response:
    return await _rates_view(request, user, small_number(year))


async def _rates_view(
    request: Request,
    user: SignedIn,
    year: int | None,
    status_code: int = 200,
    **form_state: object,
) -> Response:
    """The rates of one year (or of all, newest year first), and the form to record one."""
    ctx = context(request)
    rates = await asyncio.to_thread(exchange_rates.list_rates, ctx.engine, user.caller, year)
    years = sorted({r.year for r in rates}, reverse=True)
    return render(
        request,
        "staff/exchange_rates.html",
        user,
        status_code=status_code,
        year=year,
        years=years,
        rates=rates,
        this_year=agreements.today().year,
        keeps_rates=permitted(user.caller, ACQUISITIONS_ROLES),
        rate=functools.partial(written_rate, lang_for(request)),
        **form_state,
    )


def _back(year: int | None) -> str:
    return f"/exchange-rates?year={year}" if year else "/exchange-rates"


@router.post("/exchange-rates")
async def record_rate(request: Request, user: StaffUser) -> Response:
    """Record a year's rate, or replace the one recorded; a refused form comes back as typed."""
    form = await posted_form(request, user)
    ctx = context(request)
    shown = small_number(field(form, "shown_year"))
    try:
        require_role(user.caller, *ACQUISITIONS_ROLES)
    except Problem as exc:
        return redirect(_back(shown), Flash("error", exc.detail), request)
    try:
        currency, to_currency = field(form, "currency"), field(form, "to_currency")
        body = RateForm.model_validate(
            {
                "year": whole_number(form, "year", "year"),
                "currency": currency.upper() if currency else None,
                "to_currency": to_currency.upper() if to_currency else None,
                "rate": decimal_number(form, "rate", "rate"),
            }
        )
        await asyncio.to_thread(
            exchange_rates.put_rate,
            ctx.engine,
            user.caller,
            body.year,
            body.currency,
            body.to_currency,
            body.rate,
        )
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        return await _rates_view(
            request,
            user,
            shown,
            status_code=exc.status if isinstance(exc, Problem) else 422,
            refused=refusal(lang_for(request), exc, RATE_LABELS),
            sent=kept(form, *RATE_LABELS),
        )
    return redirect(_back(body.year), Flash("ok", N_("Exchange rate recorded.")), request)


@router.post("/exchange-rates/{year}/{currency}/{to_currency}/remove")
async def remove_rate(
    year: int, currency: str, to_currency: str, request: Request, user: StaffUser
) -> Response:
    """Remove a rate recorded by mistake; its year's values in that currency go back to
    unconverted until another is recorded."""
    await posted_form(request, user)
    ctx = context(request)
    try:
        require_role(user.caller, *ACQUISITIONS_ROLES)
        await asyncio.to_thread(
            exchange_rates.delete_rate, ctx.engine, user.caller, year, currency, to_currency
        )
    except Problem as exc:
        if exc.status == 404:
            raise
        return redirect(_back(year), Flash("error", exc.detail), request)
    return redirect(_back(year), Flash("ok", N_("Exchange rate removed.")), request)
