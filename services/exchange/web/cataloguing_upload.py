"""The cataloguing page's upload form: the exchange picked from a list, refusals said in place.

The form lists the exchanges the reader may upload to (``upload_targets``), so a wrong id
cannot be typed; one that is posted anyway (an old page, an exchange that ended meanwhile) is
refused beside the field like any other reason. Every refusal shows the page again with the
form as it was sent, except the file: a browser cannot be given a file back, so the message
asks for it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from services.exchange.problems import Problem
from services.exchange.service import cataloguing
from services.exchange.service.upload_targets import UploadTarget, upload_targets
from services.exchange.service.users import SignedIn
from services.exchange.web.abilities import require
from services.exchange.web.batch_pages import chosen_encoding
from services.exchange.web.i18n import N_
from services.exchange.web.pages import context, field, lang_for, posted_form, redirect
from services.exchange.web.refusals import Refusal, kept, mendable, refusal

# Renders the cataloguing page: status code, then the form's state (``targets``, ``sent``...).
PageView = Callable[..., Awaitable[Response]]

UPLOAD_LABELS = {
    "exchange_id": N_("For exchange"),
    "file": N_("MARC file"),
    "encoding": N_("Character set of the file"),
    "mode": N_("Mode"),
}
FILE_PROBLEMS = ("not-marc", "upload-too-large")
NOT_LISTED = N_("choose one of the listed exchanges, or none")
NO_FILE = N_("choose a MARC file to upload")
FILE_AGAIN = N_("The file was not kept: choose it again.")


async def targets(request: Request, user: SignedIn) -> list[UploadTarget]:
    ctx = context(request)
    return await asyncio.to_thread(upload_targets, ctx.engine, user.caller)


def _again(refused: Refusal, lang_text: str) -> Refusal:
    """The refusal with the request to choose the file again (a browser cannot refill it)."""
    file_note = refused.fields.get("file")
    fields = {**refused.fields, "file": f"{file_note}. {lang_text}" if file_note else lang_text}
    return Refusal(message=f"{refused.message} {lang_text}", fields=fields)


async def upload(request: Request, user: SignedIn, view: PageView) -> Response:
    """Store the file and start its import, then show the batch's report (live progress)."""
    form = await posted_form(request, user)
    require(user.caller, "upload_marc")
    lang = lang_for(request)
    listed = await targets(request, user)
    exchange_id = field(form, "exchange_id")
    file = form.get("file")
    try:
        if exchange_id is not None and exchange_id not in {t.id for t in listed}:
            raise Problem(422, "validation-error", f"exchange_id: {NOT_LISTED}")
        if not isinstance(file, UploadFile) or not file.filename:
            raise Problem(422, "validation-error", f"file: {NO_FILE}")
        batch_id = await cataloguing.upload(
            context(request),
            user.caller,
            file.file,
            file.filename,
            exchange_id,
            dry_run=form.get("mode") == "dry_run",
            encoding=chosen_encoding(form.get("encoding")),
        )
    except Problem as exc:
        if not mendable(exc):
            raise
        if exc.kind in FILE_PROBLEMS:  # about the file itself: said beside it
            exc = Problem(exc.status, exc.kind, f"file: {exc.detail}")
        refused = refusal(lang, exc, UPLOAD_LABELS)
        if isinstance(file, UploadFile) and file.filename:
            refused = _again(refused, lang.gettext(FILE_AGAIN))
        return await view(
            exc.status, targets=listed, refused=refused, sent=_sent(form, exchange_id)
        )
    return redirect(f"/batches/{batch_id}")


def _sent(form: FormData, exchange_id: str | None) -> dict[str, Any]:
    return {**kept(form, "encoding", "mode"), "exchange_id": exchange_id or ""}
