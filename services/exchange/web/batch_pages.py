"""MARC uploads, the batch report and the downloads, for staff and partner users alike.

Like the exchange page, these handlers are mounted twice (under ``/`` and ``/partner``) with a
different user dependency; who may see a batch or an exchange's records is decided by the
service layer.

(No ``from __future__ import annotations`` here: FastAPI must see the ``User`` dependency,
which is local to ``build_router``, as a real annotation.)
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

import marc
from marc.charsets import ENCODING_NAMES
from services.exchange.http.deps import MARC_ROLES, require_role
from services.exchange.http.downloads import csv_download, marc_download, raw_marc_download
from services.exchange.problems import Problem
from services.exchange.schemas.marc import BatchProgress
from services.exchange.service import cataloguing, desk, staging
from services.exchange.service.access import require_visible
from services.exchange.service.users import SignedIn
from services.exchange.web.i18n import Lang
from services.exchange.web.pages import (
    act,
    context,
    lang_for,
    partner_user,
    posted_form,
    redirect,
    render,
    staff_user,
)

Format = Literal["marc21", "marcxml"]


def progress_text(lang: Lang, p: BatchProgress) -> str:
    """The live progress line, in the reader's language and number format, written the same
    by the page and by the endpoint its script polls (so "30.000", never "30000")."""
    rate = lang.number(round(p.records_per_second or 0))
    if p.expected_total:
        return lang.ngettext(
            "{done} of {n} record, {rate} per second",
            "{done} of {n} records, {rate} per second",
            p.expected_total,
            done=lang.number(p.processed),
            rate=rate,
        )
    return lang.ngettext(
        "{n} record, {rate} per second", "{n} records, {rate} per second", p.processed, rate=rate
    )


def chosen_encoding(value: object) -> marc.TextEncoding | None:
    """The upload form's character set: empty is none (the partner's, else each record's)."""
    if not isinstance(value, str) or not value.strip():
        return None
    for known in marc.TEXT_ENCODINGS:
        if known == value.strip():
            return known
    raise Problem(
        422,
        "validation-error",
        f"encoding: {value.strip()!r} is not one of {', '.join(marc.TEXT_ENCODINGS)}",
    )


async def upload_marc(
    request: Request, user: SignedIn, exchange_id: str | None, back: str, prefix: str
) -> Response:
    """Store the file and start its import, then show the batch's report (live progress)."""
    form = await posted_form(request, user)
    file = form.get("file")
    batch: list[str] = []

    async def run() -> None:
        require_role(user.caller, *MARC_ROLES)
        if not isinstance(file, UploadFile) or not file.filename:
            raise Problem(422, "validation-error", "choose a MARC file to upload")
        encoding = chosen_encoding(form.get("encoding"))
        batch.append(
            await cataloguing.upload(
                context(request),
                user.caller,
                file.file,
                file.filename,
                exchange_id,
                dry_run=form.get("mode") == "dry_run",
                encoding=encoding,
            )
        )

    response = await act(request, back, run, "")
    return redirect(f"{prefix}/batches/{batch[0]}") if batch else response


def build_router(prefix: str, user_dep: Callable[[Request], Awaitable[SignedIn]]) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    User = Annotated[SignedIn, Depends(user_dep)]

    @router.post("/exchanges/{exchange_id}/marc")
    async def upload_for_exchange(exchange_id: str, request: Request, user: User) -> Response:
        back = f"{prefix}/exchanges/{exchange_id}"
        return await upload_marc(request, user, exchange_id, back, prefix)

    @router.get("/batches/{batch_id}")
    async def batch_page(batch_id: str, request: Request, user: User) -> Response:
        ctx = context(request)
        report = await asyncio.to_thread(cataloguing.batch_view, ctx.engine, user.caller, batch_id)
        multi = await asyncio.to_thread(desk.multi_matches, ctx.engine, batch_id)
        return render(
            request,
            "batch.html",
            user,
            b=report,
            multi=multi,
            prefix=prefix,
            encoding_names=ENCODING_NAMES,
            progress_text=progress_text,
        )

    @router.post("/batches/{batch_id}/undo")
    async def undo_batch(batch_id: str, request: Request, user: User) -> Response:
        """Start the undo of a committed batch; the report then follows its progress."""
        await posted_form(request, user)

        async def run() -> None:
            await staging.undo(context(request), user.caller, batch_id)

        return await act(request, f"{prefix}/batches/{batch_id}", run, "Undo started.")

    @router.get("/batches/{batch_id}/progress")
    async def batch_progress(batch_id: str, request: Request, user: User) -> Response:
        """What the report page polls while the import runs (JSON, for the page's script)."""
        ctx = context(request)
        report = await asyncio.to_thread(cataloguing.batch_view, ctx.engine, user.caller, batch_id)
        return JSONResponse(
            {
                "state": report.state,
                "processed": report.progress.processed,
                "expected_total": report.progress.expected_total,
                "records_per_second": report.progress.records_per_second,
                "eta_seconds": report.progress.eta_seconds,
                "text": progress_text(lang_for(request), report.progress),
            }
        )

    @router.get("/batches/{batch_id}/outcomes.csv")
    async def batch_outcomes(batch_id: str, request: Request, user: User) -> Response:
        ctx = context(request)
        await asyncio.to_thread(cataloguing.check_batch_visible, ctx.engine, user.caller, batch_id)
        return csv_download(cataloguing.outcomes_csv(ctx.engine, batch_id), f"batch-{batch_id}.csv")

    @router.get("/batches/{batch_id}/rejected.mrc")
    async def batch_rejected(batch_id: str, request: Request, user: User) -> Response:
        ctx = context(request)
        await asyncio.to_thread(cataloguing.check_batch_visible, ctx.engine, user.caller, batch_id)
        return raw_marc_download(
            cataloguing.rejected_raw(ctx.engine, batch_id), f"rejected-{batch_id}.mrc"
        )

    @router.get("/batches/{batch_id}/export")
    async def batch_export(
        batch_id: str, request: Request, user: User, format: Format = "marc21"
    ) -> Response:
        ctx = context(request)
        await asyncio.to_thread(cataloguing.check_batch_visible, ctx.engine, user.caller, batch_id)
        return marc_download(
            cataloguing.batch_records(ctx.engine, batch_id), f"batch-{batch_id}", format
        )

    @router.get("/exchanges/{exchange_id}/records")
    async def exchange_records(
        exchange_id: str, request: Request, user: User, format: Format = "marc21"
    ) -> Response:
        ctx = context(request)
        await asyncio.to_thread(require_visible, ctx.engine, user.caller, exchange_id)
        return marc_download(
            cataloguing.exchange_records(ctx.engine, exchange_id), f"exchange-{exchange_id}", format
        )

    return router


staff_router = build_router("", staff_user)
portal_router = build_router("/partner", partner_user)
