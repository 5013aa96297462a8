"""The exchange page and its steps, the MARC batch report and the downloads.

Staff (under ``/``) and partner users (under ``/partner``) share these pages: the same
template and the same handlers, mounted twice with a different user dependency. What a reader
may see and do is decided by the service layer and the workflow, never here: the page asks
the workflow which steps are open to the reader's side, and a refused step comes back with
the server's reason.

(No ``from __future__ import annotations`` here: FastAPI must see the ``User`` dependency,
which is local to ``build_router``, as a real annotation.)
"""

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.exchange.http.deps import LIFECYCLE_ROLES, MARC_ROLES, permitted, require_role
from services.exchange.http.downloads import csv_download, marc_download, raw_marc_download
from services.exchange.problems import Problem
from services.exchange.schemas import (
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    DecisionIn,
    LineIn,
    LostIn,
    ReceiptIn,
    RevisionIn,
    ShipmentIn,
)
from services.exchange.service import actions, cataloguing, desk, exchanges
from services.exchange.service.access import require_visible
from services.exchange.service.users import SignedIn
from services.exchange.web.pages import (
    act,
    context,
    field,
    page_base,
    partner_user,
    posted_form,
    redirect,
    render,
    staff_user,
)
from workflows.exchange.types import STATES

Format = Literal["marc21", "marcxml"]


class FormError(ValueError):
    """A field that cannot be read (a count that is not a number)."""


def whole_number(form: FormData, name: str, label: str) -> int | None:
    value = field(form, name)
    if value is None:
        return None
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise FormError(f"{label}: {shown!r} is not a whole number (up to 9 digits)")
    return int(value)


def day(form: FormData, name: str, label: str) -> date | None:
    value = field(form, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None


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
        batch.append(
            await cataloguing.upload(
                context(request),
                user.caller,
                file.file,
                file.filename,
                exchange_id,
                dry_run=form.get("mode") == "dry_run",
            )
        )

    response = await act(request, back, run, "")
    return redirect(f"{prefix}/batches/{batch[0]}") if batch else response


PAGE_SIZE = 50


async def exchange_listing(
    request: Request, user: SignedIn, terms: desk.Search, page: int
) -> dict[str, Any]:
    """One page of the reader's exchanges, and what the list template needs to page through."""
    rows, total = await asyncio.to_thread(
        desk.search, context(request).engine, user.caller, terms, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    return {
        "rows": rows,
        "total": total,
        "terms": terms,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "base": page_base(request, request.url.path),
        "states": STATES,
    }


def build_router(prefix: str, user_dep: Callable[[Request], Awaitable[SignedIn]]) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    User = Annotated[SignedIn, Depends(user_dep)]

    def page_of(exchange_id: str) -> str:
        return f"{prefix}/exchanges/{exchange_id}"

    @router.get("/exchanges/{exchange_id}")
    async def exchange_page(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)
        caller = user.caller
        view = await asyncio.to_thread(
            exchanges.view, ctx.engine, ctx.settings.home_code, caller, exchange_id
        )
        open_steps = await actions.available(ctx, caller, exchange_id, view.state)
        steps: set[str] = set()
        answerable: list[str] = []
        confirmable: list[str] = []
        if open_steps is not None:
            if permitted(caller, LIFECYCLE_ROLES):
                steps = set(open_steps.actions) - {"upload_marc"}
                answerable = open_steps.answerable_claims
                confirmable = open_steps.confirmable_claims
            if "upload_marc" in open_steps.actions and permitted(caller, MARC_ROLES):
                steps.add("upload_marc")
        batches = await asyncio.to_thread(desk.batches, ctx.engine, caller, 100, exchange_id)
        titles = {line.id: line.title for line in view.lines}
        return render(
            request,
            "exchange.html",
            user,
            x=view,
            steps=steps,
            steps_unknown=open_steps is None,
            answerable=answerable,
            confirmable=confirmable,
            batches=batches,
            titles=titles,
            prefix=prefix,
            today=datetime.now(ZoneInfo(ctx.settings.timezone)).date().isoformat(),
        )

    @router.get("/exchanges/{exchange_id}/packing-list")
    async def packing_list(exchange_id: str, request: Request, user: User) -> Response:
        """A printable list of the accepted copies, to put in the parcel."""
        ctx = context(request)
        view = await asyncio.to_thread(
            exchanges.view, ctx.engine, ctx.settings.home_code, user.caller, exchange_id
        )
        accepted = [line for line in view.lines if line.accepted_quantity]
        return render(
            request,
            "packing_list.html",
            user,
            x=view,
            accepted=accepted,
            copies=sum(line.accepted_quantity or 0 for line in accepted),
            prefix=prefix,
        )

    async def lifecycle_step(
        request: Request,
        user: SignedIn,
        exchange_id: str,
        done: str,
        step: Callable[[FormData], Awaitable[object]],
    ) -> Response:
        form = await posted_form(request, user)
        # Someone else's exchange does not exist, whatever the form holds.
        await asyncio.to_thread(require_visible, context(request).engine, user.caller, exchange_id)

        async def run() -> None:
            require_role(user.caller, *LIFECYCLE_ROLES)
            try:
                await step(form)
            except FormError as exc:
                raise Problem(422, "validation-error", str(exc)) from None

        return await act(request, page_of(exchange_id), run, done)

    @router.post("/exchanges/{exchange_id}/decide")
    async def decide(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            if form.get("decision") == "decline":
                body = DecisionIn(decline=field(form, "decline_reason") or "")
            else:
                accept = []
                for name in form:
                    if name.startswith("qty-"):
                        quantity = whole_number(form, name, "quantity")
                        if quantity:
                            accept.append({"line_id": name[4:], "quantity": quantity})
                body = DecisionIn.model_validate({"accept": accept})
            return await exchanges.decide(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "Decision recorded.", step)

    @router.post("/exchanges/{exchange_id}/revise")
    async def revise(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            lines: list[dict[str, Any]] = []
            rows = sorted({name.split("-", 1)[1] for name in form if name.startswith("title-")})
            for row in rows:
                title = field(form, f"title-{row}")
                if title is None:
                    continue
                lines.append(
                    {
                        "title": title,
                        "isbn": field(form, f"isbn-{row}"),
                        "issn": field(form, f"issn-{row}"),
                        "author": field(form, f"author-{row}"),
                        "year": whole_number(form, f"year-{row}", "year"),
                        "quantity": whole_number(form, f"quantity-{row}", "quantity") or 0,
                        "record_id": whole_number(form, f"record-{row}", "fund item"),
                        "unit_value": field(form, f"value-{row}"),
                        "currency": field(form, f"currency-{row}"),
                    }
                )
            body = RevisionIn(lines=[LineIn.model_validate(line) for line in lines])
            return await exchanges.revise(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "The offer was revised.", step)

    @router.post("/exchanges/{exchange_id}/ship")
    async def ship(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = ShipmentIn(
                carrier=field(form, "carrier") or "",
                tracking=field(form, "tracking"),
                parcels=whole_number(form, "parcels", "parcels"),
                shipped_on=day(form, "shipped_on", "shipped on"),
            )
            return await exchanges.ship(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "Shipment recorded.", step)

    @router.post("/exchanges/{exchange_id}/receive")
    async def receive(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            lines = []
            for name in form:
                if name.startswith("received-"):
                    line_id = name[len("received-") :]
                    lines.append(
                        {
                            "line_id": line_id,
                            "received": whole_number(form, name, "received") or 0,
                            "damaged": whole_number(form, f"damaged-{line_id}", "damaged") or 0,
                        }
                    )
            body = ReceiptIn.model_validate(
                {"lines": lines, "received_on": day(form, "received_on", "received on")}
            )
            return await exchanges.receive(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "Receipt recorded.", step)

    @router.post("/exchanges/{exchange_id}/cancel")
    async def cancel(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = CancelIn(reason=field(form, "reason") or "")
            return await exchanges.cancel(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "The exchange was cancelled.", step)

    @router.post("/exchanges/{exchange_id}/lost")
    async def lost(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = LostIn(note=field(form, "note"))
            return await exchanges.mark_lost(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, "Marked as lost.", step)

    @router.post("/exchanges/{exchange_id}/claims/{claim_no}/answer")
    async def answer_claim(
        exchange_id: str, claim_no: str, request: Request, user: User
    ) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = ClaimAnswerIn.model_validate(
                {"action": field(form, "action"), "note": field(form, "note")}
            )
            return await exchanges.answer_claim(ctx, user.caller, exchange_id, claim_no, body)

        return await lifecycle_step(request, user, exchange_id, "The claim was answered.", step)

    @router.post("/exchanges/{exchange_id}/claims/{claim_no}/confirm")
    async def confirm_claim(
        exchange_id: str, claim_no: str, request: Request, user: User
    ) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = ClaimConfirmIn(note=field(form, "note"))
            return await exchanges.confirm_claim(ctx, user.caller, exchange_id, claim_no, body)

        return await lifecycle_step(request, user, exchange_id, "The claim is settled.", step)

    @router.post("/exchanges/{exchange_id}/marc")
    async def upload_for_exchange(exchange_id: str, request: Request, user: User) -> Response:
        return await upload_marc(request, user, exchange_id, page_of(exchange_id), prefix)

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
        )

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
