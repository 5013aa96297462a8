"""The partner portal: a partner library's users see and act on their own exchanges only.

The caller is the partner, exactly as with the partner's API key, so every rule and every
404 for someone else's exchange comes from the same service layer.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn, ProposalIn
from services.exchange.service import agreements, desk, proposals, reports
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.web import portal_offer_lists
from services.exchange.web.exchange_pages import exchange_listing
from services.exchange.web.forms import FormError, whole_number
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.money import money
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
from workflows.exchange.types import STATES

router = APIRouter(prefix="/partner", include_in_schema=False)
OFFER_ROWS = 8


@router.get("/")
async def portal_home(request: Request, user: PartnerUser) -> Response:
    ctx = context(request)
    board = await asyncio.to_thread(desk.partner_dashboard, ctx.engine, user.caller)
    lists = await portal_offer_lists.dashboard_lists(request, user.caller)
    # This year's balance with us, in the agreement's model (as GET .../balance gives it).
    balance = await asyncio.to_thread(
        reports.balance, ctx.engine, user.caller, user.caller.party, agreements.today().year
    )
    return render(
        request,
        "portal/dashboard.html",
        user,
        board=board,
        offer_lists=lists,
        balance=balance,
        money=money(lang_for(request)),
    )


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


# The offer form's fields: a row of title, ISBN, author, year and copies per publication.
_LINE_LABELS = {
    "title": N_("Title"),
    "isbn": N_("ISBN"),
    "author": N_("Author"),
    "year": N_("Year"),
    "quantity": N_("Copies"),
}
OFFER_LABELS = {
    **{
        f"{name}-{row}": label
        for row in range(1, OFFER_ROWS + 1)
        for name, label in _LINE_LABELS.items()
    },
    "respond_by": N_("Please answer by (empty: as in our agreement)"),
}


@router.get("/offers/new")
async def new_offer(request: Request, user: PartnerUser) -> Response:
    return render(request, "portal/offer_new.html", user, rows=range(1, OFFER_ROWS + 1))


def _offered_lines(form: FormData, lang: Lang) -> list[dict[str, Any]]:
    """The rows with a title, each checked as the API checks a line (ISBN check digits
    included); raises a ``RowsRefused`` naming every field at fault, row by row."""
    lines: list[dict[str, Any]] = []
    fields: dict[str, str] = {}
    sentences: list[str] = []
    for row in range(1, OFFER_ROWS + 1):
        title = field(form, f"title-{row}")
        if title is None:
            continue
        try:
            copies = whole_number(form, f"quantity-{row}", "copies")
            line = {
                "title": title,
                "isbn": field(form, f"isbn-{row}"),
                "author": field(form, f"author-{row}"),
                "year": whole_number(form, f"year-{row}", "year"),
                "quantity": 1 if copies is None else copies,
            }
            LineIn.model_validate(line)
        except FormError as exc:  # named as the row's field already (year-3)
            found = refusal(lang, exc, OFFER_LABELS)
            fields.update(found.fields)
        except ValidationError as exc:  # named as the line's field (isbn)
            found = refusal(lang, exc, _LINE_LABELS)
            fields.update({f"{name}-{row}": text for name, text in found.fields.items()})
        else:
            lines.append(line)
            continue
        sentences.append(lang.gettext("row {n}: {problem}", n=row, problem=found.message))
    if sentences:
        raise RowsRefused(Refusal("; ".join(sentences), fields))
    return lines


class RowsRefused(Exception):
    """Rows of the offer form that cannot be sent, each reason beside its field."""

    def __init__(self, refused: Refusal) -> None:
        super().__init__(refused.message)
        self.refused = refused


@router.post("/offers")
async def send_offer(request: Request, user: PartnerUser) -> Response:
    """A partner offers publications to us: an incoming proposal, as POST /api/v1/exchanges.
    A refused offer comes back as typed, each reason beside its field."""
    form = await posted_form(request, user)
    ctx = context(request)
    lang = lang_for(request)
    try:
        lines = _offered_lines(form, lang)
        if not lines:
            raise Problem(422, "validation-error", "title-1: give at least one title")
        body = ProposalIn.model_validate({"lines": lines, "respond_by": field(form, "respond_by")})
        out = await proposals.propose(ctx, user.caller, body)
    except (RowsRefused, Problem, ValidationError) as exc:
        if isinstance(exc, RowsRefused):
            refused, status = exc.refused, 422
        elif mendable(exc):
            refused = refusal(lang, exc, OFFER_LABELS)
            status = exc.status if isinstance(exc, Problem) else 422
        else:
            raise
        return render(
            request,
            "portal/offer_new.html",
            user,
            status,
            rows=range(1, OFFER_ROWS + 1),
            refused=refused,
            sent=kept(form, *OFFER_LABELS),
        )
    return redirect(f"/partner/exchanges/{out.id}", Flash("ok", N_("Offer sent.")), request)
