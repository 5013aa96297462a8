"""The partner portal: the partner's wish list (desiderata), which our lists and deposits are
matched against (``service/wish_matching.py``); adding and removing wishes is
``service/wishes.py``'s, with its rules (a wish needs an ISBN, an ISSN or a title)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.exchange.problems import Problem
from services.exchange.schemas.wishlists import WishIn
from services.exchange.service import wishes
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    PartnerUser,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import Refusal, kept, mendable, refusal

router = APIRouter(include_in_schema=False)  # under the portal's /partner (portal_offer_lists)

WISH_PAGE = 100
WISH_ADDED = N_("Added to your wish list.")
WISH_REMOVED = N_("Removed from your wish list.")

WISH_LABELS = {
    "isbn": N_("ISBN"),
    "issn": N_("ISSN"),
    "title": N_("Title"),
    "author": N_("Author"),
    "volumes": N_("Volumes or years"),
    "note": N_("Note"),
}


# --- The partner's wish list ----------------------------------------------------------


async def _wish_page(
    request: Request,
    user: PartnerUser,
    page: int = 1,
    status: int = 200,
    refused: Refusal | None = None,
    sent: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    found = await asyncio.to_thread(
        wishes.list_wishes,
        ctx.engine,
        user.caller,
        user.caller.party,
        WISH_PAGE,
        (page - 1) * WISH_PAGE,
    )
    return render(
        request,
        "portal/wishlist.html",
        user,
        status,
        wishes=found.items,
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // WISH_PAGE)),
        base="/partner/wishlist?",
        refused=refused,
        sent=sent or {},
    )


@router.get("/wishlist")
async def portal_wishlist(
    request: Request, user: PartnerUser, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    return await _wish_page(request, user, page)


@router.post("/wishlist")
async def add_wish(request: Request, user: PartnerUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    try:
        body = WishIn.model_validate({name: field(form, name) for name in WISH_LABELS})
        await asyncio.to_thread(wishes.add_wish, ctx.engine, user.caller, user.caller.party, body)
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        status = exc.status if isinstance(exc, Problem) else 422
        refused = refusal(lang_for(request), exc, WISH_LABELS)
        return await _wish_page(request, user, 1, status, refused, kept(form, *WISH_LABELS))
    return redirect("/partner/wishlist", Flash("ok", WISH_ADDED), request)


@router.post("/wishlist/{wish_id}/remove")
async def remove_wish(wish_id: int, request: Request, user: PartnerUser) -> Response:
    await posted_form(request, user)
    ctx = context(request)
    await asyncio.to_thread(wishes.remove_wish, ctx.engine, user.caller, user.caller.party, wish_id)
    return redirect("/partner/wishlist", Flash("ok", WISH_REMOVED), request)
