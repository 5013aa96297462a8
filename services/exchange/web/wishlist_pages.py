"""Staff pages for wish lists (desiderata): ours, and each partner's.

Our wish list (``/wishlist``) is matched against the lists partners offer us; a partner's
(``/partners/{code}/wishlist``, linked from its page) against the lists we publish and our
deposits, so staff can see, and keep for a partner that sends its desiderata by post, what
it is waiting for. One template serves both; the service (``service/wishes.py``) decides
who may read and change which list, reads a range of volumes or years, and refuses a wish
with nothing to match by.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.exchange.problems import Problem, not_found
from services.exchange.schemas.wishlists import WishIn
from services.exchange.service import agreements, desk, wishes
from services.exchange.service.users import SignedIn
from services.exchange.web.abilities import require
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    act,
    context,
    field,
    lang_for,
    page_base,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import kept, mendable, refusal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
WISH_LABELS = {
    "isbn": N_("ISBN"),
    "issn": N_("ISSN"),
    "title": N_("Title"),
    "author": N_("Author"),
    "volumes": N_("Volumes or years (serials)"),
    "note": N_("Note (optional)"),
}


def _address(code: str | None) -> str:
    return f"/partners/{code}/wishlist" if code else "/wishlist"


async def _view(
    request: Request,
    user: SignedIn,
    code: str | None,
    page: int,
    status_code: int = 200,
    **form_state: object,
) -> Response:
    """One wish list and its add form; ``form_state``: a refused wish as typed, and why."""
    ctx = context(request)
    found = await asyncio.to_thread(
        wishes.list_wishes, ctx.engine, user.caller, code, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    name = None
    if code is not None:
        rows = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today(), code)
        if not rows:
            raise not_found(f"partner {code}")
        name = rows[0].name
    path = _address(code)
    return render(
        request,
        "staff/wishlist.html",
        user,
        status_code,
        found=found,
        code=code,
        partner_name=name,
        path=path,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        base=page_base(request, path),
        **form_state,
    )


async def _add(request: Request, user: SignedIn, code: str | None) -> Response:
    """Add a wish; a refused one comes back filled in, the reason beside its field."""
    form = await posted_form(request, user)
    require(user.caller, "wish")
    ctx = context(request)
    try:
        body = WishIn.model_validate({name: field(form, name) for name in WISH_LABELS})
        await asyncio.to_thread(wishes.add_wish, ctx.engine, user.caller, code, body)
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        return await _view(
            request,
            user,
            code,
            1,
            exc.status if isinstance(exc, Problem) else 422,
            refused=refusal(lang_for(request), exc, WISH_LABELS),
            sent=kept(form, *WISH_LABELS),
        )
    return redirect(_address(code), Flash("ok", N_("Added to the wish list.")), request)


async def _remove(request: Request, user: SignedIn, code: str | None, wish_id: int) -> Response:
    await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        require(user.caller, "wish")
        await asyncio.to_thread(wishes.remove_wish, ctx.engine, user.caller, code, wish_id)

    return await act(request, _address(code), run, N_("Removed from the wish list."))


@router.get("/wishlist")
async def our_wishlist(
    request: Request, user: StaffUser, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    return await _view(request, user, None, page)


@router.post("/wishlist")
async def add_our_wish(request: Request, user: StaffUser) -> Response:
    return await _add(request, user, None)


@router.post("/wishlist/{wish_id}/remove")
async def remove_our_wish(wish_id: int, request: Request, user: StaffUser) -> Response:
    return await _remove(request, user, None, wish_id)


@router.get("/partners/{code}/wishlist")
async def partner_wishlist(
    code: str,
    request: Request,
    user: StaffUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return await _view(request, user, code, page)


@router.post("/partners/{code}/wishlist")
async def add_partner_wish(code: str, request: Request, user: StaffUser) -> Response:
    return await _add(request, user, code)


@router.post("/partners/{code}/wishlist/{wish_id}/remove")
async def remove_partner_wish(
    code: str, wish_id: int, request: Request, user: StaffUser
) -> Response:
    return await _remove(request, user, code, wish_id)
