"""The partner portal's offer lists: a partner library selects from our lists (and reads
its own lists offered to us: ``portal_own_lists``; its wish list: ``portal_wishlist``).

The caller is the partner, exactly as with its API key, so what it may see and take (only the
lists addressed to it, first come first served, 404 for anything else) is decided by the
service layer (``service/offer_lists.py``, ``offer_selections.py``, ``wishes.py``); these
handlers only read forms, call it and render. A refused selection (another partner took the
last copy a moment earlier) comes back with the quantities as typed and the reason beside the
item, so nothing the reader typed is lost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferListOut, OfferListSummary, SelectionIn
from services.exchange.service import offer_lists, offer_selections
from services.exchange.service.keys import Caller
from services.exchange.settings import Settings
from services.exchange.web import portal_own_lists, portal_wishlist
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.pages import (
    Flash,
    PartnerUser,
    context,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import Refusal, mendable, refusal

router = APIRouter(prefix="/partner", include_in_schema=False)
# First, so that /offer-lists/new is not taken for a list's id.
router.include_router(portal_own_lists.router)
router.include_router(portal_wishlist.router)

OPEN_LISTS = 100
CONFIRMED_FIELD = "confirmed"
COPIES = "copies-{item_id}"

SAVED = N_("Selection saved.")
TAKEN_FIRST = N_("another library selected the last copy first")
NOTHING_SELECTED = N_("Choose at least one copy before you submit the selection.")
NOT_CONFIRMED = N_("The selection was not submitted: confirm it on this page.")


@dataclass(frozen=True, slots=True)
class ListRow:
    """A list on the portal's overview: its summary, and what in it is for this reader."""

    summary: OfferListSummary
    fitting: int  # items still available that fit the reader's profile
    wished: int  # items still available that are on the reader's wish list
    selected: int  # copies the reader's own selection holds
    submitted: bool


def _row(engine: Any, settings: Settings, caller: Caller, summary: OfferListSummary) -> ListRow:
    view = offer_lists.read_list(engine, settings, caller, summary.id)
    left = [item for item in view.item_list if item.copies_available > 0]
    selection = view.selection
    return ListRow(
        summary=summary,
        fitting=sum(1 for item in left if item.fits_profile),
        wished=sum(1 for item in left if item.on_wishlist),
        selected=selection.copies if selection else 0,
        submitted=bool(selection and selection.state == "submitted"),
    )


def open_lists(engine: Any, settings: Settings, caller: Caller) -> list[ListRow]:
    """Our published lists addressed to the partner, the soonest to close first, each with
    what in it is for this reader."""
    return [_row(engine, settings, caller, s) for s in _open_summaries(engine, caller)]


def _overview(engine: Any, settings: Settings, caller: Caller) -> dict[str, Any]:
    closed = offer_lists.list_lists(
        engine, caller, state="closed", direction="outgoing", limit=OPEN_LISTS
    )
    own = offer_lists.list_lists(engine, caller, direction="incoming", limit=OPEN_LISTS)
    return {
        "open": open_lists(engine, settings, caller),
        "closed": closed.items,
        "own": own.items,
    }


def _open_summaries(engine: Any, caller: Caller) -> list[OfferListSummary]:
    found = offer_lists.list_lists(
        engine, caller, state="published", direction="outgoing", limit=OPEN_LISTS
    )
    return sorted(found.items, key=lambda s: (s.closes_on, s.number or s.id))


async def dashboard_lists(request: Request, caller: Caller) -> list[OfferListSummary]:
    """For the portal's start page: the open lists addressed to the partner, the soonest to
    close first, each with its wish-list hits (summaries only: the start page stays quick
    however long the lists are)."""
    return await asyncio.to_thread(_open_summaries, context(request).engine, caller)


@router.get("/offer-lists")
async def portal_offer_lists(request: Request, user: PartnerUser) -> Response:
    ctx = context(request)
    found = await asyncio.to_thread(_overview, ctx.engine, ctx.settings, user.caller)
    return render(request, "portal/offer_lists.html", user, **found)


# --- One list: read it, select from it, submit the selection ----------------------------


def _list_page(
    request: Request,
    user: PartnerUser,
    view: OfferListOut,
    status: int = 200,
    refused: Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "portal/offer_list.html",
        user,
        status,
        ol=view,
        refused=refused,
        typed=typed,
        confirmed_field=CONFIRMED_FIELD,
    )


async def _read(request: Request, user: PartnerUser, list_id: str) -> OfferListOut:
    ctx = context(request)
    return await asyncio.to_thread(
        offer_lists.read_list, ctx.engine, ctx.settings, user.caller, list_id
    )


@router.get("/offer-lists/{list_id}")
async def portal_offer_list(list_id: str, request: Request, user: PartnerUser) -> Response:
    return _list_page(request, user, await _read(request, user, list_id))


def _typed(form: FormData, view: OfferListOut) -> dict[str, str]:
    """The quantity fields as typed, for a page that refuses them."""
    names = (COPIES.format(item_id=item.id) for item in view.item_list)
    return {name: value if isinstance(value := form.get(name), str) else "" for name in names}


def _selection_of(form: FormData, view: OfferListOut) -> SelectionIn:
    """The whole selection as typed: an empty field (or 0) is none of that item."""
    items: list[dict[str, int]] = []
    for item in view.item_list:
        copies = whole_number(form, COPIES.format(item_id=item.id), "copies")
        if copies:
            items.append({"item_id": item.id, "copies": copies})
    return SelectionIn.model_validate({"items": items})


def _beside_item(lang: Lang, exc: Exception, view: OfferListOut) -> Refusal:
    """A refusal said beside the item it is about: a copy another library took first is
    "only 1 copy is left now" there, and named by its title at the top of the form."""
    labels = {COPIES.format(item_id=item.id): item.title for item in view.item_list}
    found = refusal(lang, exc, labels)
    if not isinstance(exc, Problem) or exc.kind != "copies-not-available":
        return found
    name = COPIES.format(item_id=exc.extra.get("item_id"))
    left = exc.extra.get("copies_available")
    if name not in labels or not isinstance(left, int):
        return found
    if left == 0:
        beside = lang.gettext(TAKEN_FIRST)
    else:
        beside = lang.ngettext("only {n} copy is left now", "only {n} copies are left now", left)
    return Refusal(f"{labels[name]}: {beside}", {**found.fields, name: beside})


@router.post("/offer-lists/{list_id}/selection")
async def save_selection(list_id: str, request: Request, user: PartnerUser) -> Response:
    """Set the selection as typed; "Submit selection" saves it too, then asks to confirm."""
    form = await posted_form(request, user)
    ctx = context(request)
    lang = lang_for(request)
    view = await _read(request, user, list_id)
    typed = _typed(form, view)
    try:
        body = _selection_of(form, view)
        held = await asyncio.to_thread(
            offer_selections.set_selection, ctx.engine, user.caller, view.id, body
        )
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        status = exc.status if isinstance(exc, Problem) else 422
        refused = _beside_item(lang, exc, view)
        fresh = await _read(request, user, list_id)  # what is left now, beside what was typed
        return _list_page(request, user, fresh, status, refused, typed)
    page = f"/partner/offer-lists/{view.id}"
    if form.get("action") != "submit":
        return redirect(page, Flash("ok", SAVED), request)
    if not held.items:
        return redirect(page, Flash("error", NOTHING_SELECTED), request)
    return redirect(f"{page}/submit", None, request)


@router.get("/offer-lists/{list_id}/submit")
async def confirm_submit(list_id: str, request: Request, user: PartnerUser) -> Response:
    """Submitting makes an exchange at once: this page says what it will hold, and asks."""
    view = await _read(request, user, list_id)
    page = f"/partner/offer-lists/{view.id}"
    selection = view.selection
    if selection is None or selection.state != "open" or not selection.items:
        return redirect(page, None, request)
    return render(
        request,
        "portal/offer_list.html",
        user,
        ol=view,
        confirming=True,
        confirmed_field=CONFIRMED_FIELD,
    )


@router.post("/offer-lists/{list_id}/selection/submit")
async def submit_selection(list_id: str, request: Request, user: PartnerUser) -> Response:
    form = await posted_form(request, user)
    page = f"/partner/offer-lists/{list_id}"
    if form.get(CONFIRMED_FIELD) != "yes":
        return redirect(f"{page}/submit", Flash("error", NOT_CONFIRMED), request)
    try:
        done = await offer_selections.submit(context(request), user.caller, list_id)
    except (Problem, ValidationError) as exc:
        if not mendable(exc):
            raise
        detail = exc.detail if isinstance(exc, Problem) else str(exc)
        return redirect(page, Flash("error", detail), request)
    lang = lang_for(request)
    number = done.exchange_number or done.exchange_id[:8]
    message = lang.gettext("Selection submitted: exchange {number}.", number=number)
    return redirect(page, Flash("ok", message), request)
