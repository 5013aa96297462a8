"""The staff desk: dashboard, exchanges, new proposals from the fund, fund, cataloguing,
partners. Each handler reads through the service layer and renders; steps go through it too."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

import marc
from services.exchange.http.deps import LIFECYCLE_ROLES, permitted, require_role
from services.exchange.http.downloads import csv_download
from services.exchange.problems import Problem
from services.exchange.schemas import (
    AgreementIn,
    DepositIn,
    FundItemOut,
    LineIn,
    PartnerIn,
    ProposalIn,
)
from services.exchange.service import (
    agreements,
    desk,
    exchanges,
    fund,
    reports,
    webhooks,
)
from services.exchange.service import partners as partner_registry
from services.exchange.service.keys import ACQUISITIONS
from services.exchange.web.exchange_pages import (
    PAGE_SIZE,
    FormError,
    exchange_listing,
    upload_marc,
    whole_number,
)
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
from workflows.exchange.types import STATES

router = APIRouter(include_in_schema=False)
_DIGITS = re.compile(r"[0-9]{1,9}")


def _today() -> date:
    """The service's day (UTC), the same one that decides agreements and deadlines."""
    return agreements.today()


def _small_number(value: str | None) -> int | None:
    """A count or id from a query string; anything else (or absurdly large) is ignored."""
    return int(value) if value and _DIGITS.fullmatch(value) else None


@router.get("/")
async def dashboard(request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    today = _today()
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
    terms = desk.Search(
        partner=partner or None,
        state=state if state in STATES else None,
        direction=direction if direction in ("outgoing", "incoming") else None,
        year=_small_number(year),
        q=q or None,
    )
    listing = await exchange_listing(request, user, terms, page)
    partners = await asyncio.to_thread(desk.partners, ctx.engine, _today())
    return render(
        request,
        "staff/exchanges.html",
        user,
        **listing,
        partners=partners,
        years=list(range(_today().year, _today().year - 10, -1)),
        report_year=terms.year or _today().year,
    )


@router.get("/reports/exchanges.csv")
async def exchanges_report(
    request: Request, user: StaffUser, year: Annotated[int, Query(ge=1900, le=2200)]
) -> Response:
    """The annual report, as ``GET /api/v1/reports/exchanges.csv`` gives it."""
    require_role(user.caller, ACQUISITIONS)
    ctx = context(request)
    return csv_download(reports.exchanges_csv(ctx.engine, year), f"exchanges-{year}.csv")


# --- a new proposal from the fund ---------------------------------------------------------


def _picks(values: list[str]) -> dict[int, int]:
    """Chosen fund items carried from page to page as ``id:copies``."""
    chosen: dict[int, int] = {}
    for value in values:
        item, _, copies = value.partition(":")
        item_id, count = _small_number(item), _small_number(copies)
        if item_id is not None and count:
            chosen[item_id] = count
    return chosen


@router.get("/proposals/new")
async def new_proposal(
    request: Request,
    user: StaffUser,
    partner: str | None = None,
    q: str | None = None,
    respond_by: str | None = None,
) -> Response:
    ctx = context(request)
    picks = _picks(request.query_params.getlist("pick"))
    partners = [
        p
        for p in await asyncio.to_thread(desk.partners, ctx.engine, _today())
        if p.agreement_valid_to is not None
    ]
    # An ISBN in the search box finds the publication by ISBN; words search title and author.
    isbn = marc.normalise_isbn(q) if q else None
    found = await asyncio.to_thread(
        lambda: fund.list_fund(
            ctx.engine, q=None if isbn else q, isbn=isbn, available_only=True, limit=50, offset=0
        )
    )
    chosen = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
    return render(
        request,
        "staff/proposal_new.html",
        user,
        partners=partners,
        partner=partner,
        q=q or "",
        respond_by=respond_by or "",
        found=found.items,
        chosen=[(item, picks[item.id]) for item in chosen],
        picked=picks,
    )


def _proposal_from(
    form_picks: dict[int, int],
    partner: str | None,
    respond_by: str | None,
    items: list[FundItemOut],
) -> ProposalIn:
    return ProposalIn.model_validate(
        {
            "partner": partner,
            "respond_by": respond_by,
            "lines": [
                LineIn(
                    title=item.title,
                    isbn=item.isbn,
                    issn=item.issn,
                    author=item.author,
                    year=item.year,
                    record_id=item.id,
                    quantity=form_picks[item.id],
                ).model_dump()
                for item in items
            ],
        }
    )


def _form_picks(form: FormData) -> dict[int, int]:
    picks = _picks([v for v in form.getlist("pick") if isinstance(v, str)])
    for name in form:
        item_id = _small_number(name[4:]) if name.startswith("qty-") else None
        if item_id is not None:
            copies = whole_number(form, name, "copies")
            if copies:
                picks[item_id] = copies
            else:
                picks.pop(item_id, None)
    return picks


@router.post("/proposals/review")
async def review_proposal(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    partner = field(form, "partner")
    respond_by = field(form, "respond_by")
    try:
        picks = _form_picks(form)
    except FormError as exc:
        return redirect("/proposals/new", Flash("error", str(exc)), request)
    items = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
    problem = None
    if not partner:
        problem = "choose the partner library"
    elif not items:
        problem = "choose at least one item and the number of copies"
    else:
        try:
            _proposal_from(picks, partner, respond_by, items)
        except ValidationError as exc:
            problem = describe(exc)
    return render(
        request,
        "staff/proposal_review.html",
        user,
        partner=partner,
        respond_by=respond_by or "",
        chosen=[(item, picks[item.id]) for item in items],
        problem=problem,
    )


@router.post("/proposals")
async def send_proposal(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    created: list[str] = []

    async def run() -> None:
        require_role(user.caller, ACQUISITIONS)
        picks = _form_picks(form)
        items = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
        if not items:
            raise Problem(422, "validation-error", "choose at least one item from the fund")
        body = _proposal_from(picks, field(form, "partner"), field(form, "respond_by"), items)
        out = await exchanges.propose(ctx, user.caller, body)
        created.append(out.id)

    try:
        response = await act(request, "/proposals/new", run, "")
    except FormError as exc:
        return redirect("/proposals/new", Flash("error", str(exc)), request)
    if created:
        return redirect(f"/exchanges/{created[0]}", Flash("ok", "Proposal sent."), request)
    return response


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

    return await act(request, "/fund", run, "Deposit recorded.")


# --- cataloguing --------------------------------------------------------------------------


@router.get("/cataloguing")
async def cataloguing_page(
    request: Request, user: StaffUser, exchange: str | None = None
) -> Response:
    ctx = context(request)
    batches = await asyncio.to_thread(desk.batches, ctx.engine, user.caller, 50)
    return render(request, "staff/cataloguing.html", user, batches=batches, exchange=exchange or "")


@router.post("/cataloguing/upload")
async def cataloguing_upload(request: Request, user: StaffUser) -> Response:
    form = await request.form()
    exchange_id = form.get("exchange_id")
    target = exchange_id.strip() if isinstance(exchange_id, str) and exchange_id.strip() else None
    return await upload_marc(request, user, target, "/cataloguing", "")


# --- partners -----------------------------------------------------------------------------


@router.get("/partners")
async def partners_page(request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    rows = await asyncio.to_thread(desk.partners, ctx.engine, _today())
    return render(request, "staff/partners.html", user, partners=rows)


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

    return await act(request, f"/partners/{code}", run, "Agreement recorded.")


@router.get("/partners/{code}")
async def partner_page(code: str, request: Request, user: StaffUser) -> Response:
    ctx = context(request)
    caller = require_role(user.caller, *LIFECYCLE_ROLES)
    this_year = _today().year
    signed = await asyncio.to_thread(agreements.list_for, ctx.engine, caller, code)
    years = await asyncio.to_thread(desk.ledger_years, ctx.engine, code, this_year)
    balances = [
        await asyncio.to_thread(reports.balance, ctx.engine, caller, code, year) for year in years
    ]
    deliveries = await asyncio.to_thread(webhooks.list_deliveries, ctx.engine, caller, code, 50, 0)
    scale = max([1] + [max(b.sent.copies, b.received.copies) for b in balances])
    (partner,) = await asyncio.to_thread(desk.partners, ctx.engine, _today(), code)
    return render(
        request,
        "staff/partner.html",
        user,
        partner=partner,
        agreements=signed,
        balances=balances,
        scale=scale,
        deliveries=deliveries,
    )
