"""Headers that tell browsers what our pages may do: no framing, no sniffing, no outside code.

The pages load their stylesheet and one script from ``/static``; nothing comes from another
host. Bar widths on the partner page are inline ``style`` attributes, so only those (not
``<style>`` elements or inline scripts) are allowed inline. The interactive API docs start
Swagger UI and ReDoc (served from ``/static/docs``, ``api/docs.py``) with an inline script and
style, and ReDoc searches in a worker made from a ``blob:``; those are allowed there, and still
nothing from another host.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
_DOCS = ("/docs", "/redoc")

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_POLICY if path.startswith(_DOCS) else PAGE_POLICY
        added = [*_COMMON, (b"content-security-policy", policy.encode())]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, with_headers)
