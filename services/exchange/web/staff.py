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

from marc.charsets import ENCODING_NAMES
from services.exchange.http.deps import LIFECYCLE_ROLES, permitted, require_role
from services.exchange.http.downloads import csv_download
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn
from services.exchange.service import agreements, desk, fund, reports
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.service.keys import ACQUISITIONS
from services.exchange.web.batch_pages import upload_marc
from services.exchange.web.exchange_pages import PAGE_SIZE, exchange_listing
from services.exchange.web.forms import FormError, small_number, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.pages import StaffUser, act, context, field, posted_form, render
from workflows.exchange.types import STATES

router = APIRouter(include_in_schema=False)


@router.get("/")
async def dashboard(request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    today = agreements.today()
    board = await asyncio.to_thread(desk.staff_dashboard, ctx.engine, user.caller, today)
    balances = []
    if permitted(user.caller, LIFECYCLE_ROLES):
        for partner in await asyncio.to_thread(desk.partners, ctx.engine, today):
            balances.append(
                await asyncio.to_thread(
                    reports.balance, ctx.engine, user.caller, partner.code, today.year
                )
            )
    return render(request, "staff/dashboard.html", user, board=board, balances=balances)


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
    terms = ListQuery(
        partner=partner or None,
        state=state if state in STATES else None,
        direction=direction if direction in ("outgoing", "incoming") else None,
        year=small_number(year),
        q=q or None,
    )
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
    ctx = context(request)
    found = await asyncio.to_thread(
        lambda: fund.list_fund(
            ctx.engine,
            q=q,
            isbn=None,
            available_only=False,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    )
    return render(
        request,
        "staff/fund.html",
        user,
        found=found,
        q=q or "",
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        retention=ctx.settings.retention_copies,
    )


@router.post("/fund/deposits")
async def deposit(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        require_role(user.caller, ACQUISITIONS)
        try:
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
        except FormError as exc:
            raise Problem(422, "validation-error", str(exc)) from None
        await asyncio.to_thread(fund.deposit, ctx.engine, body, ctx.settings.retention_copies)

    return await act(request, "/fund", run, N_("Deposit recorded."))


# --- cataloguing --------------------------------------------------------------------------


@router.get("/cataloguing")
async def cataloguing_page(
    request: Request, user: StaffUser, exchange: str | None = None
) -> Response:
    ctx = context(request)
    batches = await asyncio.to_thread(desk.batches, ctx.engine, user.caller, 50)
    return render(
        request,
        "staff/cataloguing.html",
        user,
        batches=batches,
        exchange=exchange or "",
        encodings=ENCODING_NAMES,
    )


@router.post("/cataloguing/upload")
async def cataloguing_upload(request: Request, user: StaffUser) -> Response:
    form = await request.form()
    exchange_id = form.get("exchange_id")
    target = exchange_id.strip() if isinstance(exchange_id, str) and exchange_id.strip() else None
    return await upload_marc(request, user, target, "/cataloguing", "")
