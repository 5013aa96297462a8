"""Wish lists: a partner's under its path, ours at ``/wishlist``, under the ``wish lists`` tag.

A partner's key reads and changes its own list (another partner's is not found); acquisitions
staff read and change any and keep ours; other staff read them. The items are matched when a
list is published or a deposit arrives (``service/wish_matching.py``); ``hits`` says how often
each wish was met.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import (
    AcquisitionsDep,
    AcquisitionsOrPartnerDep,
    CallerDep,
    ContextDep,
    StaffDep,
)
from services.exchange.schemas.common import INT32_MAX, Page
from services.exchange.schemas.wishlists import WishIn, WishOut
from services.exchange.service import wishes

router = APIRouter(tags=["wish lists"], responses=PROBLEMS)

WishId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The wish's id, from the list")]


@router.get("/partners/{code}/wishlist")
def list_partner_wishes(
    code: str, ctx: ContextDep, caller: CallerDep, limit: Limit = 100, offset: Offset = 0
) -> Page[WishOut]:
    """The partner's wish list, newest first, each wish with its hits so far."""
    return wishes.list_wishes(ctx.engine, caller, code, limit, offset)


@router.post("/partners/{code}/wishlist", status_code=status.HTTP_201_CREATED)
def add_partner_wish(
    code: str, body: WishIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> WishOut:
    """Add a wish: an ISBN, an ISSN or a title (at least one), an author, and for a serial
    the volumes or years wanted ("vols 12-18", "2019-2023", hyphen or en dash)."""
    return wishes.add_wish(ctx.engine, caller, code, body)


@router.delete("/partners/{code}/wishlist/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_partner_wish(
    code: str, item_id: WishId, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> Response:
    """Remove a wish, and the record of what met it."""
    wishes.remove_wish(ctx.engine, caller, code, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/wishlist")
def list_our_wishes(
    ctx: ContextDep, caller: StaffDep, limit: Limit = 100, offset: Offset = 0
) -> Page[WishOut]:
    """Our wish list, matched against the lists partners offer us; newest first."""
    return wishes.list_wishes(ctx.engine, caller, None, limit, offset)


@router.post("/wishlist", status_code=status.HTTP_201_CREATED)
def add_our_wish(body: WishIn, ctx: ContextDep, caller: AcquisitionsDep) -> WishOut:
    """Add a wish to our list: an ISBN, an ISSN or a title (at least one)."""
    return wishes.add_wish(ctx.engine, caller, None, body)


@router.delete("/wishlist/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_our_wish(item_id: WishId, ctx: ContextDep, caller: AcquisitionsDep) -> Response:
    """Remove a wish from our list."""
    wishes.remove_wish(ctx.engine, caller, None, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
