"""Staff pages of standing serial exchanges: the register, the late issues across titles, and
one title's page with a year of its issues (issue 16).

As in Koha's serials module, a title's page is its year of predicted issues, each with its
state, the day it is expected and the day it is claimed; staff correct the prediction there
(skip an issue, move its day, add a supplement), record receipts of what the partner sends,
answer the partner's claims for what we send, and do the yearly review. The rules (who may,
which state allows what, what a receipt counts in the ledger) are the service's
(``service/serials.py``, ``serial_issues.py``); these handlers read forms, call it, tell the
title's workflow that its timing changed (``serial_runs.poke``) and render. The new-title
form with its prediction preview is ``serial_new_pages``; the check-in desk and the
dispatches have their own modules.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.http.deps import ACQUISITIONS_ROLES, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.serials import (
    ClaimAnswerIn,
    IssueAddIn,
    IssueEditIn,
    IssueOut,
    ReceiptIn,
    ReviewIn,
    SerialEndIn,
    SerialOut,
)
from services.exchange.service import (
    agreements,
    notice_delivery,
    serial_issues,
    serial_runs,
    serials,
)
from services.exchange.service.keys import Caller
from services.exchange.service.users import SignedIn
from services.exchange.web import (
    balance_previews,
    serial_checkin_pages,
    serial_dispatch_pages,
    serial_new_pages,
)
from services.exchange.web.forms import FormError, day, whole_number
from services.exchange.web.i18n import N_
from services.exchange.web.money import money
from services.exchange.web.pages import (
    StaffUser,
    act,
    context,
    field,
    lang_for,
    posted_form,
    render,
)
from services.exchange.web.refusals import refusal
from services.exchange.web.serial_views import claim_due, is_late, partner_names

router = APIRouter(include_in_schema=False)
# The fixed addresses first; a title's address takes only a number (``:int``) anyway.
router.include_router(serial_new_pages.router)
router.include_router(serial_checkin_pages.router)
router.include_router(serial_dispatch_pages.router)

DIRECTIONS = ("incoming", "outgoing")
TITLE_STATES = ("active", "ended", "ceased")
END_REASONS = ("not_wanted", "ceased", "renamed")
Year = Annotated[int | None, Query(ge=1950, le=2099)]
# The fields of a title's forms (as the API names them), for a refusal's sentence.
LABELS = {
    "year": N_("Year"),
    "review_year": N_("Year"),
    "received_on": N_("Received on"),
    "copies": N_("Copies"),
    "copies_expected": N_("Copies"),
    "damaged": N_("damaged"),
    "expected_on": N_("Expected on"),
    "numbers": N_("Number as printed"),
    "volume": N_("Volume"),
    "answer": N_("Answer"),
    "sent_on": N_("Sent on"),
    "reason": N_("Why"),
    "successor_issn": N_("New ISSN (renamed)"),
    "successor_title": N_("New title (renamed)"),
    "note": N_("Note (optional)"),
}


# --- the register ---------------------------------------------------------------------------


@router.get("/serials")
async def register_page(
    request: Request,
    user: StaffUser,
    partner: str | None = None,
    direction: str | None = None,
    state: str | None = None,
    q: str | None = None,
) -> Response:
    """Every title exchanged, both ways; by partner, direction and state, or an ISSN or words
    of the title."""
    ctx = context(request)
    direction = direction if direction in DIRECTIONS else None
    state = state if state in TITLE_STATES else None
    q = (q or "").strip()[:200] or None
    partner = (partner or "").strip()[:32] or None
    rows = await asyncio.to_thread(
        serials.list_serials,
        ctx.engine,
        user.caller,
        partner=partner,
        direction=direction,
        state=state,
        q=q,
    )
    return render(
        request,
        "staff/serials.html",
        user,
        rows=rows,
        names=await partner_names(request),
        partner=partner,
        direction=direction,
        state=state,
        q=q or "",
        states=TITLE_STATES,
    )


@router.get("/serials/late")
async def late_page(request: Request, user: StaffUser, direction: str | None = None) -> Response:
    """Late issues across titles: what to chase (incoming) or to send (outgoing)."""
    ctx = context(request)
    today = agreements.today()
    rows = await asyncio.to_thread(serial_issues.late_issues, ctx.engine, user.caller, today)
    if direction in DIRECTIONS:
        rows = [(t, i) for t, i in rows if t.direction == direction]
    return render(
        request,
        "staff/serial_late.html",
        user,
        rows=rows,
        names=await partner_names(request),
        direction=direction if direction in DIRECTIONS else None,
        today=today,
        claim_due=claim_due,
    )


# --- one title ------------------------------------------------------------------------------


def _title_and_issues(
    engine: Any, caller: Caller, serial_id: int, year: int
) -> tuple[SerialOut, list[IssueOut], SerialOut | None]:
    title = serials.get_serial(engine, caller, serial_id)
    issues = serial_issues.list_issues(engine, caller, serial_id, year)
    successor = (
        serials.get_serial(engine, caller, title.successor_id) if title.successor_id else None
    )
    return title, issues, successor


@router.get("/serials/{serial_id:int}")
async def title_page(
    serial_id: int, request: Request, user: StaffUser, year: Year = None
) -> Response:
    ctx = context(request)
    today = agreements.today()
    shown = year or today.year
    title, issues, successor = await asyncio.to_thread(
        _title_and_issues, ctx.engine, user.caller, serial_id, shown
    )
    received = [i for i in issues if i.state == "received"]
    review_year = max(today.year + (1 if today.month >= 10 else 0), title.first_year)
    renewal = await asyncio.to_thread(
        balance_previews.serial_renewal, ctx.engine, user.caller, title, review_year
    )
    return render(
        request,
        "staff/serial.html",
        user,
        s=title,
        issues=issues,
        successor=successor,
        year=shown,
        today=today,
        names=await partner_names(request),
        late={i.id for i in issues if is_late(i, today)},
        due={i.id for i in issues if claim_due(i, today)},
        received=len(received),
        copies_received=sum(i.copies_received for i in received),
        counted=len([i for i in issues if i.state != "skipped"]),
        end_reasons=END_REASONS,
        review_year=review_year,
        renewal=renewal,
        money=money(lang_for(request)),
    )


def _back(serial_id: int, form: FormData) -> str:
    year = whole_number(form, "year", "year") if field(form, "year") else None
    return f"/serials/{serial_id}" + (f"?year={year}" if year else "")


async def _step(
    request: Request,
    user: SignedIn,
    serial_id: int,
    reason: str,
    done: str,
    make: Callable[[FormData], Awaitable[object]],
) -> Response:
    """Post one step of a title: read the form, call the service, poke the title's run."""
    form = await posted_form(request, user)
    ctx = context(request)
    try:
        back = _back(serial_id, form)
    except FormError:
        back = f"/serials/{serial_id}"

    async def run() -> None:
        require_role(user.caller, *ACQUISITIONS_ROLES)
        try:
            await make(form)
        except (FormError, ValidationError) as exc:  # said in the reader's language
            said = refusal(lang_for(request), exc, LABELS).message
            raise Problem(422, "validation-error", said) from None
        await serial_runs.poke(ctx, serial_id, reason)

    return await act(request, back, run, done)


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/receipt")
async def receipt(serial_id: int, issue_id: int, request: Request, user: StaffUser) -> Response:
    """An incoming issue arrived: its copies, of those damaged, or a duplicate copy."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = ReceiptIn.model_validate(
            {
                "received_on": day(form, "received_on", "received on"),
                "copies": whole_number(form, "copies", "copies") or 1,
                "damaged": whole_number(form, "damaged", "damaged") or 0,
                "duplicate": form.get("duplicate") == "yes",
            }
        )
        return await asyncio.to_thread(
            serial_issues.record_receipt, engine, user.caller, serial_id, issue_id, body
        )

    return await _step(request, user, serial_id, "receipt", N_("The issue is checked in."), make)


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/edit")
async def edit(serial_id: int, issue_id: int, request: Request, user: StaffUser) -> Response:
    """Correct the prediction: skip the issue (not published), or move its expected day."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        if form.get("skip") == "yes":
            body = IssueEditIn(skip=True)
        else:
            body = IssueEditIn.model_validate(
                {"expected_on": day(form, "expected_on", "expected on")}
            )
        return await asyncio.to_thread(
            serial_issues.edit_issue, engine, user.caller, serial_id, issue_id, body
        )

    return await _step(request, user, serial_id, "edit", N_("The issue is changed."), make)


@router.post("/serials/{serial_id:int}/issues")
async def add(serial_id: int, request: Request, user: StaffUser) -> Response:
    """An issue the prediction did not know: a supplement, an extra number."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = IssueAddIn.model_validate(
            {
                "year": whole_number(form, "year", "year"),
                "numbers": field(form, "numbers"),
                "volume": whole_number(form, "volume", "volume"),
                "expected_on": day(form, "expected_on", "expected on"),
                "copies_expected": whole_number(form, "copies_expected", "copies") or 1,
            }
        )
        return await asyncio.to_thread(
            serial_issues.add_issue, engine, user.caller, serial_id, body
        )

    return await _step(request, user, serial_id, "add", N_("The issue is added."), make)


def answer_body(form: FormData) -> ClaimAnswerIn:
    """A claim's answer as the form gives it; "sent" with its day."""
    return ClaimAnswerIn.model_validate(
        {
            "answer": field(form, "answer"),
            "sent_on": day(form, "sent_on", "sent on"),
            "note": field(form, "note"),
        }
    )


@router.post("/serials/{serial_id:int}/issues/{issue_id:int}/answer")
async def answer(serial_id: int, issue_id: int, request: Request, user: StaffUser) -> Response:
    """Our answer to the partner's claim of an issue we send."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = answer_body(form)
        return await asyncio.to_thread(
            serial_issues.answer_claim, engine, user.caller, serial_id, issue_id, body
        )

    return await _step(request, user, serial_id, "answer", N_("The claim is answered."), make)


@router.post("/serials/{serial_id:int}/review")
async def review(serial_id: int, request: Request, user: StaffUser) -> Response:
    """The yearly review: go on next year (with these copies), or end the exchange."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = ReviewIn.model_validate(
            {
                "year": whole_number(form, "review_year", "year"),
                "keep": form.get("keep") != "no",
                "copies": whole_number(form, "copies", "copies"),
            }
        )
        return await asyncio.to_thread(serials.review, engine, user.caller, serial_id, body)

    return await _step(request, user, serial_id, "review", N_("The review is recorded."), make)


@router.post("/serials/{serial_id:int}/end")
async def end(serial_id: int, request: Request, user: StaffUser) -> Response:
    """The exchange of this title ends: not wanted, ceased, or renamed (a successor follows)."""
    engine = context(request).engine

    async def make(form: FormData) -> object:
        body = SerialEndIn.model_validate(
            {
                "reason": field(form, "reason"),
                "successor_issn": field(form, "successor_issn"),
                "successor_title": field(form, "successor_title"),
                "note": field(form, "note"),
            }
        )
        ctx = context(request)
        told: list[int] = []
        ended = await asyncio.to_thread(
            functools.partial(
                serials.end_serial,
                engine,
                user.caller,
                serial_id,
                body,
                home=ctx.settings.home_code,
                told=told,
            )
        )
        if ended.successor_id is not None:  # renamed: the new title's year runs on
            await serial_runs.start_successor(ctx, user.caller, ended.successor_id)
        await notice_delivery.deliver_notices(ctx, told)
        return ended

    return await _step(
        request, user, serial_id, "end", N_("The exchange of this title ended."), make
    )
