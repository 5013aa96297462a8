"""The partner portal: a partner library's users see and act on their own exchanges only.

The caller is the partner, exactly as with the partner's API key, so every rule and every
404 for someone else's exchange comes from the same service layer.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import ProposalIn
from services.exchange.service import desk, proposals
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.web.exchange_pages import exchange_listing
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    PartnerUser,
    act,
    context,
    field,
    posted_form,
    redirect,
    render,
)
from workflows.exchange.types import STATES

router = APIRouter(prefix="/partner", include_in_schema=False)
OFFER_ROWS = 8


@router.get("/")
async def portal_home(request: Request, user: PartnerUser) -> Response:
    ctx = context(request)
    board = await asyncio.to_thread(desk.partner_dashboard, ctx.engine, user.caller)
    return render(request, "portal/dashboard.html", user, board=board)


@router.get("/exchanges")
async def portal_exchanges(
    request: Request,
    user: PartnerUser,
    state: str | None = None,
    q: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    terms = ListQuery(state=state if state in STATES else None, q=q or None)
    listing = await exchange_listing(request, user, terms, page)
    return render(request, "portal/exchanges.html", user, **listing)


@router.get("/offers/new")
async def new_offer(request: Request, user: PartnerUser) -> Response:
    return render(request, "portal/offer_new.html", user, rows=range(1, OFFER_ROWS + 1))


@router.post("/offers")
async def send_offer(request: Request, user: PartnerUser) -> Response:
    """A partner offers publications to us: an incoming proposal, as POST /api/v1/exchanges."""
    form = await posted_form(request, user)
    ctx = context(request)
    created: list[str] = []

    async def run() -> None:
        lines: list[dict[str, Any]] = []
        try:
            for row in range(1, OFFER_ROWS + 1):
                title = field(form, f"title-{row}")
                if title is None:
                    continue
                copies = whole_number(form, f"quantity-{row}", "copies")
                lines.append(
                    {
                        "title": title,
                        "isbn": field(form, f"isbn-{row}"),
                        "author": field(form, f"author-{row}"),
                        "year": whole_number(form, f"year-{row}", "year"),
                        "quantity": 1 if copies is None else copies,
                    }
                )
        except FormError as exc:
            raise Problem(422, "validation-error", str(exc)) from None
        if not lines:
            raise Problem(422, "validation-error", "give at least one title")
        body = ProposalIn.model_validate({"lines": lines, "respond_by": field(form, "respond_by")})
        out = await proposals.propose(ctx, user.caller, body)
        created.append(out.id)

    response = await act(request, "/partner/offers/new", run, "")
    if created:
        return redirect(f"/partner/exchanges/{created[0]}", Flash("ok", N_("Offer sent.")), request)
    return response
