"""RFC 9457 problem responses: every error the API gives has this one shape.

Each kind of error has a stable ``type`` URI (``/problems/<kind>``) that clients can switch on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.exchange.storage import faults
from workflows.errors import N_

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised anywhere below the routes to answer with a problem response."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra


async def send_problem(
    send: Send,
    status: int,
    kind: str,
    detail: str,
    path: str,
    *,
    title: str | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer from ASGI middleware, before any route runs, in the same shape as the routes."""
    body = {
        "type": f"/problems/{kind}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": path,
    }
    encoded = json.dumps(body).encode()
    length = str(len(encoded)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", length),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", N_("{what} was not found").format(what=what))


PageErrors = Callable[[Request, int, str, str | None], Response]


def wants_page(request: Request) -> bool:
    """A browser asking for a page, not a client of the API, gets its errors as a page."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/health", "/openapi.json"):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem_response(
    request: Request,
    status: int,
    kind: str,
    title: str,
    detail: str | None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    page_errors: PageErrors | None = getattr(request.app.state, "page_errors", None)
    if page_errors is not None and wants_page(request):
        return page_errors(request, status, title, detail)
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind != "about:blank" else kind,
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    body.update(jsonable_encoder(extra))
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path: Starlette's 405 names only the first route's.

    Each method is tried against the app's routes, so routers included inside routers count.
    """
    routes = request.app.router.routes
    methods = {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return sorted(methods)


_KIND_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    503: "unavailable",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(
            request, exc.status, exc.kind, exc.title, exc.detail, exc.headers, **exc.extra
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(request))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            exc.headers = {**(exc.headers or {}), "Allow": allow}
        kind = _KIND_BY_STATUS.get(exc.status_code, "about:blank")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request,
            exc.status_code,
            kind,
            HTTPStatus(exc.status_code).phrase,
            detail,
            dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else None
        detail = (
            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            if first
            else "the request is not valid"
        )
        return problem_response(
            request, 422, "validation-error", "Request is not valid", detail, errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return unexpected_response(request, exc)


def unexpected_response(request: Request, exc: BaseException) -> Response:
    """A fault of the machine as 507/503, anything else as a logged 500; never a bare crash."""
    fault = faults.classify(exc)
    if fault is not None:
        log.warning("%s on %s %s: %s", fault.kind, request.method, request.url.path, exc)
        return problem_response(
            request,
            fault.status,
            fault.kind,
            HTTPStatus(fault.status).phrase,
            fault.detail,
            {"Retry-After": "60"},
        )
    if _is_nul_in_text(exc):
        return problem_response(
            request, 422, "validation-error", "Request is not valid", NUL_DETAIL
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal Server Error",
        "an unexpected error occurred; it has been logged",
    )


NUL_DETAIL = "text cannot contain the NUL character (U+0000)"


def _is_nul_in_text(exc: BaseException) -> bool:
    """PostgreSQL refuses NUL in text (psycopg raises before sending); SQLite would keep it."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ValueError) and "NUL (0x00)" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


class UnhandledErrorMiddleware:
    """Answer an unhandled error here, inside Starlette's ServerErrorMiddleware.

    That middleware runs the app's ``Exception`` handler but then raises again, and uvicorn
    closes the connection without ``Connection: close``: the client's next request on it is
    lost. Answered here, the error is a complete response and the connection stays usable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception as exc:
            if started:
                raise  # half an answer is out: only closing the connection can end it
            response = unexpected_response(Request(scope, receive), exc)
            await response(scope, receive, send)
