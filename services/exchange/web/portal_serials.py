"""The partner portal's serial exchanges: the titles it sends us and we send it, each with its
year of issues, and our parcels of serials to it.

The caller is the partner, exactly as with its API key, so the service layer shows it only its
own titles and parcels (404 for anything else) and decides what it may do
(``serial_issues``, ``serial_dispatches``): of what we send it, confirm what arrived and claim
what did not; of what it sends us, answer our claims ("sent on ...", "not yet published",
"will not be published", "ceased"); and say it no longer wants a title. These handlers read
forms, call it, tell the title's run (``serial_runs.poke``) and render.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.schemas.documents import PaperLanguage
from services.exchange.schemas.serials import (
    DispatchOut,
    IssueOut,
    ReceiptIn,
    SerialEndIn,
    SerialOut,
)
from services.exchange.service import (
    agreements,
    notice_delivery,
    serial_dispatches,
    serial_issues,
    serial_runs,
)
from services.exchange.service import serials as serial_titles
from services.exchange.service.dispatch_papers import DispatchPaperKind
from services.exchange.service.keys import Caller
from services.exchange.service.users import SignedIn
from services.exchange.web.forms import FormError, day, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.pages import (
    PartnerUser,
    act,
    context,
    field,
    lang_for,
    posted_form,
    render,
)
from services.exchange.web.refusals import refusal
from services.exchange.web.serial_dispatch_pages import paper_download, parcel_page
from services.exchange.web.serial_pages import LABELS, answer_body
from services.exchange.web.serial_views import claim_due, is_late

router = APIRouter(prefix="/partner", include_in_schema=False)

Year = Annotated[int | None, Query(ge=1950, le=2099)]


@dataclass(frozen=True, slots=True)
class TitleRow:
    """A title on the portal's overview, with what in this year's issues needs the reader."""

    title: SerialOut
    late: int  # issues past their day: to claim (we send) or to send (it sends)
    to_answer: int  # our claims of what it sends, not answered yet


def _overview(engine: Any, caller: Caller) -> tuple[list[TitleRow], list[DispatchOut]]:
    today = agreements.today()
    rows: list[TitleRow] = []
    titles = serial_titles.list_serials(
        engine, caller, partner=None, direction=None, state=None, q=None
    )
    for title in titles:
        issues = (
            serial_issues.list_issues(engine, caller, title.id, today.year)
            if title.state == "active" and title.first_year <= today.year
            else []
        )
        waiting = [i for i in issues if i.state == "claimed" and title.direction == "incoming"]
        rows.append(TitleRow(title, sum(1 for i in issues if is_late(i, today)), len(waiting)))
    parcels = serial_dispatches.list_dispatches(engine, caller, None)
    return rows, parcels


@router.get("/serials")
async def serials_page(request: Request, user: PartnerUser) -> Response:
    ctx = context(request)
    rows, parcels = await asyncio.to_thread(_overview, ctx.engine, user.caller)
    return render(
        request,
        "portal/serials.html",
        user,
        rows=rows,
        parcels=parcels,
    )


def _one(
    engine: Any, caller: Caller, serial_id: int, year: int
) -> tuple[SerialOut, list[IssueOut]]:
    title = serial_titles.get_serial(engine, caller, serial_id)
    return title, serial_issues.list_issues(engine, caller, serial_id, year)


@router.get("/serials/{serial_id:int}")
async def serial_page(
    serial_id: int, request: Request, user: PartnerUser, year: Year = None
) -> Response:
    ctx = context(request)
    today = agreements.today()
    shown = year or today.year
    title, issues = await asyncio.to_thread(_one, ctx.engine, user.caller, serial_id, shown)
    return render(
        request,
        "portal/serial.html",
        user,
        s=title,
        issues=issues,
        year=shown,
        today=today,
        late={i.id for i in issues if is_late(i, today)},
        due={i.id for i in issues if claim_due(i, today)},
    )


async def _step(
    request: Request,
    user: SignedIn,
    serial_id: int,
    reason: str,
    done: str,
    make: Callable[[FormData], Awaitable[object]],
) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    year = field(form, "year")
    back = f"/partner/serials/{serial_id}" + (f"?year={year}" if year and year.isdigit() else "")

    async def run() -> None:
        try:
            await make(form)
        except (FormError, ValidationError) as exc:  # said in the reader's language
            said = refusal(lang_for(request), exc, LABELS).message
            raise Problem(422, "validation-error", said) from None
        await serial_runs.poke(ctx, serial_id, reason)

    return await act(request, back, run, done)


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/receipt")
async def confirm_receipt(
    serial_id: int, issue_id: int, request: Request, user: PartnerUser
) -> Response:
    """An issue we sent arrived: the reader confirms it, with the copies and any damage."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = ReceiptIn.model_validate(
            {
                "received_on": day(form, "received_on", "received on"),
                "copies": whole_number(form, "copies", "copies") or 1,
                "damaged": whole_number(form, "damaged", "damaged") or 0,
            }
        )
        return await asyncio.to_thread(
            serial_issues.record_receipt, engine, user.caller, serial_id, issue_id, body
        )

    done = N_("Thank you: the issue is recorded as received.")
    return await _step(request, user, serial_id, "receipt", done, make)


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/claim")
async def claim(serial_id: int, issue_id: int, request: Request, user: PartnerUser) -> Response:
    """An issue we owe has not arrived: the reader claims it; our staff answer."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        ctx = context(request)
        told: list[int] = []
        out = await asyncio.to_thread(
            functools.partial(
                serial_issues.claim_issue,
                engine,
                user.caller,
                serial_id,
                issue_id,
                home=ctx.settings.home_code,
                told=told,
            )
        )
        await notice_delivery.deliver_notices(ctx, told)
        return out

    done = N_("The claim is sent; our staff will answer it.")
    return await _step(request, user, serial_id, "claim", done, make)


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/answer")
async def answer(serial_id: int, issue_id: int, request: Request, user: PartnerUser) -> Response:
    """The reader's answer to our claim of an issue it sends."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = answer_body(form)
        return await asyncio.to_thread(
            serial_issues.answer_claim, engine, user.caller, serial_id, issue_id, body
        )

    return await _step(request, user, serial_id, "answer", N_("Thank you for your answer."), make)


@router.post("/serials/{serial_id:int}/end")
async def not_wanted(serial_id: int, request: Request, user: PartnerUser) -> Response:
    """The reader no longer wants a title we send it."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = SerialEndIn.model_validate({"reason": "not_wanted", "note": field(form, "note")})
        ctx = context(request)
        told: list[int] = []
        out = await asyncio.to_thread(
            functools.partial(
                serial_titles.end_serial,
                engine,
                user.caller,
                serial_id,
                body,
                home=ctx.settings.home_code,
                told=told,
            )
        )
        await notice_delivery.deliver_notices(ctx, told)
        return out

    done = N_("We will stop sending this title. Thank you for telling us.")
    return await _step(request, user, serial_id, "end", done, make)


@router.get("/serials/dispatches/{dispatch_id:int}")
async def parcel(dispatch_id: int, request: Request, user: PartnerUser) -> Response:
    return await parcel_page(request, user, dispatch_id, "/partner")


@router.get("/serials/dispatches/{dispatch_id:int}/documents/{kind}.pdf")
async def parcel_paper(
    dispatch_id: int,
    kind: DispatchPaperKind,
    request: Request,
    user: PartnerUser,
    lang: PaperLanguage = "en",
) -> Response:
    """A paper of a parcel we sent it, as PDF (the packing list; the transfer act)."""
    return await paper_download(request, user, dispatch_id, kind, lang)


@router.post("/serials/dispatches/{dispatch_id:int}/confirm")
async def confirm_parcel(dispatch_id: int, request: Request, user: PartnerUser) -> Response:
    """The whole parcel arrived: every issue in it is received."""
    await posted_form(request, user)
    ctx = context(request)

    async def run() -> None:
        out = await asyncio.to_thread(
            serial_dispatches.confirm_dispatch, ctx.engine, user.caller, dispatch_id
        )
        if isinstance(out, DispatchOut):
            for serial_id in sorted({issue.serial_id for issue in out.issues}):
                await serial_runs.poke(ctx, serial_id, "receipt")

    done = N_("Thank you: the parcel is recorded as received.")
    return await act(request, f"/partner/serials/dispatches/{dispatch_id}", run, done)
