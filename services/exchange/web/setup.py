"""Mount the pages on the app: routers, static files, redirects and errors as pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from services.exchange.web import (
    account,
    batch_pages,
    cancel_pages,
    catalogue_pages,
    exchange_pages,
    exchange_rate_pages,
    offer_list_downloads,
    offer_list_pages,
    partner_contact_pages,
    portal,
    portal_offer_lists,
    portal_serials,
    review_pages,
    serial_pages,
    staff,
    staff_audit,
    staff_lists,
    staff_partners,
    staff_proposals,
    statistics_pages,
    wishlist_pages,
)
from services.exchange.web.error_pages import error_page
from services.exchange.web.pages import Redirect, redirect
from services.exchange.web.throttle import SignInThrottle


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
        statistics_pages.router,
        exchange_rate_pages.router,
        partner_contact_pages.router,
        staff_audit.router,
        staff_lists.router,
        offer_list_pages.router,
        serial_pages.router,
        wishlist_pages.router,
        exchange_pages.staff_router,
        cancel_pages.staff_router,
        batch_pages.staff_router,
        catalogue_pages.router,
        review_pages.router,
        portal.router,
        portal_offer_lists.router,
        portal_serials.router,
        exchange_pages.portal_router,
        cancel_pages.portal_router,
        batch_pages.portal_router,
        offer_list_downloads.staff_router,
        offer_list_downloads.portal_router,
    ):
        app.include_router(router)
    app.add_exception_handler(Redirect, _redirect)
    app.state.page_errors = error_page
    app.state.signin_throttle = SignInThrottle()
