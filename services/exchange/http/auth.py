"""Authentication before routing: a request without a valid key gets 401 whatever its body.

FastAPI parses a request's body before its dependencies run, so a route that depends on the
caller would answer a broken body with 400 or 422 even to a stranger. This middleware checks
the key first, for every ``/api/`` path, and hands the caller to the route.

A key this process accepted within ``EXCHANGE_KEY_CACHE_SECONDS`` is answered from memory on
the event loop; only a new or stale key costs a database lookup in a thread (see
``service/keys.py`` for how revocation reaches the cache).
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from services.exchange.problems import send_problem
from services.exchange.service.context import Context
from services.exchange.service.keys import (
    Caller,
    admin_caller,
    authenticate,
    cached_caller,
    key_cache,
)

CALLER_KEY = "caller"


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller_for(ctx: Context, token: str) -> Caller | None:
    settings = ctx.settings
    # Made before anything else: a process that revokes a key must find its cache to tell
    # the others, even if the bootstrap key is all it has seen so far.
    cache = key_cache(ctx.engine, settings.key_cache_seconds, settings.data_dir)
    caller = admin_caller(token, settings.admin_token, settings.home_code)
    if caller is not None:
        return caller
    if cache is not None:
        caller = cached_caller(cache, token)
        if caller is not None:
            return caller
    return await asyncio.to_thread(
        authenticate, ctx.engine, token, settings.admin_token, settings.home_code, cache
    )


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope))
        ctx: Context = scope["app"].state.context
        caller = await caller_for(ctx, token) if token else None
        if caller is None:
            detail = (
                "send your API key as 'Authorization: Bearer <key>'"
                if token is None
                else "the API key is unknown, expired or revoked"
            )
            challenge = "Bearer" if token is None else 'Bearer error="invalid_token"'
            await send_problem(
                send,
                401,
                "unauthorized",
                detail,
                scope["path"],
                headers=[(b"www-authenticate", challenge.encode())],
            )
            return
        scope.setdefault("state", {})[CALLER_KEY] = caller
        await self.app(scope, receive, send)
