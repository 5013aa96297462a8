"""Signing in and out, and the language switch, for both the staff desk and the portal; and
a staff user's own account page, where they say where their notices are e-mailed and in which
language (``users.set_notice_address``, as ``exchange user email`` does on the server)."""

from __future__ import annotations

import asyncio
import hmac
import math
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.exchange.service import users
from services.exchange.service.users import SESSION_LIFETIME
from services.exchange.web.i18n import LANG_COOKIE, LANGUAGE_NAMES, N_
from services.exchange.web.pages import (
    SESSION_COOKIE,
    SIGNIN_CSRF_COOKIE,
    Flash,
    StaffUser,
    context,
    current_user,
    field,
    new_signin_token,
    posted_form,
    redirect,
    render,
    safe_next,
    secure_cookies,
)
from services.exchange.web.throttle import SignInThrottle

router = APIRouter(include_in_schema=False)
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hash")


def _home(portal: bool) -> str:
    return "/partner/" if portal else "/"


async def _signin_page(request: Request, portal: bool) -> Response:
    user = await current_user(request)
    if user is not None:
        return redirect(_home(user.is_partner))
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or new_signin_token()
    response = render(
        request,
        "signin.html",
        None,
        signin_token=token,
        next=safe_next(request.query_params.get("next"), _home(portal)),
        failed=False,
    )
    _set_signin_cookie(request, response, token)
    return response


def _set_signin_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        max_age=3600,
    )


async def _signin(request: Request, portal: bool) -> Response:
    form = await request.form()
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE) or ""
    sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        return render(
            request,
            "error.html",
            None,
            status_code=403,
            status=403,
            title="Forbidden",
            detail="the form is missing its security token; reload the page and try again",
        )
    username = field(form, "username") or ""
    password = form.get("password")
    ctx = context(request)
    throttle: SignInThrottle = request.app.state.signin_throttle
    address = request.client.host if request.client else "?"
    target = safe_next(field(form, "next"), _home(portal))
    wait = await asyncio.to_thread(throttle.wait_seconds, ctx.engine, username, address)
    if wait > 0:
        waiting = render(
            request,
            "signin.html",
            None,
            status_code=429,
            signin_token=expected,
            next=target,
            failed=False,
            wait_minutes=math.ceil(wait / 60),
            username=username,
        )
        waiting.headers["Retry-After"] = str(math.ceil(wait))
        return waiting
    token = None
    if isinstance(password, str) and username:
        # Hashing has its own small pool, so guesses cannot starve the pages' threads.
        token = await asyncio.get_running_loop().run_in_executor(
            _HASHING, users.sign_in, ctx.engine, username, password
        )
    if token is None:
        await asyncio.to_thread(throttle.failed, ctx.engine, username, address)
        return render(
            request,
            "signin.html",
            None,
            status_code=401,
            signin_token=expected,
            next=target,
            failed=True,
            username=username,
        )
    await asyncio.to_thread(throttle.succeeded, ctx.engine, username, address)
    user = await asyncio.to_thread(users.session_for, ctx.engine, token, ctx.settings.home_code)
    assert user is not None
    if user.is_partner != portal:
        target = _home(user.is_partner)
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE)
    return response


async def _signout(request: Request, portal: bool) -> Response:
    user = await current_user(request)
    if user is not None:
        await posted_form(request, user)
        token = request.cookies.get(SESSION_COOKIE, "")
        await asyncio.to_thread(users.sign_out, context(request).engine, token)
    response = redirect("/partner/signin" if portal else "/signin")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/signin")
async def signin_page(request: Request) -> Response:
    return await _signin_page(request, portal=False)


@router.post("/signin")
async def signin(request: Request) -> Response:
    return await _signin(request, portal=False)


@router.post("/signout")
async def signout(request: Request) -> Response:
    return await _signout(request, portal=False)


@router.get("/partner/signin")
async def portal_signin_page(request: Request) -> Response:
    return await _signin_page(request, portal=True)


@router.post("/partner/signin")
async def portal_signin(request: Request) -> Response:
    return await _signin(request, portal=True)


@router.post("/partner/signout")
async def portal_signout(request: Request) -> Response:
    return await _signout(request, portal=True)


@router.get("/lang/{code}")
async def switch_language(code: str, request: Request) -> Response:
    """Remember the reader's language (a preference, so a plain link is enough)."""
    target = safe_next(request.query_params.get("next"), "/")
    response = redirect(target)
    if code in LANGUAGE_NAMES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=secure_cookies(request),
        )
    return response


@router.get("/account")
async def account_page(request: Request, user: StaffUser) -> Response:
    engine = context(request).engine
    email, language = await asyncio.to_thread(users.notice_address, engine, user.username)
    return render(
        request,
        "staff/account.html",
        user,
        notice_email=email,
        notice_language=language or "en",
        notice_languages=[(code, LANGUAGE_NAMES[code]) for code in users.NOTICE_LANGUAGES],
        refused=None,
    )


@router.post("/account/notices")
async def set_notices(request: Request, user: StaffUser) -> Response:
    """Set one's own notice address and language; a refused address comes back on the page."""
    form = await posted_form(request, user)
    email = field(form, "email")
    language = field(form, "language")
    engine = context(request).engine
    try:
        await asyncio.to_thread(
            users.set_notice_address, engine, user.username, email, language, user.caller
        )
    except users.UserError:
        return render(
            request,
            "staff/account.html",
            user,
            status_code=422,
            notice_email=email,
            notice_language=language or "en",
            notice_languages=[(code, LANGUAGE_NAMES[code]) for code in users.NOTICE_LANGUAGES],
            refused=N_("Give an e-mail address (name@domain), or leave the field empty."),
        )
    done = N_("Notices are e-mailed to you.") if email else N_("You get no notices by e-mail.")
    return redirect("/account", Flash("ok", done), request)
