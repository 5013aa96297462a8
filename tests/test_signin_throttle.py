"""The sign-in throttle: failures per (user name, address), kept in the database for every API
process, make the next try wait 1 s, then twice as long each time; the owner of the name,
signing in from another address, never waits for someone else's guesses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlmodel import Session, col, select

from services.exchange.models import SignInFailure
from services.exchange.web.throttle import SignInThrottle
from tests.conftest import Stack, running_stack
from tests.web_support import csrf_of, make_user


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def _browser(base_url: str, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """A browser on one loopback address (the server sees it as the client's address)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30) as web:
        yield web


async def _sign_in(web: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    token = csrf_of((await web.get("/signin")).text)
    return await web.post(
        "/signin", data={"csrf_token": token, "username": username, "password": password}
    )


async def test_delays_start_after_three_failures_double_and_are_forgotten(stack: Stack) -> None:
    clock = Clock()
    throttle = SignInThrottle(max_delay=8.0, forget_after=600.0, clock=clock)
    engine, name, address = stack.engine, "Dewi-Lestari", "192.0.2.7"
    waits = []
    for _ in range(7):
        throttle.failed(engine, name, address)
        waits.append(throttle.wait_seconds(engine, name, address))
    assert waits == [0, 0, 1, 2, 4, 8, 8]  # capped at max_delay
    clock.now += 8
    assert throttle.wait_seconds(engine, "DEWI-lestari", address) == 0  # names are case-blind
    assert throttle.wait_seconds(engine, name, "192.0.2.8") == 0  # another address
    clock.now += 600  # a count is forgotten a while after its last failure
    throttle.failed(engine, name, address)
    assert throttle.wait_seconds(engine, name, address) == 0
    for _ in range(2):
        throttle.failed(engine, name, address)
    assert throttle.wait_seconds(engine, name, address) == 1
    throttle.succeeded(engine, name, address)
    assert throttle.wait_seconds(engine, name, address) == 0


async def test_failures_racing_from_many_threads_are_all_counted(stack: Stack) -> None:
    throttle = SignInThrottle()
    name, address = "Racing-Guess", "198.51.100.3"
    await asyncio.gather(
        *(asyncio.to_thread(throttle.failed, stack.engine, name, address) for _ in range(20))
    )
    with Session(stack.engine) as session:
        row = session.exec(
            select(SignInFailure).where(
                col(SignInFailure.username) == name.lower(), col(SignInFailure.address) == address
            )
        ).one()
    assert row.failures == 20


async def test_another_address_is_not_delayed_by_someone_elses_failures(stack: Stack) -> None:
    username, password = await make_user(stack, "acquisitions")
    async with _browser(stack.base_url, "127.0.0.2") as guesser:
        statuses = [(await _sign_in(guesser, username, "guess")).status_code for _ in range(6)]
        assert statuses[:3] == [401, 401, 401] and 429 in statuses, statuses
    async with _browser(stack.base_url, "127.0.0.1") as owner:
        r = await _sign_in(owner, username, password)
        assert r.status_code == 303, r.text


async def test_every_api_process_sees_the_same_failures(stack: Stack, tmp_path: Path) -> None:
    """A second app on the same database stands for another API process."""
    username, password = await make_user(stack, "acquisitions")
    async with running_stack(
        stack.client,
        f"{stack.backend}-second",
        tmp_path,
        stack.settings.resolved_database_url,
        with_worker=False,
    ) as second:
        async with _browser(stack.base_url) as first_web, _browser(second.base_url) as second_web:
            for _ in range(3):
                r = await _sign_in(first_web, username, "guess")
                assert r.status_code == 401
            await asyncio.sleep(1.1)  # three failures earn a wait of 1 s
            r = await _sign_in(second_web, username, "guess")
            assert r.status_code == 401  # counted as the fourth: a wait of 2 s
            r = await _sign_in(first_web, username, password)
            assert r.status_code == 429, "the first process knows of the second's failure"
            assert r.headers["retry-after"] in ("1", "2")
            await asyncio.sleep(int(r.headers["retry-after"]))
            r = await _sign_in(second_web, username, password)
            assert r.status_code == 303, "a short wait, not a lockout"
