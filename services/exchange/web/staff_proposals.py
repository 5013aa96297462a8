"""A new proposal from the fund: staff pick fund items and copies, review, and send.

The picks travel from page to page in the query string and the form (``pick=id:copies``),
so nothing is kept on the server until the proposal is sent through the same service as
``POST /api/v1/exchanges``.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

import marc
from services.exchange.http.deps import require_role
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn, ProposalIn
from services.exchange.schemas.fund import FundItemOut
from services.exchange.service import agreements, desk, fund, proposals
from services.exchange.service.keys import ACQUISITIONS
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
    ctx = context(request)
    picks = _picks(request.query_params.getlist("pick"))
    partners = [
        p
        for p in await asyncio.to_thread(desk.partners, ctx.engine, agreements.today())
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
        item_id = small_number(name[4:]) if name.startswith("qty-") else None
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
        out = await proposals.propose(ctx, user.caller, body)
        created.append(out.id)

    try:
        response = await act(request, "/proposals/new", run, "")
    except FormError as exc:
        return redirect("/proposals/new", Flash("error", str(exc)), request)
    if created:
        return redirect(f"/exchanges/{created[0]}", Flash("ok", N_("Proposal sent.")), request)
    return response
