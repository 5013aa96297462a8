"""What every page handler needs: the signed-in user, CSRF checks, flash messages, rendering.

A page that needs a user and finds none redirects to the sign-in page; a partner user on a
staff page is sent to the portal and the other way round. Every form carries the session's
CSRF token and a post without it is refused with 403; SameSite cookies are the second line.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.exchange.problems import Problem
from services.exchange.service import users
from services.exchange.service.context import Context
from services.exchange.service.users import SignedIn
from services.exchange.web import history_notes, server_text
from services.exchange.web.abilities import abilities
from services.exchange.web.i18n import (
    LANGUAGE_NAMES,
    PARTNER_LANGUAGES,
    STAFF_LANGUAGES,
    Lang,
    choose,
)

SESSION_COOKIE = "exchange_session"
SIGNIN_CSRF_COOKIE = "exchange_signin_csrf"
FLASH_COOKIE = "exchange_flash"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


class Redirect(Exception):
    """Raised by dependencies to send the browser elsewhere (to sign in, or to its side)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


PORTAL_PREFIX = "/partner"
SIGNED_IN_KEY = "signed_in"  # request.state: the user a page's dependency found


def is_portal(request: Request) -> bool:
    """The portal is ``/partner`` and what lies under it; ``/partners`` is the staff desk's."""
    path = request.url.path
    return path == PORTAL_PREFIX or path.startswith(PORTAL_PREFIX + "/")


def lang_for(request: Request) -> Lang:
    ctx = context(request)
    languages = PARTNER_LANGUAGES if is_portal(request) else STAFF_LANGUAGES
    return choose(request, languages, ZoneInfo(ctx.settings.timezone))


def secure_cookies(request: Request) -> bool:
    return context(request).settings.base_url.startswith("https://")


async def current_user(request: Request) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    ctx = context(request)
    return await asyncio.to_thread(users.session_for, ctx.engine, token, ctx.settings.home_code)


def _signin_url(request: Request, portal: bool) -> str:
    """Back to this page after signing in; after a form, to the page the form was on."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        target = safe_next(referer.path if same_site else None, "/partner/" if portal else "/")
    return ("/partner/signin" if portal else "/signin") + "?" + urlencode({"next": target})


async def staff_user(request: Request) -> SignedIn:
    user = await current_user(request)
    if user is None:
        raise Redirect(_signin_url(request, portal=False))
    if user.is_partner:
        raise Redirect("/partner/")
    setattr(request.state, SIGNED_IN_KEY, user)  # an error page keeps this user's menu
    return user


async def partner_user(request: Request) -> SignedIn:
    user = await current_user(request)
    if user is None:
        raise Redirect(_signin_url(request, portal=True))
    if not user.is_partner:
        raise Redirect("/")
    setattr(request.state, SIGNED_IN_KEY, user)
    return user


StaffUser = Annotated[SignedIn, Depends(staff_user)]
PartnerUser = Annotated[SignedIn, Depends(partner_user)]


def check_csrf(expected: str, form: FormData) -> None:
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Problem(
            403, "csrf", "the form is missing its security token; reload the page and try again"
        )


async def posted_form(request: Request, user: SignedIn) -> FormData:
    """The form of a POST, after checking that it carries the session's CSRF token."""
    form = await request.form()
    check_csrf(user.csrf_token, form)
    return form


def field(form: FormData, name: str) -> str | None:
    """A text field, stripped; an empty field is None, as an absent JSON member would be."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Flash:
    kind: str  # "ok" or "error"
    message: str


def redirect(location: str, flash: Flash | None = None, request: Request | None = None) -> Response:
    response = RedirectResponse(location, status_code=303)
    if flash is not None:
        response.set_cookie(
            FLASH_COOKIE,
            quote(f"{flash.kind}:{_shorten(flash.message)}"),
            max_age=60,
            httponly=True,
            samesite="lax",
            secure=bool(request and secure_cookies(request)),
        )
    return response


def _shorten(message: str, limit: int = 500) -> str:
    """Flash messages travel in a cookie, which browsers drop above 4 KB."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _flash_of(request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, message = unquote(raw).partition(":")
    return Flash(kind if kind in ("ok", "error") else "error", message)


def render(
    request: Request,
    template: str,
    user: SignedIn | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = lang_for(request)
    flash = _flash_of(request)
    portal = is_portal(request)
    ctx = context(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "lang": lang,
            "_": lang.gettext,
            "ngettext": lang.ngettext,
            # The server's English messages (refusals, errors) in the reader's language.
            "said": functools.partial(server_text.translate, lang),
            "history_note": functools.partial(history_notes.render_note, lang),
            "languages": [
                (code, LANGUAGE_NAMES[code])
                for code in (PARTNER_LANGUAGES if portal else STAFF_LANGUAGES)
            ],
            "portal": portal,
            "can": abilities(user.caller if user else None),
            "home_name": ctx.settings.home_name,
            "flash": flash,
            "csrf_field": CSRF_FIELD,
            **values,
        },
        status_code=status_code,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE)
    return response


async def act(
    request: Request,
    back: str,
    step: Callable[[], Awaitable[object]],
    done: str,
) -> Response:
    """Run a step and come back to the page, with the server's reason when it is refused."""
    try:
        await step()
    except Problem as exc:
        if exc.status == 404:
            raise
        return redirect(back, Flash("error", exc.detail), request)
    except ValidationError as exc:
        return redirect(back, Flash("error", describe(exc)), request)
    return redirect(back, Flash("ok", done), request)


def describe(exc: ValidationError) -> str:
    """A validation error as one readable sentence, field first, as the API's 422 gives it."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'not valid')}" if where else first.get("msg", "")


def new_signin_token() -> str:
    return secrets.token_urlsafe(24)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site; never another origin (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def page_base(request: Request, path: str) -> str:
    """The list's address with its filters but without the page, ready for ``page=N``."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return f"{path}?{urlencode(kept)}&" if kept else f"{path}?"
