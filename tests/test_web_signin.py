"""Signing in and out on the pages: the session cookie, CSRF, the throttle on wrong passwords,
and what an ended session does to an open page or a form sent from it."""

from __future__ import annotations

import asyncio

import httpx

from services.exchange.web.throttle import SignInThrottle
from tests.conftest import Stack
from tests.support import register_partner
from tests.web_support import (
    csrf_of,
    exchange_of,
    exchange_view,
    make_user,
    signed_in,
    user_client,
)


async def test_signing_in_out_and_the_session_cookie(stack: Stack) -> None:
    username, password = await make_user(stack, "acquisitions", name="Siti Rahayu")
    async with httpx.AsyncClient(base_url=stack.base_url, headers={"Accept": "text/html"}) as web:
        r = await web.get("/exchanges?state=proposed")
        assert r.status_code == 303
        assert r.headers["location"] == "/signin?next=%2Fexchanges%3Fstate%3Dproposed"

        page = await web.get("/signin")
        token = csrf_of(page.text)
        wrong = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": "nope"}
        )
        assert wrong.status_code == 401
        assert "The user name or password is not right." in wrong.text
        assert "exchange_session" not in wrong.cookies

        r = await web.post(
            "/signin",
            data={
                "csrf_token": token,
                "username": username,
                "password": password,
                "next": "/exchanges?state=proposed",
            },
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/exchanges?state=proposed"
        cookie = next(
            h for h in r.headers.get_list("set-cookie") if h.startswith("exchange_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()

        home = await web.get("/")
        assert home.status_code == 200
        assert "Signed in as Siti Rahayu" in home.text
        assert "What needs you now" in home.text

        out = await web.post("/signout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        again = await web.get("/")
        assert again.status_code == 303 and again.headers["location"].startswith("/signin")


async def test_a_partner_user_signing_in_on_the_staff_page_lands_in_the_portal(
    stack: Stack,
) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    username, password = await make_user(stack, "partner", partner["code"])
    async with signed_in(stack, username, password, portal=False) as web:
        r = await web.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/partner/"
        portal = await web.get("/partner/")
        assert portal.status_code == 200
        assert f"Your exchanges with {stack.settings.home_name}" in portal.text


async def test_forms_without_the_csrf_token_are_refused(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    exchange_id = await exchange_of(stack, partner, 2)
    async with user_client(stack, "acquisitions") as web:
        r = await web.post(f"/exchanges/{exchange_id}/cancel", data={"reason": "forged"})
        assert r.status_code == 403
        assert "security token" in r.text
        forged = await web.post(
            f"/exchanges/{exchange_id}/cancel", data={"reason": "forged", "csrf_token": "x" * 43}
        )
        assert forged.status_code == 403
    assert (await exchange_view(stack, exchange_id))["state"] == "proposed"

    username, password = await make_user(stack, "acquisitions")
    async with httpx.AsyncClient(base_url=stack.base_url) as stranger:
        r = await stranger.post("/signin", data={"username": username, "password": password})
        assert r.status_code == 403
        assert "exchange_session" not in r.cookies


async def test_repeated_failed_sign_ins_make_that_name_wait(stack: Stack) -> None:
    username, password = await make_user(stack, "acquisitions")
    async with httpx.AsyncClient(base_url=stack.base_url) as web:
        token = csrf_of((await web.get("/signin")).text)
        for attempt in range(4):
            if attempt == 3:
                await asyncio.sleep(1.1)  # three failures earn a wait of 1 s, the fourth 2 s
            r = await web.post(
                "/signin", data={"csrf_token": token, "username": username, "password": "guess"}
            )
            assert r.status_code == 401
        r = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": password}
        )
        assert r.status_code == 429
        assert r.headers["retry-after"] in ("1", "2")
        assert "Too many failed sign-ins. Try again in 1 minute." in r.text  # one minute, singular
        assert "exchange_session" not in r.cookies
        await asyncio.sleep(int(r.headers["retry-after"]))  # a short wait, not a lockout
        r = await web.post(
            "/signin", data={"csrf_token": token, "username": username, "password": password}
        )
        assert r.status_code == 303
    other, other_password = await make_user(stack, "acquisitions")
    async with signed_in(stack, other, other_password) as web:
        assert (await web.get("/")).status_code == 200


async def test_the_throttle_counts_per_name_and_per_address(stack: Stack) -> None:
    throttle, engine = SignInThrottle(free_failures=2), stack.engine
    throttle.failed(engine, "Siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "siti", "10.0.0.1") == 0
    throttle.failed(engine, "siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "SITI", "10.0.0.1") > 0  # names are counted case-blind
    assert throttle.wait_seconds(engine, "siti", "10.0.0.3") == 0  # per name and address
    throttle.succeeded(engine, "siti", "10.0.0.1")
    assert throttle.wait_seconds(engine, "siti", "10.0.0.1") == 0
    for name in ("a", "b", "c"):
        throttle.failed(engine, name, "10.0.0.9")
    assert throttle.wait_seconds(engine, "d", "10.0.0.9") == 0, "other names are not delayed"


async def test_a_signed_out_cookie_no_longer_opens_pages(stack: Stack) -> None:
    async with user_client(stack, "acquisitions") as web:
        cookie = web.cookies["exchange_session"]
        home = await web.get("/")
        await web.post("/signout", data={"csrf_token": csrf_of(home.text)})
    async with httpx.AsyncClient(
        base_url=stack.base_url, cookies={"exchange_session": cookie}
    ) as replay:
        r = await replay.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


async def test_a_form_sent_after_the_session_ended_returns_to_its_page(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as web:
        r = await web.post(
            "/exchanges/abc/cancel",
            data={"reason": "x"},
            headers={"Referer": f"{stack.base_url}/exchanges/abc"},
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/signin?next=%2Fexchanges%2Fabc"
