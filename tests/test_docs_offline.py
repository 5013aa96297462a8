"""The interactive API documents work without the internet: ``/docs`` (Swagger UI) and
``/redoc`` (ReDoc) render their operations in a real browser (Debian's Chromium) while every
request stays on our own host, and the browser's Content-Security-Policy refuses nothing.

National libraries run the service on internal networks, where FastAPI's default pages stay
blank because their scripts come from a CDN.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import Stack

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


def _watch(page: Page, base: str) -> tuple[list[str], list[str]]:
    """Requests to any other host, and what the Content-Security-Policy refused."""
    elsewhere: list[str] = []
    refused: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((base, "data:", "blob:")) else elsewhere.append(r.url),
    )
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return elsewhere, refused


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_swagger_ui_renders_from_our_own_host(stack: Stack, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    elsewhere, refused = _watch(page, stack.base_url)
    try:
        await page.goto(f"{stack.base_url}/docs")
        # An operation of the document, rendered by Swagger UI's script.
        operation = page.locator(".opblock-summary-path", has_text="/api/v1/partners").first
        await expect(operation).to_be_visible(timeout=20_000)
        await expect(page.get_by_text("Create Partner", exact=True).first).to_be_visible()
        await page.wait_for_load_state("networkidle")
    finally:
        await context.close()
    assert elsewhere == [], elsewhere
    assert refused == [], refused


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_redoc_renders_from_our_own_host(stack: Stack, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    elsewhere, refused = _watch(page, stack.base_url)
    try:
        await page.goto(f"{stack.base_url}/redoc")
        # ReDoc's menu lists the operations by their summary once its script has run.
        await expect(page.get_by_role("heading", name="Create Partner").first).to_be_visible(
            timeout=20_000
        )
        await page.wait_for_load_state("networkidle")
    finally:
        await context.close()
    assert elsewhere == [], elsewhere
    assert refused == [], refused


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
async def test_the_documents_name_no_other_host(stack: Stack) -> None:
    """The pages themselves, not only what a browser happened to fetch: no CDN address."""
    for path in ("/docs", "/redoc"):
        r = await stack.http.get(path)
        assert r.status_code == 200, path
        assert "cdn." not in r.text and "fonts.googleapis" not in r.text, path
        assert "/static/docs/" in r.text, path
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        r = await stack.http.get(f"/static/docs/{asset}")
        assert r.status_code == 200, asset
        assert len(r.content) > 1000, asset
