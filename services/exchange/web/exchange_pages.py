"""The exchange list, the exchange page and its steps, and the packing list.

Staff (under ``/``) and partner users (under ``/partner``) share these pages: the same
template and the same handlers, mounted twice with a different user dependency. What a reader
may see and do is decided by the service layer and the workflow, never here: the page asks
the workflow which steps are open to the reader's side, and a refused step comes back with
the server's reason.

(No ``from __future__ import annotations`` here: FastAPI must see the ``User`` dependency,
which is local to ``build_router``, as a real annotation.)
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.exchange.http.deps import LIFECYCLE_ROLES, permitted, require_role
from services.exchange.http.downloads import download
from services.exchange.problems import Problem
from services.exchange.schemas.documents import DocumentKind, PaperLanguage
from services.exchange.schemas.exchanges import (
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    DecisionIn,
    ExchangeOut,
    LineIn,
    LostIn,
    ReceiptIn,
    RevisionIn,
    ShipmentIn,
)
from services.exchange.service import (
    actions,
    copy_counts,
    desk,
    documents,
    exchange_queries,
    partner_contacts,
    steps,
    upload_access,
)
from services.exchange.service.access import require_visible
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.service.list_orders import EXCHANGE_COLUMNS
from services.exchange.service.users import SignedIn
from services.exchange.web.cancel_pages import CONFIRMED_FIELD, confirmation_url
from services.exchange.web.countries import country_names
from services.exchange.web.forms import FormError, day, whole_number
from services.exchange.web.i18n import LANGUAGE_NAMES, N_
from services.exchange.web.list_views import sort_links
from services.exchange.web.pages import (
    Redirect,
    act,
    context,
    field,
    lang_for,
    partner_user,
    posted_form,
    render,
    staff_user,
)
from workflows.exchange.types import STATES

PAGE_SIZE = 50


async def exchange_listing(
    request: Request, user: SignedIn, terms: ListQuery, page: int
) -> dict[str, Any]:
    """One page of the reader's exchanges in the order its headers ask for (``?sort=``), and
    what the list template needs to sort and page through it."""
    links = sort_links(request, EXCHANGE_COLUMNS)
    wanted = dataclasses.replace(
        terms, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, sort=links.sort
    )
    rows, total = await asyncio.to_thread(desk.search, context(request).engine, user.caller, wanted)
    return {
        "rows": rows,
        "total": total,
        "terms": terms,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "base": links.page_base,
        "links": links,
        "states": STATES,
    }


async def _view(request: Request, user: SignedIn, exchange_id: str) -> ExchangeOut:
    """The exchange (by id or number) as the reader sees it, our library by its name."""
    settings = context(request).settings
    return await asyncio.to_thread(
        exchange_queries.view,
        context(request).engine,
        settings.home_code,
        user.caller,
        exchange_id,
        home_name=settings.home_name,
    )


def build_router(prefix: str, user_dep: Callable[[Request], Awaitable[SignedIn]]) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    User = Annotated[SignedIn, Depends(user_dep)]

    def page_of(exchange_id: str) -> str:
        return f"{prefix}/exchanges/{exchange_id}"

    @router.get("/exchanges/{exchange_id}")
    async def exchange_page(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)
        caller = user.caller
        view = await _view(request, user, exchange_id)
        exchange_id = view.id  # the page may have been asked for by the exchange's number
        open_steps = await actions.available(ctx, caller, exchange_id, view.state)
        steps: set[str] = set()
        answerable: list[str] = []
        confirmable: list[str] = []
        if open_steps is not None:
            if permitted(caller, LIFECYCLE_ROLES):
                steps = set(open_steps.actions) - {"upload_marc"}
                answerable = open_steps.answerable_claims
                confirmable = open_steps.confirmable_claims
            partner_sends = view.sender == view.partner
            if "upload_marc" in open_steps.actions and upload_access.may_upload(
                caller, partner_sends, view.state
            ):
                steps.add("upload_marc")
        batches = await asyncio.to_thread(desk.batches, ctx.engine, caller, 100, exchange_id)
        titles = {line.id: line.title for line in view.lines}
        papers = await asyncio.to_thread(
            documents.list_documents, ctx.engine, ctx.settings, caller, exchange_id
        )
        reader = lang_for(request).code
        paper_languages = [*papers.languages]
        if reader in documents.PAPER_LANGUAGES and reader not in paper_languages:
            paper_languages.insert(0, reader)
        return render(
            request,
            "exchange.html",
            user,
            x=view,
            counts=copy_counts.stages_reached(view.state, copy_counts.of_lines(view.lines)),
            respond_by_due=copy_counts.respond_by_applies(view.state),
            steps=steps,
            steps_unknown=open_steps is None,
            answerable=answerable,
            confirmable=confirmable,
            batches=batches,
            titles=titles,
            papers=papers,
            paper_titles=documents.TITLES,
            paper_languages=[(code, LANGUAGE_NAMES[code]) for code in paper_languages],
            prefix=prefix,
            today=datetime.now(ZoneInfo(ctx.settings.timezone)).date().isoformat(),
        )

    @router.get("/exchanges/{exchange_id}/packing-list")
    async def packing_list(exchange_id: str, request: Request, user: User) -> Response:
        """A printable list of the accepted copies, to put in the parcel."""
        ctx = context(request)
        view = await _view(request, user, exchange_id)
        sender, recipient = await asyncio.to_thread(
            partner_contacts.parties,
            ctx.engine,
            ctx.settings,
            view.partner,
            outgoing=view.sender != view.partner,
        )
        accepted = [line for line in view.lines if line.accepted_quantity]
        today = datetime.now(ZoneInfo(ctx.settings.timezone)).date()
        return render(
            request,
            "packing_list.html",
            user,
            x=view,
            sender=sender,
            recipient=recipient,
            country_names=country_names(lang_for(request)),
            accepted=accepted,
            old={warning.line_id for warning in documents.old_lines(accepted, today)},
            copies=sum(line.accepted_quantity or 0 for line in accepted),
            prefix=prefix,
        )

    @router.get("/exchanges/{exchange_id}/documents/{kind}.pdf")
    async def paper(
        exchange_id: str,
        kind: DocumentKind,
        request: Request,
        user: User,
        lang: PaperLanguage = "en",
        parcel: int = 0,
    ) -> Response:
        """A shipment paper as PDF, as the API gives it (``service/documents``)."""
        ctx = context(request)
        data, name = await asyncio.to_thread(
            documents.document_pdf,
            ctx.engine,
            ctx.settings,
            user.caller,
            exchange_id,
            kind,
            lang,
            parcel,
        )
        return download(data, name, "application/pdf")

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
            return await steps.decide(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, N_("Decision recorded."), step)

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
            return await steps.revise(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, N_("The offer was revised."), step)

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
            return await steps.ship(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, N_("Shipment recorded."), step)

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
            return await steps.receive(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, N_("Receipt recorded."), step)

    @router.post("/exchanges/{exchange_id}/cancel")
    async def cancel(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            if form.get(CONFIRMED_FIELD) != "yes":  # asked first, on the confirmation page
                raise Redirect(confirmation_url(prefix, exchange_id, field(form, "reason")))
            body = CancelIn(reason=field(form, "reason") or "")
            return await steps.cancel(ctx, user.caller, exchange_id, body)

        done = N_("The exchange was cancelled.")
        return await lifecycle_step(request, user, exchange_id, done, step)

    @router.post("/exchanges/{exchange_id}/lost")
    async def lost(exchange_id: str, request: Request, user: User) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = LostIn(note=field(form, "note"))
            return await steps.mark_lost(ctx, user.caller, exchange_id, body)

        return await lifecycle_step(request, user, exchange_id, N_("Marked as lost."), step)

    @router.post("/exchanges/{exchange_id}/claims/{claim_no}/answer")
    async def answer_claim(
        exchange_id: str, claim_no: str, request: Request, user: User
    ) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = ClaimAnswerIn.model_validate(
                {"action": field(form, "action"), "note": field(form, "note")}
            )
            return await steps.answer_claim(ctx, user.caller, exchange_id, claim_no, body)

        return await lifecycle_step(request, user, exchange_id, N_("The claim was answered."), step)

    @router.post("/exchanges/{exchange_id}/claims/{claim_no}/confirm")
    async def confirm_claim(
        exchange_id: str, claim_no: str, request: Request, user: User
    ) -> Response:
        ctx = context(request)

        async def step(form: FormData) -> object:
            body = ClaimConfirmIn(note=field(form, "note"))
            return await steps.confirm_claim(ctx, user.caller, exchange_id, claim_no, body)

        return await lifecycle_step(request, user, exchange_id, N_("The claim is settled."), step)

    return router


staff_router = build_router("", staff_user)
portal_router = build_router("/partner", partner_user)
