"""The staff desk: dashboard, exchanges, the annual report, the fund and cataloguing.

Each handler reads through the service layer and renders; steps go through it too. New
proposals (``staff_proposals``) and the partners pages (``staff_partners``) have modules of
their own.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from marc.charsets import ENCODING_NAMES
from services.exchange.http.deps import LIFECYCLE_ROLES, permitted, require_role
from services.exchange.http.downloads import csv_download
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn
from services.exchange.service import (
    agreements,
    catalogue_queue,
    deposits,
    desk,
    fund,
    reports,
    staff_lists,
)
from services.exchange.service.keys import ACQUISITIONS
from services.exchange.service.list_orders import FUND_SORTABLE
from services.exchange.service.users import SignedIn
from services.exchange.web import cataloguing_upload
from services.exchange.web.abilities import abilities
from services.exchange.web.exchange_pages import PAGE_SIZE, exchange_listing
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.list_views import sort_links
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
from services.exchange.web.staff_lists import FUND_DEFAULT, exchange_terms

router = APIRouter(include_in_schema=False)


@router.get("/")
async def dashboard(request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    today = agreements.today()
    board = await asyncio.to_thread(desk.staff_dashboard, ctx.engine, user.caller, today)
    balances = []
    partner_names: dict[str, str] = {}
    if permitted(user.caller, LIFECYCLE_ROLES):
        for partner in await asyncio.to_thread(desk.partners, ctx.engine, today):
            partner_names[partner.code] = partner.name
            balances.append(
                await asyncio.to_thread(
                    reports.balance, ctx.engine, user.caller, partner.code, today.year
                )
            )
    return render(
        request,
        "staff/dashboard.html",
        user,
        board=board,
        balances=balances,
        partner_names=partner_names,
        start=await asyncio.to_thread(staff_lists.starting_points, ctx.engine),
    )


@router.get("/exchanges")
async def exchange_list(
    request: Request,
    user: StaffUser,
    partner: str | None = None,
    state: str | None = None,
    direction: str | None = None,
    year: Annotated[str | None, Query()] = None,
    q: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = context(request)
    terms = exchange_terms(partner, state, direction, year, q)
    listing = await exchange_listing(request, user, terms, page)
    partners = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today())
    return render(
        request,
        "staff/exchanges.html",
        user,
        **listing,
        partners=partners,
        years=list(range(agreements.today().year, agreements.today().year - 10, -1)),
        report_year=terms.year or agreements.today().year,
    )


@router.get("/reports/exchanges.csv")
async def exchanges_report(
    request: Request, user: StaffUser, year: Annotated[int, Query(ge=1900, le=2200)]
) -> Response:
    """The annual report, as ``GET /api/v1/reports/exchanges.csv`` gives it."""
    require_role(user.caller, ACQUISITIONS)
    ctx = context(request)
    return csv_download(reports.exchanges_csv(ctx.engine, year), f"exchanges-{year}.csv")


# --- the fund -----------------------------------------------------------------------------


@router.get("/fund")
async def fund_page(
    request: Request,
    user: StaffUser,
    q: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return await _fund_page(request, user, q, page)


async def _fund_page(
    request: Request,
    user: SignedIn,
    q: str | None,
    page: int,
    status_code: int = 200,
    **refused: object,
) -> Response:
    """The fund list and the deposit form; ``refused``: a refused deposit's ``refused`` (the
    reasons) and ``sent`` (what was typed), to show the form again."""
    ctx = context(request)
    links = sort_links(request, FUND_SORTABLE, FUND_DEFAULT, path="/fund")
    # The same search as the proposal page's: an ISBN or ISSN typed finds it by its number.
    found = await asyncio.to_thread(
        lambda: fund.search(
            ctx.engine,
            q,
            available_only=False,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            sort=links.sort,
        )
    )
    return render(
        request,
        "staff/fund.html",
        user,
        status_code,
        **refused,
        found=found,
        q=q or "",
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        links=links,
        retention=ctx.settings.retention_copies,
    )


DEPOSIT_LABELS = {
    "title": N_("Title"),
    "author": N_("Author"),
    "publisher": N_("Publisher"),
    "isbn": N_("ISBN"),
    "issn": N_("ISSN"),
    "year": N_("Year"),
    "copies": N_("Copies deposited"),
}


@router.post("/fund/deposits")
async def deposit(request: Request, user: StaffUser) -> Response:
    """Record a deposit; a refused one (a wrong ISBN check digit) comes back filled in, the
    reason beside the field."""
    form = await posted_form(request, user)
    ctx = context(request)
    try:
        require_role(user.caller, ACQUISITIONS)
        body = DepositIn.model_validate(
            {
                "title": field(form, "title"),
                "isbn": field(form, "isbn"),
                "issn": field(form, "issn"),
                "author": field(form, "author"),
                "publisher": field(form, "publisher"),
                "year": whole_number(form, "year", "year"),
                "copies": whole_number(form, "copies", "copies"),
            }
        )
        await deposits.deposit(ctx, user.caller, body)
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        return await _fund_page(
            request,
            user,
            None,
            1,
            status_code=exc.status if isinstance(exc, Problem) else 422,
            refused=refusal(lang_for(request), exc, DEPOSIT_LABELS),
            sent=kept(form, *DEPOSIT_LABELS),
        )
    return redirect("/fund", Flash("ok", N_("Deposit recorded.")), request)


# --- cataloguing --------------------------------------------------------------------------


@router.get("/cataloguing")
async def cataloguing_page(
    request: Request, user: StaffUser, exchange: str | None = None
) -> Response:
    sent = {"exchange_id": exchange or ""}
    targets = (
        await cataloguing_upload.targets(request, user)
        if abilities(user.caller).upload_marc
        else []
    )
    return await _cataloguing_view(request, user, 200, targets=targets, sent=sent)


async def _cataloguing_view(
    request: Request, user: SignedIn, status_code: int, **form_state: object
) -> Response:
    """The cataloguing page; ``form_state``: the upload form's exchanges and what was sent."""
    ctx = context(request)
    batches = await asyncio.to_thread(desk.batches, ctx.engine, user.caller, 50)
    waiting = await asyncio.to_thread(catalogue_queue.waiting_exchanges, ctx.engine)
    return render(
        request,
        "staff/cataloguing.html",
        user,
        batches=batches,
        waiting=waiting,
        encodings=ENCODING_NAMES,
        status_code=status_code,
        **form_state,
    )


@router.post("/cataloguing/upload")
async def upload_from_cataloguing(request: Request, user: StaffUser) -> Response:
    async def view(status_code: int, **form_state: object) -> Response:
        return await _cataloguing_view(request, user, status_code, **form_state)

    return await cataloguing_upload.upload(request, user, view)
