"""Mount the pages on the app: routers, static files, redirects and errors as pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from services.exchange.web import (
    account,
    batch_pages,
    exchange_pages,
    portal,
    staff,
    staff_partners,
    staff_proposals,
)
from services.exchange.web.pages import Redirect, redirect, render
from services.exchange.web.throttle import SignInThrottle


def _error_page(request: Request, status: int, title: str, detail: str | None) -> HTMLResponse:
    return render(
        request, "error.html", None, status_code=status, status=status, title=title, detail=detail
    )


async def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    return redirect(exc.location)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for router in (
        account.router,
        staff.router,
        staff_proposals.router,
        staff_partners.router,
        exchange_pages.staff_router,
        batch_pages.staff_router,
        portal.router,
        exchange_pages.portal_router,
        batch_pages.portal_router,
    ):
        app.include_router(router)
    app.add_exception_handler(Redirect, _redirect)
    app.state.page_errors = _error_page
    app.state.signin_throttle = SignInThrottle()
