"""The form that registers a serial title for a partner, with its prediction shown first.

A serials librarian checks the pattern before saving it, as Koha's "Test prediction pattern"
does: "Show the predicted issues" posts the form back to ``/serials/new``, which shows it again
as typed with the issues of the first year and the next, predicted by the one function that
predicts them everywhere (``workflows.serial.prediction.predict``). "Save" posts to
``/serials``: the service checks the pattern and the agreement (``serials.create_serial``),
and the title's yearly run starts. A refused form comes back as typed, the reason beside the
field.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.http.deps import ACQUISITIONS_ROLES, require_role
from services.exchange.problems import Problem
from services.exchange.schemas.serials import SerialIn
from services.exchange.service import agreements, desk, serial_runs
from services.exchange.service.users import SignedIn
from services.exchange.web.forms import FormError, decimal_number, whole_number
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
from services.exchange.web.refusals import Refusal, kept, mendable, refusal
from workflows.serial import prediction

router = APIRouter(include_in_schema=False)

FIELDS = (
    "partner",
    "issn",
    "title",
    "direction",
    "issues_per_year",
    "months",
    "combined",
    "volume_start",
    "issue_start",
    "copies",
    "first_year",
    "claim_after_days",
    "second_claim_days",
    "unit_value",
    "currency",
    "note",
)
LABELS = {
    "partner": N_("Partner"),
    "issn": N_("ISSN"),
    "title": N_("Title"),
    "direction": N_("Direction"),
    "frequency": N_("Issues a year"),
    "issues_per_year": N_("Issues a year"),
    "months": N_("Months of the issues (optional)"),
    "combined": N_("Double issues (optional)"),
    "volume_start": N_("Volume of the first year (empty: no volumes)"),
    "issue_start": N_("First issue number"),
    "copies": N_("Copies"),
    "first_year": N_("First year"),
    "claim_after_days": N_("Days after the expected day before a claim"),
    "second_claim_days": N_("Days after the first claim before the second"),
    "unit_value": N_("Value of one issue (optional)"),
    "currency": N_("Currency"),
    "note": N_("Note"),
}
PATTERN_FAULT = N_("the pattern predicts no issues: {reason}")
_NUMBER_LIST = re.compile(r"[0-9]{1,3}")


def _numbers(form: FormData, name: str) -> list[int]:
    text = field(form, name) or ""
    values = _NUMBER_LIST.findall(text)
    if re.sub(r"[0-9\s,;/-]", "", text):
        raise FormError(name, name, N_("only numbers, separated by commas"))
    return [int(v) for v in values]


def _combined(form: FormData) -> list[list[int]]:
    """Double issues typed as "5-6" or "5/6", several separated by commas or semicolons."""
    groups: list[list[int]] = []
    for part in re.split(r"[,;]", field(form, "combined") or ""):
        if not part.strip():
            continue
        ends = [int(v) for v in _NUMBER_LIST.findall(part)]
        if len(ends) != 2 or re.sub(r"[0-9\s/-]", "", part) or ends[1] <= ends[0]:
            raise FormError("combined", "combined", N_("write double issues as 5-6, 11-12"))
        groups.append(list(range(ends[0], ends[1] + 1)))
    return groups


def serial_in(form: FormData) -> SerialIn:
    """The form as the API's request: the pattern's fields inside ``frequency``/``numbering``."""
    currency = field(form, "currency")
    volume = whole_number(form, "volume_start", "volume")
    months = _numbers(form, "months")
    values: dict[str, Any] = {
        "issn": field(form, "issn"),
        "title": field(form, "title"),
        "direction": field(form, "direction"),
        "frequency": {
            "issues_per_year": whole_number(form, "issues_per_year", "issues a year"),
            "months": months or None,
            "combined": _combined(form),
        },
        "numbering": {
            "volume_start": volume,
            "volume_each_year": form.get("volume_each_year") == "yes",
            "restart_yearly": form.get("restart_yearly") == "yes",
            "issue_start": whole_number(form, "issue_start", "first number") or 1,
        },
        "copies": whole_number(form, "copies", "copies") or 1,
        "first_year": whole_number(form, "first_year", "first year"),
        "claim_after_days": whole_number(form, "claim_after_days", "days"),
        "second_claim_days": whole_number(form, "second_claim_days", "days"),
        "unit_value": decimal_number(form, "unit_value", "value"),
        "currency": currency.upper() if currency else None,
        "note": field(form, "note"),
    }
    return SerialIn.model_validate({k: v for k, v in values.items() if v is not None})


def predicted(body: SerialIn, year: int) -> list[prediction.ExpectedIssue]:
    """The issues ``body``'s pattern predicts in ``year`` (``PatternError`` when none can)."""
    frequency = prediction.Frequency(
        issues_per_year=body.frequency.issues_per_year,
        months=tuple(body.frequency.months) if body.frequency.months else None,
        combined=tuple(tuple(group) for group in body.frequency.combined),
    )
    numbering = prediction.Numbering(
        first_year=body.first_year,
        volume_start=body.numbering.volume_start,
        volume_each_year=body.numbering.volume_each_year,
        restart_yearly=body.numbering.restart_yearly,
        issue_start=body.numbering.issue_start,
    )
    return prediction.predict(frequency, numbering, year, body.claim_after_days)


def _blank(partner: str | None) -> dict[str, str]:
    today = agreements.today()
    return {
        "partner": partner or "",
        "direction": "incoming",
        "issues_per_year": "12",
        "volume_start": "1",
        "volume_each_year": "yes",
        "restart_yearly": "yes",
        "issue_start": "1",
        "copies": "1",
        "first_year": str(today.year),
        "claim_after_days": "60",
        "second_claim_days": "30",
    }


async def _form_page(
    request: Request,
    user: SignedIn,
    sent: dict[str, str],
    status_code: int = 200,
    refused: Refusal | None = None,
    preview: list[tuple[int, list[prediction.ExpectedIssue]]] | None = None,
) -> Response:
    rows = await asyncio.to_thread(desk.partners, context(request).engine, agreements.today())
    return render(
        request,
        "staff/serial_new.html",
        user,
        status_code,
        sent=sent,
        refused=refused,
        preview=preview,
        partners=rows,
    )


def _sent(form: FormData) -> dict[str, str]:
    typed = kept(form, *FIELDS)
    for box in ("volume_each_year", "restart_yearly"):
        typed[box] = "yes" if form.get(box) == "yes" else ""
    return typed


def _pattern_refusal(request: Request, exc: prediction.PatternError) -> Refusal:
    lang = lang_for(request)
    said = lang.gettext(PATTERN_FAULT, reason=str(exc))
    return Refusal(f"{lang.gettext(LABELS['frequency'])}: {said}", {"issues_per_year": said})


@router.get("/serials/new")
async def new_page(request: Request, user: StaffUser, partner: str | None = None) -> Response:
    require_role(user.caller, *ACQUISITIONS_ROLES)  # a form one may not use is a 403 page
    return await _form_page(request, user, _blank((partner or "").strip()[:32] or None))


@router.post("/serials/new")
async def preview(request: Request, user: StaffUser) -> Response:
    """The form again as typed, with the issues its pattern predicts for the first year the
    exchange runs and the year after."""
    form = await posted_form(request, user)
    sent = _sent(form)
    try:
        body = serial_in(form)
        start = serial_runs.first_run_year(body.first_year)
        shown = [(year, predicted(body, year)) for year in (start, start + 1)]
    except prediction.PatternError as exc:
        return await _form_page(request, user, sent, 422, _pattern_refusal(request, exc))
    except (ValidationError, FormError) as exc:
        return await _form_page(request, user, sent, 422, refusal(lang_for(request), exc, LABELS))
    return await _form_page(request, user, sent, preview=shown)


@router.post("/serials")
async def create(request: Request, user: StaffUser) -> Response:
    form = await posted_form(request, user)
    require_role(user.caller, *ACQUISITIONS_ROLES)
    ctx = context(request)
    sent = _sent(form)
    code = field(form, "partner") or ""
    try:
        body = serial_in(form)
        if not code:
            raise FormError("partner", "partner", N_("choose the partner"))
        made = await serial_runs.register(ctx, user.caller, code, body)  # as the API
    except (Problem, ValidationError, FormError) as exc:
        unavailable = isinstance(exc, Problem) and exc.status == 503  # no timers, no title
        if not (mendable(exc) or unavailable or (isinstance(exc, Problem) and exc.status == 404)):
            raise
        status = exc.status if isinstance(exc, Problem) else 422
        found = refusal(lang_for(request), exc, LABELS)
        return await _form_page(request, user, sent, status, found)
    done = Flash("ok", N_("The serial is registered; its issues are expected."))
    return redirect(f"/serials/{made.id}", done, request)
