"""Dispatch of the serials we send: per partner the issues due out, a parcel of them, its
packing list to print, and "mark as sent".

What is due is the service's (``serial_dispatches.due_out``: our outgoing issues expected by
today and in no parcel yet); a dispatch holds the issues ticked, and its page is the packing
list with both addresses (``partner_contacts.parties``, as the exchange's packing list), with
the "mark as sent" form beside it on screen only, and links to its papers as PDF
(``dispatch_papers``: the packing list, and the transfer act when the issues carry a value).
The partner confirms receipt on the portal.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.exchange.http.deps import ACQUISITIONS_ROLES, require_role
from services.exchange.http.downloads import download
from services.exchange.problems import Problem
from services.exchange.schemas.documents import PaperLanguage
from services.exchange.schemas.serials import DispatchIn, DispatchOut, DueOut, SerialOut
from services.exchange.service import (
    agreements,
    dispatch_papers,
    documents,
    notice_delivery,
    partner_contacts,
    serial_dispatches,
    serial_runs,
    serials,
)
from services.exchange.service.keys import Caller
from services.exchange.service.users import SignedIn
from services.exchange.web.countries import country_names
from services.exchange.web.forms import FormError, day
from services.exchange.web.i18n import LANGUAGE_NAMES, N_
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
from services.exchange.web.serial_views import partner_names

router = APIRouter(include_in_schema=False)

PAGE = "/serials/dispatch"
NOTHING_TICKED = N_("Tick at least one issue to put in the parcel.")
# The fields of the dispatch forms (as the API names them), for a refusal's sentence.
LABELS = {"partner": N_("Partner"), "issues": N_("Issues"), "sent_on": N_("Sent on")}


def _due(
    engine: Any, caller: Caller, only: str | None
) -> tuple[list[DueOut], dict[int, SerialOut]]:
    """Per partner we send serials to, what is due out; the titles by id, to name them."""
    titles = serials.list_serials(
        engine, caller, partner=only, direction="outgoing", state=None, q=None
    )
    codes = sorted({t.partner for t in titles})
    due = [serial_dispatches.due_out(engine, caller, code) for code in codes]
    return [d for d in due if d.issues], {t.id: t for t in titles}


@router.get(PAGE)
async def dispatch_page(request: Request, user: StaffUser, partner: str | None = None) -> Response:
    ctx = context(request)
    partner = (partner or "").strip()[:32] or None
    due, titles = await asyncio.to_thread(_due, ctx.engine, user.caller, partner)
    parcels = await asyncio.to_thread(
        serial_dispatches.list_dispatches, ctx.engine, user.caller, partner
    )
    return render(
        request,
        "staff/serial_dispatch.html",
        user,
        due=due,
        titles=titles,
        parcels=parcels,
        partner=partner,
        names=await partner_names(request),
        today=agreements.today(),
    )


@router.post(PAGE)
async def create_dispatch(request: Request, user: StaffUser) -> Response:
    """A parcel of the issues ticked for one partner; its page is the packing list."""
    form = await posted_form(request, user)
    ctx = context(request)
    code = field(form, "partner") or ""
    ticked = [int(v) for v in form.getlist("issue") if isinstance(v, str) and v.isdigit()]
    back = f"{PAGE}?partner={code}" if code else PAGE
    if not ticked:
        return redirect(back, Flash("error", NOTHING_TICKED), request)
    require_role(user.caller, *ACQUISITIONS_ROLES)
    try:
        body = DispatchIn.model_validate({"partner": code, "issues": ticked})
        made = await asyncio.to_thread(
            serial_dispatches.create_dispatch, ctx.engine, user.caller, body
        )
    except (Problem, ValidationError) as exc:
        if isinstance(exc, Problem) and exc.status in (403, 404):
            raise
        said = refusal(lang_for(request), exc, LABELS).message
        return redirect(back, Flash("error", said), request)
    done = Flash("ok", N_("The parcel is made: print its packing list, then mark it sent."))
    return redirect(f"/serials/dispatches/{made.id}", done, request)


def _parcel(
    engine: Any, settings: Any, caller: Caller, dispatch_id: int
) -> tuple[DispatchOut, dict[int, SerialOut], Any, Any]:
    found = serial_dispatches.get_dispatch(engine, caller, dispatch_id)
    ids = {issue.serial_id for issue in found.issues}
    titles = {i: serials.get_serial(engine, caller, i) for i in ids}
    sender, recipient = partner_contacts.parties(engine, settings, found.partner, outgoing=True)
    return found, titles, sender, recipient


async def parcel_page(request: Request, user: SignedIn, dispatch_id: int, prefix: str) -> Response:
    """The packing list of a dispatch: ours to print (staff) or what arrives (the portal)."""
    ctx = context(request)
    found, titles, sender, recipient = await asyncio.to_thread(
        _parcel, ctx.engine, ctx.settings, user.caller, dispatch_id
    )
    rows = sorted(found.issues, key=lambda i: (titles[i.serial_id].title, i.year, i.seq))
    kinds, offered = await asyncio.to_thread(
        dispatch_papers.offered, ctx.engine, ctx.settings, user.caller, dispatch_id
    )
    reader = lang_for(request).code
    if reader in documents.PAPER_LANGUAGES and reader not in offered:
        offered.insert(0, reader)
    return render(
        request,
        "staff/serial_dispatch_list.html",
        user,
        d=found,
        rows=rows,
        titles=titles,
        sender=sender,
        recipient=recipient,
        country_names=country_names(lang_for(request)),
        copies=sum(i.copies_expected for i in found.issues),
        prefix=prefix,
        today=agreements.today(),
        papers=kinds,
        paper_titles=documents.TITLES,
        paper_languages=[(code, LANGUAGE_NAMES[code]) for code in offered],
    )


async def paper_download(
    request: Request,
    user: SignedIn,
    dispatch_id: int,
    kind: dispatch_papers.DispatchPaperKind,
    lang: PaperLanguage,
) -> Response:
    """A paper of the dispatch as PDF, as the API gives it (``service/dispatch_papers``)."""
    ctx = context(request)
    data, name = await asyncio.to_thread(
        dispatch_papers.paper_pdf, ctx.engine, ctx.settings, user.caller, dispatch_id, kind, lang
    )
    return download(data, name, "application/pdf")


@router.get("/serials/dispatches/{dispatch_id:int}/documents/{kind}.pdf")
async def dispatch_paper(
    dispatch_id: int,
    kind: dispatch_papers.DispatchPaperKind,
    request: Request,
    user: StaffUser,
    lang: PaperLanguage = "en",
) -> Response:
    return await paper_download(request, user, dispatch_id, kind, lang)


@router.get("/serials/dispatches/{dispatch_id:int}")
async def dispatch_list(dispatch_id: int, request: Request, user: StaffUser) -> Response:
    return await parcel_page(request, user, dispatch_id, "")


@router.post("/serials/dispatches/{dispatch_id:int}/sent")
async def mark_sent(dispatch_id: int, request: Request, user: StaffUser) -> Response:
    """The parcel went out on this day (left empty: today); the partner is told."""
    form = await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        try:
            sent_on: date = day(form, "sent_on", "sent on") or agreements.today()
        except FormError as exc:
            said = refusal(lang_for(request), exc, LABELS).message
            raise Problem(422, "validation-error", said) from None
        require_role(user.caller, *ACQUISITIONS_ROLES)
        told: list[int] = []
        out = await asyncio.to_thread(
            functools.partial(
                serial_dispatches.mark_sent,
                ctx.engine,
                user.caller,
                dispatch_id,
                sent_on,
                told=told,
            )
        )
        await notice_delivery.deliver_notices(ctx, told)
        await _poke_titles(request, out)

    done = N_("Marked as sent: the partner is told.")
    return await act(request, f"/serials/dispatches/{dispatch_id}", run, done)


async def _poke_titles(request: Request, out: object) -> None:
    """Tell each title's run that its issues moved (sent, or confirmed received)."""
    if not isinstance(out, DispatchOut):
        return
    for serial_id in sorted({issue.serial_id for issue in out.issues}):
        await serial_runs.poke(context(request), serial_id, "dispatch")
