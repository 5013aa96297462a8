"""Cancelling an exchange asks first: a page that names the exchange and says what it does.

The exchange page's cancel form only leads here (a GET with the reason typed); the step itself
is the POST of this page's form, which carries ``confirmed``. A cancel posted without it (an
old page, a hand-made form) comes back here rather than cancelling, so nothing ends an
exchange unasked. No script is needed for any of it.

Mounted twice, like the exchange page, for staff (``/``) and partner users (``/partner``).

(No ``from __future__ import annotations`` here: FastAPI must see the ``User`` dependency,
which is local to ``build_router``, as a real annotation.)
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.exchange.http.deps import LIFECYCLE_ROLES, require_role
from services.exchange.service import actions, exchange_queries
from services.exchange.service.users import SignedIn
from services.exchange.web.i18n import N_
from services.exchange.web.pages import Flash, context, partner_user, redirect, render, staff_user

CONFIRMED_FIELD = "confirmed"
CANNOT_CANCEL = N_("This exchange can no longer be cancelled.")


def confirmation_url(prefix: str, exchange_id: str, reason: str | None) -> str:
    """The page that asks before cancelling, with the reason typed so far."""
    query = f"?{urlencode({'reason': reason})}" if reason else ""
    return f"{prefix}/exchanges/{exchange_id}/cancel{query}"


def build_router(prefix: str, user_dep: Callable[[Request], Awaitable[SignedIn]]) -> APIRouter:
    router = APIRouter(prefix=prefix, include_in_schema=False)
    User = Annotated[SignedIn, Depends(user_dep)]

    @router.get("/exchanges/{exchange_id}/cancel")
    async def confirm_cancel(
        exchange_id: str, request: Request, user: User, reason: str | None = None
    ) -> Response:
        ctx = context(request)
        settings = ctx.settings
        view = await asyncio.to_thread(
            exchange_queries.view,
            ctx.engine,
            settings.home_code,
            user.caller,
            exchange_id,
            home_name=settings.home_name,
        )
        require_role(user.caller, *LIFECYCLE_ROLES)
        page = f"{prefix}/exchanges/{view.id}"
        open_steps = await actions.available(ctx, user.caller, view.id, view.state)
        if open_steps is not None and "cancel" not in open_steps.actions:
            return redirect(page, Flash("error", CANNOT_CANCEL), request)
        return render(
            request,
            "cancel_confirm.html",
            user,
            x=view,
            label=view.number or view.id[:8],
            prefix=prefix,
            reason=(reason or "").strip()[:2000],
            other=settings.home_name if user.is_partner else view.partner_name,
            confirmed_field=CONFIRMED_FIELD,
        )

    return router


staff_router = build_router("", staff_user)
portal_router = build_router("/partner", partner_user)
