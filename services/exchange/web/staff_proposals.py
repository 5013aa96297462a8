"""A new proposal from the fund: staff pick fund items and copies, review, and send.

The picks travel from page to page in the query string and the form (``pick=id:copies``),
so nothing is kept on the server until the proposal is sent through the same service as
``POST /api/v1/exchanges``. The search box is part of the proposal's form: searching posts
the partner, the deadline and every quantity typed, and comes back to an address that holds
them all, so a search loses nothing. Only those who may propose see these pages.

The review shows what the proposal does to the balance in the agreement's model
(``balance.preview``, the one count the API's preview also gives). When it would take the
balance past the agreed tolerance, the librarian must tick "send anyway": a send without it
comes back to the review with the warning (422), so the lean is always a decision, never an
accident. The review is also where a line's declared value, purchase cost, language and
weight are typed; they travel in the form like the copies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import ProposalIn
from services.exchange.schemas.fund import FundItemOut
from services.exchange.schemas.reports import BalancePreviewOut
from services.exchange.service import agreements, balance, desk, fund, offer_lines, proposals
from services.exchange.service.users import SignedIn
from services.exchange.web.abilities import require
from services.exchange.web.forms import (
    LINE_EXTRAS,
    FormError,
    line_extras,
    small_number,
    whole_number,
)
from services.exchange.web.i18n import N_
from services.exchange.web.money import money
from services.exchange.web.pages import (
    Flash,
    StaffUser,
    act,
    context,
    field,
    lang_for,
    posted_form,
    redirect,
    render,
)
from services.exchange.web.refusals import refusal

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
    extras: dict[int, dict[str, object]] | None = None,
) -> ProposalIn:
    return ProposalIn.model_validate(
        {
            "partner": partner,
            "respond_by": respond_by,
            "lines": [
                {
                    "title": item.title,
                    "isbn": item.isbn,
                    "issn": item.issn,
                    "author": item.author,
                    "year": item.year,
                    "record_id": item.id,
                    "quantity": form_picks[item.id],
                    **(extras or {}).get(item.id, {}),
                }
                for item in items
            ],
        }
    )


# The labels of a line's optional fields, for a refusal beside the field.
_EXTRA_LABELS = {
    "value": N_("Value of one copy"),
    "currency": N_("Currency"),
    "cost": N_("Purchase cost of one copy"),
    "language": N_("Language (ISO 639-2)"),
    "weight": N_("Weight of one copy (g)"),
}


@dataclass
class Draft:
    """A proposal as the review shows it: the lines, what was typed, what is wrong with it,
    and what it does to the balance."""

    partner: str | None
    respond_by: str
    chosen: list[tuple[FundItemOut, int]]
    typed: dict[str, str] = dataclass_field(default_factory=dict)
    body: ProposalIn | None = None
    problem: str | None = None
    preview: BalancePreviewOut | None = None
    preview_problem: str | None = None


def _typed(form: FormData, items: list[FundItemOut]) -> dict[str, str]:
    """The optional line fields as typed, shown again in the review's inputs."""
    found: dict[str, str] = {}
    for item in items:
        for prefix in LINE_EXTRAS:
            value = form.get(f"{prefix}-{item.id}")
            if isinstance(value, str) and value.strip():
                found[f"{prefix}-{item.id}"] = value.strip()
    return found


async def _draft(request: Request, user: SignedIn, form: FormData, picks: dict[int, int]) -> Draft:
    """Read the proposal from the form and count what it does to the balance."""
    ctx = context(request)
    partner, respond_by = field(form, "partner"), field(form, "respond_by")
    items = await asyncio.to_thread(fund.items, ctx.engine, list(picks))
    draft = Draft(
        partner=partner,
        respond_by=respond_by or "",
        chosen=[(item, picks[item.id]) for item in items],
        typed=_typed(form, items),
    )
    if not partner:
        draft.problem = "choose the partner library"
        return draft
    if not items:
        draft.problem = "choose at least one item and the number of copies"
        return draft
    lang = lang_for(request)
    try:
        extras = {item.id: line_extras(form, str(item.id)) for item in items}
        draft.body = _proposal_from(picks, partner, respond_by, items, extras)
    except FormError as exc:
        prefix = exc.name.split("-", 1)[0]
        draft.problem = refusal(lang, exc, {exc.name: _EXTRA_LABELS.get(prefix, prefix)}).message
        return draft
    except ValidationError as exc:
        # Named as the API names a line's fields (lines.0.currency), said with their labels.
        named = {LINE_EXTRAS[prefix]: label for prefix, label in _EXTRA_LABELS.items()}
        draft.problem = refusal(lang, exc, named).message
        return draft
    specs = [offer_lines.line_spec(line) for line in draft.body.lines]
    try:
        draft.preview = await asyncio.to_thread(
            balance.preview, ctx.engine, user.caller, partner, "outgoing", specs
        )
    except Problem as exc:  # the send itself says why it cannot go; the review says it too
        draft.preview_problem = exc.detail
    return draft


def _review_page(
    request: Request, user: SignedIn, draft: Draft, status_code: int = 200, **values: object
) -> Response:
    return render(
        request,
        "staff/proposal_review.html",
        user,
        status_code=status_code,
        partner=draft.partner,
        respond_by=draft.respond_by,
        chosen=draft.chosen,
        typed=draft.typed,
        problem=draft.problem,
        preview=draft.preview,
        preview_problem=draft.preview_problem,
        money=money(lang_for(request)),
        **values,
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
    """The review, and its "count again" button after a value or a copy was changed."""
    form = await posted_form(request, user)
    require(user.caller, "propose")
    try:
        picks = _form_picks(form)
    except FormError as exc:
        kept = _picks([v for v in form.getlist("pick") if isinstance(v, str)])
        back = _address(field(form, "partner"), field(form, "respond_by"), field(form, "q"), kept)
        return redirect(back, Flash("error", str(exc)), request)
    return _review_page(request, user, await _draft(request, user, form, picks))


@router.post("/proposals")
async def send_proposal(request: Request, user: StaffUser) -> Response:
    """Send the proposal; one past the tolerance only with "send anyway" ticked, else back
    to the review with the warning. A line field that cannot be read comes back there too,
    as typed."""
    form = await posted_form(request, user)
    ctx = context(request)
    created: list[str] = []
    held: list[Response] = []

    async def run() -> None:
        require(user.caller, "propose")
        picks = _form_picks(form)
        draft = await _draft(request, user, form, picks)
        if not draft.chosen:
            raise Problem(422, "validation-error", "choose at least one item from the fund")
        if draft.body is None:
            held.append(_review_page(request, user, draft, status_code=422))
            return
        past = draft.preview is not None and draft.preview.warning
        if past and field(form, "send_anyway") != "yes":
            held.append(_review_page(request, user, draft, status_code=422, unacknowledged=True))
            return
        out = await proposals.propose(ctx, user.caller, draft.body)
        created.append(out.id)

    try:
        response = await act(request, "/proposals/new", run, "")
    except FormError as exc:
        return redirect("/proposals/new", Flash("error", str(exc)), request)
    if held:
        return held[0]
    if created:
        return redirect(f"/exchanges/{created[0]}", Flash("ok", N_("Proposal sent.")), request)
    return response
