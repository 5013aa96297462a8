"""A new proposal from the fund: staff pick fund items and copies, review, and send.

The picks travel from page to page in the query string and the form (``pick=id:copies``),
so nothing is kept on the server until the proposal is sent through the same service as
``POST /api/v1/exchanges``. The search box is part of the proposal's form: searching posts
the partner, the deadline and every quantity typed, and comes back to an address that holds
them all, so a search loses nothing. Only those who may propose see these pages.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn, ProposalIn
from services.exchange.schemas.fund import FundItemOut
from services.exchange.service import agreements, desk, fund, proposals
from services.exchange.web.abilities import require
from services.exchange.web.forms import FormError, small_number, whole_number
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


def _picks(values: list[str]) -> dict[int, int]:
    """Chosen fund items carried from page to page as ``id:copies``."""
    chosen: dict[int, int] = {}
    for value in values:
        item, _, copies = value.partition(":")
        item_id, count = small_number(item), small_number(copies)
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
    require(user.caller, "propose")
    ctx = context(request)
    picks = _picks(request.query_params.getlist("pick"))
    partners = [
        p
        for p in await asyncio.to_thread(desk.partners, ctx.engine, agreements.today())
        if p.agreement_valid_to is not None
    ]
    # The fund page's search: an ISBN or ISSN finds the publication, words title and author.
    found = await asyncio.to_thread(
        lambda: fund.search(ctx.engine, q, available_only=True, limit=50, offset=0)
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
        item_id = small_number(name[4:]) if name.startswith("qty-") else None
        if item_id is not None:
            copies = whole_number(form, name, "copies")
            if copies:
                picks[item_id] = copies
            else:
                picks.pop(item_id, None)
    return picks


def _address(
    partner: str | None, respond_by: str | None, q: str | None, picks: dict[int, int]
) -> str:
    """The proposal page holding these choices (the address "Change the items" also uses)."""
    kept = [("partner", partner), ("respond_by", respond_by), ("q", q)]
    query = [(name, value) for name, value in kept if value]
    query += [("pick", f"{item}:{copies}") for item, copies in picks.items()]
    return "/proposals/new" + (f"?{urlencode(query)}" if query else "")


@router.post("/proposals/new")
async def search_keeping_choices(request: Request, user: StaffUser) -> Response:
    """The form's search button: back to the page with the new search and every choice."""
    form = await posted_form(request, user)
    require(user.caller, "propose")
    flash = None
    try:
        picks = _form_picks(form)
    except FormError as exc:
        picks = _picks([v for v in form.getlist("pick") if isinstance(v, str)])
        flash = Flash("error", str(exc))
    target = _address(field(form, "partner"), field(form, "respond_by"), field(form, "q"), picks)
    return redirect(target, flash, request)


@router.post("/proposals/review")
async def review_proposal(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    require(user.caller, "propose")
    ctx = context(request)
    partner = field(form, "partner")
    respond_by = field(form, "respond_by")
    try:
        picks = _form_picks(form)
    except FormError as exc:
        kept = _picks([v for v in form.getlist("pick") if isinstance(v, str)])
        back = _address(partner, respond_by, field(form, "q"), kept)
        return redirect(back, Flash("error", str(exc)), request)
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
        require(user.caller, "propose")
        picks = _form_picks(form)
        items = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
        if not items:
            raise Problem(422, "validation-error", "choose at least one item from the fund")
        body = _proposal_from(picks, field(form, "partner"), field(form, "respond_by"), items)
        out = await proposals.propose(ctx, user.caller, body)
        created.append(out.id)

    try:
        response = await act(request, "/proposals/new", run, "")
    except FormError as exc:
        return redirect("/proposals/new", Flash("error", str(exc)), request)
    if created:
        return redirect(f"/exchanges/{created[0]}", Flash("ok", N_("Proposal sent.")), request)
    return response
