"""The offer list as a PDF or CSV from the staff desk and the partner portal.

The API's downloads (``/api/v1/offer-lists/{id}.pdf``) take only an API key, and a page's
link carries the session cookie, so these routes give the same files to a signed-in user:
``/offer-lists/{id}/list.pdf`` and ``list.csv`` on the desk, the same under ``/partner`` on
the portal. The service decides what the reader sees (a partner gets 404 for a list not
addressed to it). The headings are in the page's language unless ``?lang=`` (en, ru, id)
asks for another: staff send a Russian list to a partner from an Indonesian desk.

(No ``from __future__ import annotations`` here: FastAPI must see the ``User`` dependency,
which is local to ``build_router``, as a real annotation.)
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.exchange.http.downloads import download
from services.exchange.service import offer_list_pdf
from services.exchange.service.offer_list_pdf import DOCUMENT_LANGUAGES, DocumentLanguage
from services.exchange.service.users import SignedIn
from services.exchange.web.pages import context, lang_for, partner_user, staff_user


def _language(request: Request, asked: DocumentLanguage | None) -> DocumentLanguage:
    if asked is not None:
        return asked
    code = lang_for(request).code
    return next((known for known in DOCUMENT_LANGUAGES if known == code), "en")


def build_router(prefix: str, user_dep: Callable[[Request], Awaitable[SignedIn]]) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    User = Annotated[SignedIn, Depends(user_dep)]

    async def send(
        request: Request,
        user: SignedIn,
        list_id: str,
        lang: DocumentLanguage | None,
        kind: Literal["csv", "pdf"],
    ) -> Response:
        ctx = context(request)
        data, name = await asyncio.to_thread(
            offer_list_pdf.export,
            ctx.engine,
            ctx.settings,
            user.caller,
            list_id,
            _language(request, lang),
            kind,
        )
        media = "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
        return download(data, name, media)

    @router.get("/offer-lists/{list_id}/list.pdf")
    async def list_pdf(
        list_id: str, request: Request, user: User, lang: DocumentLanguage | None = None
    ) -> Response:
        return await send(request, user, list_id, lang, "pdf")

    @router.get("/offer-lists/{list_id}/list.csv")
    async def list_csv(
        list_id: str, request: Request, user: User, lang: DocumentLanguage | None = None
    ) -> Response:
        return await send(request, user, list_id, lang, "csv")

    return router


staff_router = build_router("", staff_user)
portal_router = build_router("/partner", partner_user)
