"""Request limits: a 413 problem instead of reading an oversized body, and a 422 for a NUL.

A NUL character (U+0000) in the path or the query string is refused on every database
alike: PostgreSQL cannot store it in text, SQLite can, and a client should not get a
different answer depending on which one we run.

JSON bodies may be ``EXCHANGE_MAX_BODY_BYTES``; file uploads (multipart) may be
``EXCHANGE_MAX_UPLOAD_BYTES``.
A declared Content-Length over the limit is refused before anything is read; a chunked body
is counted as it streams, and the app sees a disconnect once it passes the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.exchange.problems import NUL_DETAIL, send_problem
from services.exchange.service.context import Context


def _has_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


def _limit_for(scope: Scope, ctx: Context) -> int:
    """File uploads (multipart) may be as large as a MARC file; other bodies are small."""
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return ctx.settings.max_upload_bytes
    return ctx.settings.max_body_bytes


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope, scope["app"].state.context)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, scope["path"])
            return
        total = 0
        answered = False

        async def counted() -> Message:
            nonlocal total, answered
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > limit:
                    if not answered:
                        answered = True
                        await _too_large(send, limit, scope["path"])
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted, guarded)


async def _too_large(send: Send, limit: int, path: str) -> None:
    detail = f"the request body is larger than {limit} bytes"
    await send_problem(send, 413, "payload-too-large", detail, path, title="Payload Too Large")


class NulGuardMiddleware:
    """A NUL in the path or the query is a 422, checked after the key (a wrong key is 401)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            title = "Request is not valid"
            await send_problem(
                send, 422, "validation-error", NUL_DETAIL, scope["path"], title=title
            )
            return
        await self.app(scope, receive, send)
