"""Errors as pages that keep the signed-in reader's menu, language and sign-out.

``problems.problem_response`` asks for an error page from synchronous code, but who is signed
in is a database read. The page is therefore a response that renders itself when it is sent:
it takes the user a page's dependency already found, else reads the session cookie then (in a
thread, as every page does), and only then renders ``error.html``.
"""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from services.exchange.service.users import SignedIn
from services.exchange.web.pages import (
    SESSION_COOKIE,
    SIGNED_IN_KEY,
    current_user,
    is_portal,
    render,
)


async def _reader(request: Request, status: int) -> SignedIn | None:
    """The signed-in user whose menu the page shows; nobody's on the other side's pages."""
    user: SignedIn | None = getattr(request.state, SIGNED_IN_KEY, None)
    if user is None and status < 500 and request.cookies.get(SESSION_COOKIE):
        try:
            user = await current_user(request)
        except Exception:  # a fault of the database: the page still shows, without a menu
            return None
    if user is None or user.is_partner != is_portal(request):
        return None
    return user


class ErrorPage(Response):
    """An error page, rendered when it is sent (see the module's docstring)."""

    def __init__(self, request: Request, status: int, title: str, detail: str | None) -> None:
        super().__init__(status_code=status, media_type="text/html")
        self._request = request
        self._title = title
        self._detail = detail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = await _reader(self._request, self.status_code)
        page = render(
            self._request,
            "error.html",
            user,
            status_code=self.status_code,
            status=self.status_code,
            title=self._title,
            detail=self._detail,
        )
        await page(scope, receive, send)


def error_page(request: Request, status: int, title: str, detail: str | None) -> Response:
    return ErrorPage(request, status, title, detail)
