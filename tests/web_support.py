"""Helpers for the page tests: users, signing in over HTTP, reading CSRF tokens from forms."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import httpx

from services.exchange.service import users
from tests.conftest import Stack
from tests.support import lines

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def make_user(
    stack: Stack, role: str, partner: str | None = None, name: str | None = None
) -> tuple[str, str]:
    username = f"{role}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    await asyncio.to_thread(users.add_user, stack.engine, username, password, role, partner, name)
    return username, password


@asynccontextmanager
async def signed_in(
    stack: Stack, username: str, password: str, portal: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (its own cookie jar) that has signed in through the form."""
    async with httpx.AsyncClient(
        base_url=stack.base_url, timeout=30, headers={"Accept": "text/html"}
    ) as client:
        path = "/partner/signin" if portal else "/signin"
        page = await client.get(path)
        assert page.status_code == 200, page.text
        r = await client.post(
            path,
            data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
        )
        assert r.status_code == 303, r.text
        yield client


@asynccontextmanager
async def user_client(
    stack: Stack, role: str, partner: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    username, password = await make_user(stack, role, partner)
    async with signed_in(stack, username, password, portal=role == "partner") as client:
        yield client


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Load the page, then post one of its forms with the page's CSRF token, as a browser."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page.text), **data})


def flash_of(response: httpx.Response) -> str:
    """The message the next page will show (the flash cookie set by a redirect)."""
    raw = response.cookies.get("exchange_flash")
    return unquote(raw) if raw else ""


async def exchange_of(stack: Stack, partner: dict[str, Any], *quantities: int) -> str:
    """An outgoing proposal to ``partner`` with one line per quantity; its id."""
    r = await stack.http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(*quantities)},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    exchange_id: str = r.json()["id"]
    return exchange_id


async def exchange_view(stack: Stack, exchange_id: str) -> dict[str, Any]:
    """The exchange as the staff API shows it."""
    r = await stack.http.get(f"/api/v1/exchanges/{exchange_id}", headers=stack.staff)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
