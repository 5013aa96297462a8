"""What every response tells a browser (security headers), and methods a path allows."""

from __future__ import annotations

import pytest

from tests.conftest import Stack

_SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/signin", "/partner/signin", "/health", "/api/v1/exchanges"])
async def test_pages_and_the_api_send_security_headers(stack: Stack, path: str) -> None:
    r = await stack.http.get(path, headers=stack.staff)
    assert r.status_code == 200, r.text
    for name, value in _SECURITY.items():
        assert r.headers[name] == value, name
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


async def test_errors_carry_the_headers_too(stack: Stack) -> None:
    r = await stack.http.get("/api/v1/exchanges")  # no key
    assert r.status_code == 401
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_the_api_docs_may_not_be_framed(stack: Stack) -> None:
    r = await stack.http.get("/docs")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy  # served offline: nothing from another host
    assert r.headers["x-frame-options"] == "DENY"


async def test_options_names_every_method_of_the_path(stack: Stack) -> None:
    r = await stack.http.options("/api/v1/exchanges", headers=stack.staff)
    assert r.status_code == 204, r.text
    assert r.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    r = await stack.http.options("/api/v1/partners", headers=stack.staff)
    assert r.status_code == 204
    assert r.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_a_method_a_path_does_not_take_lists_all_it_does(stack: Stack) -> None:
    r = await stack.http.put("/api/v1/exchanges", headers=stack.staff, json={})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 405
