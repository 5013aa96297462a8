"""The check-in desk: serial issues recorded as they come out of the parcel, one after another.

Barcode-friendly: one field for the ISSN, one for the number printed on the issue, the ISSN
field focused; Enter (a scanner sends one after each code) moves from the ISSN to the number
and from the number sends the form (``static/serial_checkin.js``; without scripts, Enter sends
it). The service finds the oldest open issue with that ISSN and number
(``serial_issues.check_in``); the page comes back saying which issue of which title was
checked in, with empty fields for the next one. One that is not found is said on the page with
what was typed, so the reader can correct it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.http.deps import ACQUISITIONS_ROLES, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.serials import CheckInIn, IssueOut, SerialOut
from services.exchange.service import serial_issues, serial_runs, serials
from services.exchange.service.keys import Caller
from services.exchange.service.users import SignedIn
from services.exchange.web.forms import FormError, day, whole_number
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
from services.exchange.web.refusals import Refusal, kept, refusal
from services.exchange.web.serial_views import issue_label

router = APIRouter(include_in_schema=False)

PAGE = "/serials/check-in"
LABELS = {
    "issn": N_("ISSN"),
    "numbers": N_("Issue number"),
    "year": N_("Year (optional)"),
    "copies": N_("Copies"),
    "damaged": N_("Of those, damaged"),
}
CHECKED_IN = N_("Checked in: {title}, {issue} ({year}).")
DUPLICATE = N_("Recorded as a duplicate: {title}, {issue} ({year}).")


def check_in_body(form: FormData) -> CheckInIn:
    return CheckInIn.model_validate(
        {
            "issn": field(form, "issn"),
            "numbers": field(form, "numbers"),
            "year": whole_number(form, "year", "year"),
            "receipt": {
                "received_on": day(form, "received_on", "received on"),
                "copies": whole_number(form, "copies", "copies") or 1,
                "damaged": whole_number(form, "damaged", "damaged") or 0,
                "duplicate": form.get("duplicate") == "yes",
            },
        }
    )


def _check_in(engine: Any, caller: Caller, body: CheckInIn) -> tuple[IssueOut, SerialOut]:
    issue = serial_issues.check_in(engine, caller, body)
    return issue, serials.get_serial(engine, caller, issue.serial_id)


async def _desk(
    request: Request,
    user: SignedIn,
    status_code: int = 200,
    sent: dict[str, str] | None = None,
    refused: Refusal | None = None,
    last: tuple[IssueOut, SerialOut] | None = None,
) -> Response:
    return render(
        request,
        "staff/serial_checkin.html",
        user,
        status_code,
        sent=sent or {},
        refused=refused,
        last=last,
    )


@router.get(PAGE)
async def checkin_page(
    request: Request,
    user: StaffUser,
    serial: int | None = None,
    issue: int | None = None,
    year: Annotated[int | None, Query(ge=1950, le=2099)] = None,
) -> Response:
    """The desk; after a check-in, the issue just checked in (``?serial=&issue=&year=``)."""
    last = None
    if serial is not None and issue is not None and year is not None:
        ctx = context(request)
        last = await asyncio.to_thread(_last, ctx.engine, user.caller, serial, issue, year)
    return await _desk(request, user, last=last)


def _last(
    engine: Any, caller: Caller, serial_id: int, issue_id: int, year: int
) -> tuple[IssueOut, SerialOut] | None:
    title = serials.get_serial(engine, caller, serial_id)
    found = [
        i for i in serial_issues.list_issues(engine, caller, serial_id, year) if i.id == issue_id
    ]
    return (found[0], title) if found else None


@router.post(PAGE)
async def check_in(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    ctx = context(request)
    lang = lang_for(request)
    require_role(user.caller, *ACQUISITIONS_ROLES)
    try:
        body = check_in_body(form)
        issue, title = await asyncio.to_thread(_check_in, ctx.engine, user.caller, body)
    except (Problem, ValidationError, FormError) as exc:
        if isinstance(exc, Problem) and (exc.status in (401, 403) or exc.status >= 500):
            raise
        status = exc.status if isinstance(exc, Problem) else 422
        sent = kept(form, "issn", "numbers", "year", "copies", "damaged", "received_on")
        return await _desk(request, user, status, sent, refusal(lang, exc, LABELS))
    await serial_runs.poke(ctx, title.id, "receipt")
    label = issue_label(lang.gettext, issue)
    said = DUPLICATE if body.receipt.duplicate else CHECKED_IN
    done = lang.gettext(said, title=title.title, issue=label, year=issue.year)
    return redirect(
        f"{PAGE}?serial={title.id}&issue={issue.id}&year={issue.year}", Flash("ok", done), request
    )
