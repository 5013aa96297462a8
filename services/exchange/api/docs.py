"""The interactive API documents, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load their scripts, styles and fonts from public CDNs, so on a library's
internal network they stay blank. The ``fastapi-offline`` package ships the same Swagger UI
and ReDoc builds; we serve them from ``/static/docs/`` and point both pages there, with no
Google fonts, a favicon of our own origin and Swagger UI's online validator turned off (it
would send the document to validator.swagger.io). ReDoc's menu shows a logo it fetches from
Redocly's CDN whatever its options say; we serve its script with that address emptied, so the
image fails at once, without a request, and ReDoc hides it. The pages'
Content-Security-Policy (``http/security_headers.py``) then lets the browser load nothing from
another host.
"""

from __future__ import annotations

import functools
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_SCRIPT = "redoc.standalone.js"
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_script() -> bytes:
    """ReDoc's script without the one address it loads from another host (its logo)."""
    return (ASSETS / REDOC_SCRIPT).read_bytes().replace(_REDOC_LOGO, b"")


def install_docs(app: FastAPI) -> None:
    """Serve the two documents and their assets; call before the pages mount ``/static``,
    so that ``/static/docs`` is matched first. The app is made with ``docs_url=None`` and
    ``redoc_url=None``, so FastAPI's CDN pages are not there to shadow these."""

    @app.get(f"{ASSETS_URL}/{REDOC_SCRIPT}", include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(
            redoc_script(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", ""))

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        return get_swagger_ui_html(
            openapi_url=f"{base}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{base}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{base}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{base}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        return get_redoc_html(
            openapi_url=f"{base}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{base}{ASSETS_URL}/{REDOC_SCRIPT}",
            redoc_favicon_url=f"{base}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
