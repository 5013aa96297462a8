"""A new offer list: staff pick fund items and copies, the closing day and the addressees.

One form, like a new proposal's: its search button posts every choice typed (title, note,
closing day, addressees, copies) and comes back to an address holding them, so searching
the fund loses nothing. The list is saved as a draft through the same service as
``POST /api/v1/offer-lists``; its page then publishes it. A refused form comes back as it
was typed, the reason beside the field.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferListIn
from services.exchange.service import agreements, desk, fund, offer_lists
from services.exchange.service.users import SignedIn
from services.exchange.web.abilities import require
from services.exchange.web.forms import FormError, small_number, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import mendable, refusal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
_TEXT_FIELDS = ("title", "note", "closes_on", "to", "q")

# The new list's fields as the API names them, and their labels on the page.
NEW_LABELS = {
    "title": N_("Title of the list"),
    "note": N_("Note to the partners (optional)"),
    "closes_on": N_("Closing day"),
    "partners": N_("Addressees"),
    "items": N_("Items"),
}


# --- reading the forms ----------------------------------------------------------------------


def _picks(values: list[str]) -> dict[int, int]:
    """Chosen fund items carried in the address as ``id:copies``."""
    chosen: dict[int, int] = {}
    for value in values:
        item, _, copies = value.partition(":")
        item_id, count = small_number(item), small_number(copies)
        if item_id is not None and count:
            chosen[item_id] = count
    return chosen


def typed_copies(form: FormData, prefix: str, *, strict: bool = True) -> dict[int, int]:
    """The copies typed per row (``qty-<id>``); 0 or empty leaves the row out. ``strict``:
    a count that is not a number raises ``FormError`` (about the form's "items"); else it
    is skipped."""
    found: dict[int, int] = {}
    for name in form:
        row = small_number(name[len(prefix) :]) if name.startswith(prefix) else None
        if row is None:
            continue
        try:
            copies = whole_number(form, name, "copies")
        except FormError as exc:
            if strict:
                raise FormError("items", "copies", exc.text, **exc.params) from None
            continue
        if copies:
            found[row] = copies
    return found


def _strings(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _sent(form: Any) -> dict[str, str]:
    """The text fields of the new-list form as typed (a form or a query string)."""
    values = {name: _text(form.get(name)) for name in _TEXT_FIELDS}
    values["to"] = "chosen" if values["to"] == "chosen" else "all"
    return values


def _new_address(sent: dict[str, str], partners: list[str], picks: dict[int, int]) -> str:
    """The new-list page holding these choices."""
    query = [(name, value) for name, value in sent.items() if value]
    query += [("partner", code) for code in partners]
    query += [("pick", f"{item}:{copies}") for item, copies in picks.items()]
    return "/offer-lists/new" + (f"?{urlencode(query)}" if query else "")


def _list_in(form: FormData, picks: dict[int, int]) -> OfferListIn:
    chosen = _strings(form, "partner")
    to_chosen = field(form, "to") == "chosen"
    if to_chosen and not chosen:
        raise FormError("partners", "partners", N_("tick at least one partner library"))
    return OfferListIn.model_validate(
        {
            "title": field(form, "title"),
            "note": field(form, "note"),
            "closes_on": field(form, "closes_on"),
            "partners": chosen if to_chosen else None,
            "items": [{"fund_item_id": i, "copies": c} for i, c in picks.items()],
        }
    )


# --- a new list -----------------------------------------------------------------------------


@router.get("/offer-lists/new")
async def new_list(request: Request, user: StaffUser) -> Response:
    require(user.caller, "offer")
    params = request.query_params
    sent = _sent(params)
    weeks = context(request).settings.offer_list_weeks  # the service's default, shown
    sent["closes_on"] = sent["closes_on"] or str(agreements.today() + timedelta(weeks=weeks))
    return await _new_view(
        request, user, sent, params.getlist("partner"), _picks(params.getlist("pick"))
    )


async def _new_view(
    request: Request,
    user: SignedIn,
    sent: dict[str, str],
    partners: list[str],
    picks: dict[int, int],
    status_code: int = 200,
    **refused: object,
) -> Response:
    """The form with what was chosen so far; ``refused``: a refused form's reasons."""
    ctx = context(request)
    rows = await asyncio.to_thread(desk.partners, ctx.engine, agreements.today())
    q = sent.get("q") or None
    # The fund page's search: an ISBN or ISSN finds the publication, words title and author.
    found = await asyncio.to_thread(
        lambda: fund.search(ctx.engine, q, available_only=True, limit=PAGE_SIZE, offset=0)
    )
    chosen = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
    return render(
        request,
        "staff/offer_list_new.html",
        user,
        status_code,
        sent=sent,
        partners=[row for row in rows if row.agreement_valid_to is not None],
        addressed=set(partners),
        found=[item for item in found.items if item.id not in picks],
        chosen=[(item, picks[item.id]) for item in chosen],
        **refused,
    )


@router.post("/offer-lists/new")
async def search_keeping_choices(request: Request, user: StaffUser) -> Response:
    """The form's search button: back to the page with the new search and every choice."""
    form = await posted_form(request, user)
    require(user.caller, "offer")
    flash = None
    try:
        picks = typed_copies(form, "qty-")
    except FormError as exc:
        picks = typed_copies(form, "qty-", strict=False)
        flash = Flash("error", str(exc))
    target = _new_address(_sent(form), _strings(form, "partner"), picks)
    return redirect(target, flash, request)


@router.post("/offer-lists")
async def create_list(request: Request, user: StaffUser) -> Response:
    """Save the list as a draft; a refused one comes back filled in, the reason beside the
    field it is about."""
    form = await posted_form(request, user)
    require(user.caller, "offer")
    ctx = context(request)
    try:
        body = _list_in(form, typed_copies(form, "qty-"))
        out = await asyncio.to_thread(
            offer_lists.create_list, ctx.engine, ctx.settings, user.caller, body
        )
    except (Problem, ValidationError, FormError) as exc:
        if not mendable(exc):
            raise
        return await _new_view(
            request,
            user,
            _sent(form),
            _strings(form, "partner"),
            typed_copies(form, "qty-", strict=False),
            exc.status if isinstance(exc, Problem) else 422,
            refused=refusal(lang_for(request), exc, NEW_LABELS),
        )
    done = Flash("ok", N_("Draft saved. Check it, then publish it to the partners."))
    return redirect(f"/offer-lists/{out.id}", done, request)
