"""One log line per request: method, path, status, key id (never the key) and duration.

A plain ASGI middleware: Starlette's ``@app.middleware("http")`` wraps every response in a
stream of its own, which costs more than the logging itself.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.exchange.http.auth import CALLER_KEY

log = logging.getLogger("exchange.api")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            caller = scope.get("state", {}).get(CALLER_KEY)
            log.info(
                "%s %s %s key=%s %.1fms",
                scope["method"],
                scope["path"],
                status,
                caller.key_id if caller is not None else "-",
                (time.perf_counter() - started) * 1000,
            )
