"""Staff pages for offer lists: ours to many partners at once, and partners' lists to us.

The rules (who may, what a state allows, which copies are free, first come first served)
are the service's (``service/offer_lists.py``); these handlers read forms, call it, and
render. A new list has its own module (``offer_list_new``). On one of our lists staff see
each item's copies offered, taken and left, and who took what; on a partner's list, what
our catalogue already holds of each item and which are on our wish list, and select from
it. Closing a list early asks first, on a page of its own, since it cannot be undone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.common import Page
from services.exchange.schemas.offer_lists import (
    DIRECTIONS,
    OFFER_LIST_STATES,
    CloseIn,
    ExtendIn,
    OfferListOut,
    OfferListSummary,
    SelectionIn,
)
from services.exchange.service import agreements, desk, offer_lists
from services.exchange.service.users import SignedIn
from services.exchange.web import balance_previews, offer_list_new
from services.exchange.web.abilities import require
from services.exchange.web.forms import FormError
from services.exchange.web.i18n import N_
from services.exchange.web.list_views import chunks
from services.exchange.web.money import money
from services.exchange.web.offer_list_new import typed_copies
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
from services.exchange.web.refusals import mendable, refusal

router = APIRouter(include_in_schema=False)
router.include_router(offer_list_new.router)  # /offer-lists/new before /offer-lists/{id}

PAGE_SIZE = 50
CONFIRMED_FIELD = "confirmed"
EXTEND_LABELS = {"closes_on": N_("New closing day")}


# --- the lists ------------------------------------------------------------------------------


async def _partner_names(request: Request) -> dict[str, str]:
    rows = await asyncio.to_thread(desk.partners, context(request).engine, agreements.today())
    return {row.code: row.name for row in rows}


def _one_partners(
    read: Callable[[int, int], Page[OfferListSummary]], code: str, page: int
) -> Page[OfferListSummary]:
    """One page of the lists a partner offers us. The service lists by state and direction
    only, so its incoming lists are read through and kept here: a partner offers a few lists
    a year, so this reads little."""
    rows = [row for row in chunks(lambda n, at: read(n, at).items) if row.partner == code]
    start = (page - 1) * PAGE_SIZE
    return Page(
        items=rows[start : start + PAGE_SIZE], total=len(rows), limit=PAGE_SIZE, offset=start
    )


@router.get("/offer-lists")
async def lists_page(
    request: Request,
    user: StaffUser,
    state: str | None = None,
    direction: str | None = None,
    partner: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Our lists and partners' lists, by state and direction; ``partner``: the lists that
    partner offers us (its page links here)."""
    ctx = context(request)
    state = state if state in OFFER_LIST_STATES else None
    direction = "incoming" if partner else direction if direction in DIRECTIONS else None

    def read(limit: int, offset: int) -> Page[OfferListSummary]:
        return offer_lists.list_lists(
            ctx.engine, user.caller, state=state, direction=direction, limit=limit, offset=offset
        )

    if partner:
        found = await asyncio.to_thread(_one_partners, read, partner, page)
    else:
        found = await asyncio.to_thread(read, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render(
        request,
        "staff/offer_lists.html",
        user,
        found=found,
        state=state,
        direction=direction,
        partner=partner,
        states=OFFER_LIST_STATES,
        names=await _partner_names(request),
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        base=page_base(request, "/offer-lists"),
    )


# --- one list -------------------------------------------------------------------------------


def taken_copies(view: OfferListOut) -> dict[int, int]:
    """Copies of each item that partners' selections hold (open or submitted ones)."""
    taken: dict[int, int] = {}
    for selection in view.selections or []:
        if selection.state == "released":
            continue
        for line in selection.items:
            taken[line.item_id] = taken.get(line.item_id, 0) + line.copies
    return taken


@router.get("/offer-lists/{list_id}")
async def list_page(list_id: str, request: Request, user: StaffUser) -> Response:
    return await _list_view(request, user, list_id)


async def _list_view(
    request: Request, user: SignedIn, list_id: str, status_code: int = 200, **state: object
) -> Response:
    ctx = context(request)
    view = await asyncio.to_thread(
        offer_lists.read_list, ctx.engine, ctx.settings, user.caller, list_id
    )
    titles = {item.id: item.title for item in view.item_list}
    preview = await asyncio.to_thread(balance_previews.selection, ctx.engine, user.caller, view)
    return render(
        request,
        "staff/offer_list.html",
        user,
        status_code,
        x=view,
        names=await _partner_names(request),
        taken=taken_copies(view),
        titles=titles,
        today=agreements.today(),
        balance_preview=preview,
        money=money(lang_for(request)),
        **state,
    )


def _page(list_id: str) -> str:
    return f"/offer-lists/{list_id}"


@router.post("/offer-lists/{list_id}/publish")
async def publish(list_id: str, request: Request, user: StaffUser) -> Response:
    await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        require(user.caller, "offer")
        await offer_lists.publish(ctx, user.caller, list_id)

    return await act(request, _page(list_id), run, N_("Published: the partners are told."))


@router.get("/offer-lists/{list_id}/close")
async def confirm_close(
    list_id: str, request: Request, user: StaffUser, note: str | None = None
) -> Response:
    """Closing before the closing day asks first: what it does, and a last chance."""
    require(user.caller, "offer")
    ctx = context(request)
    view = await asyncio.to_thread(
        offer_lists.read_list, ctx.engine, ctx.settings, user.caller, list_id
    )
    if view.state != "published":
        refused = Flash("error", N_("Only a published list can be closed."))
        return redirect(_page(view.id), refused, request)
    return render(
        request,
        "staff/offer_list_close.html",
        user,
        x=view,
        note=(note or "").strip()[:4000],
        confirmed_field=CONFIRMED_FIELD,
    )


@router.post("/offer-lists/{list_id}/close")
async def close(list_id: str, request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    note = field(form, "note")
    if form.get(CONFIRMED_FIELD) != "yes":  # not from the confirmation page: ask first
        query = f"?{urlencode({'note': note})}" if note else ""
        return redirect(f"{_page(list_id)}/close{query}")

    async def run() -> None:
        require(user.caller, "offer")
        await offer_lists.close(ctx, user.caller, list_id, CloseIn(note=note))

    done = N_("Closed: the partners are told, and the copies nobody took stay in the fund.")
    return await act(request, _page(list_id), run, done)


@router.post("/offer-lists/{list_id}/extend")
async def extend(list_id: str, request: Request, user: StaffUser) -> Response:
    """A new closing day; a refused one comes back on the page beside the field."""
    form = await posted_form(request, user)
    ctx = context(request)
    require(user.caller, "offer")
    try:
        body = ExtendIn.model_validate({"closes_on": field(form, "closes_on")})
        await offer_lists.extend(ctx, user.caller, list_id, body)
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        return await _list_view(
            request,
            user,
            list_id,
            exc.status if isinstance(exc, Problem) else 422,
            extend_refused=refusal(lang_for(request), exc, EXTEND_LABELS),
            extend_sent={"closes_on": form.get("closes_on") or ""},
        )
    return redirect(_page(list_id), Flash("ok", N_("The closing day is changed.")), request)


# --- our selection from a partner's list ----------------------------------------------------

SELECTION_LABELS = {"items": N_("Our selection")}


def _selection(form: FormData, view: OfferListOut) -> SelectionIn:
    """The whole selection as typed: every item of the list, 0 where nothing is wanted."""
    typed = typed_copies(form, "take-")
    return SelectionIn.model_validate(
        {"items": [{"item_id": i.id, "copies": typed.get(i.id, 0)} for i in view.item_list]}
    )


async def _select(request: Request, user: SignedIn, list_id: str, then_submit: bool) -> Response:
    """Save the selection as typed (and submit it, on to its exchange); a refused one is the
    page again with the reason and every quantity as typed, the item at fault marked
    (another side's claim on the last copy a moment earlier)."""
    form = await posted_form(request, user)
    require(user.caller, "offer")
    ctx = context(request)
    try:
        view = await asyncio.to_thread(
            offer_lists.read_list, ctx.engine, ctx.settings, user.caller, list_id
        )
        await asyncio.to_thread(
            offer_lists.set_selection, ctx.engine, user.caller, view.id, _selection(form, view)
        )
        out = await offer_lists.submit(ctx, user.caller, view.id) if then_submit else None
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        typed = {
            name[len("take-") :]: value
            for name, value in form.multi_items()
            if name.startswith("take-") and isinstance(value, str)
        }
        return await _list_view(
            request,
            user,
            list_id,
            exc.status if isinstance(exc, Problem) else 422,
            selection_refused=refusal(lang_for(request), exc, SELECTION_LABELS),
            selection_sent=typed,
            selection_fault=exc.extra.get("item_id") if isinstance(exc, Problem) else None,
        )
    if out is None:
        saved = Flash("ok", N_("Selection saved; the copies are held."))
        return redirect(_page(list_id), saved, request)
    number = out.exchange_number or out.exchange_id[:8]
    done = N_("Selection submitted: exchange {number} is accepted.").format(number=number)
    return redirect(f"/exchanges/{out.exchange_id}", Flash("ok", done), request)


@router.post("/offer-lists/{list_id}/selection")
async def select(list_id: str, request: Request, user: StaffUser) -> Response:
    return await _select(request, user, list_id, then_submit=False)


@router.post("/offer-lists/{list_id}/selection/submit")
async def submit(list_id: str, request: Request, user: StaffUser) -> Response:
    """Save the selection as typed, then submit it: it becomes one incoming exchange."""
    return await _select(request, user, list_id, then_submit=True)
