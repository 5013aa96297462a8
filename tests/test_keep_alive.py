"""A keep-alive connection after an error answer (issue 13, item 3).

HTTP/1.1 lets a client send its next request on the same connection unless the answer said
``Connection: close``. After an error the client must therefore either get its next answer on
that connection, or have been told that the connection ends. The requests here are written on
one raw TCP connection, so no client library hides a reconnection.

A 500 or a storage fault (507, 503) cannot be caused from outside any more, so those tests
make one by replacing a service function in this process (the stack serves the app from it);
the app has no route for tests.
"""

from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass

import pytest

from services.exchange.service import exchange_queries
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.read_cache import Answer
from tests.conftest import ADMIN_TOKEN, Stack


@dataclass
class Answered:
    status: int
    closes: bool  # the answer said Connection: close


async def _on_one_connection(stack: Stack, *paths: str) -> list[Answered | None]:
    """GET each path on one connection; None for a request the server left unanswered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.settings.port)
    answers: list[Answered | None] = []
    try:
        for path in paths:
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {ADMIN_TOKEN}\r\n\r\n"
            )
            try:
                writer.write(request.encode())
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            except (asyncio.IncompleteReadError, ConnectionError):
                answers.append(None)
                break
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
            await reader.readexactly(int(headers.get("content-length", "0")))
            answers.append(Answered(int(lines[0].split()[1]), headers.get("connection") == "close"))
    finally:
        writer.close()
    return answers


def _kept_or_closed_honestly(answers: list[Answered | None], first: int) -> None:
    failed = answers[0]
    assert failed is not None and failed.status == first, answers
    if failed.closes:
        return  # the client was told to open a new connection
    assert answers[1] is not None, "the connection was dropped without Connection: close"
    assert answers[1].status == 200, answers


async def test_after_a_422_the_connection_answers_again(stack: Stack) -> None:
    answers = await _on_one_connection(stack, "/api/v1/exchanges?limit=0", "/api/v1/partners")
    _kept_or_closed_honestly(answers, 422)
    assert answers[0] is not None and not answers[0].closes


def _failing(exc: Exception) -> object:
    async def list_answer(ctx: Context, caller: Caller, query: object) -> Answer:
        raise exc

    return list_answer


async def test_after_a_500_the_connection_answers_again(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_queries, "list_answer", _failing(RuntimeError("a bug")))
    answers = await _on_one_connection(stack, "/api/v1/exchanges", "/api/v1/partners")
    _kept_or_closed_honestly(answers, 500)


async def test_after_a_full_disk_the_connection_answers_again(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(exchange_queries, "list_answer", _failing(full))
    answers = await _on_one_connection(stack, "/api/v1/exchanges", "/api/v1/partners")
    _kept_or_closed_honestly(answers, 507)


async def test_a_nul_in_the_query_is_a_422_on_every_database(stack: Stack) -> None:
    answers = await _on_one_connection(stack, "/api/v1/exchanges?q=a%00b", "/api/v1/partners")
    _kept_or_closed_honestly(answers, 422)
    answers = await _on_one_connection(stack, "/api/v1/exchanges/a%00b", "/api/v1/partners")
    _kept_or_closed_honestly(answers, 422)


async def test_a_nul_in_a_body_is_a_422_on_every_database(stack: Stack) -> None:
    body = {"code": "NUL1", "name": "Bad\u0000name", "country": "BY", "marc_format": "rusmarc"}
    r = await stack.http.post("/api/v1/partners", json=body, headers=stack.staff)
    assert r.status_code == 422, r.text
    assert "NUL" in r.json()["detail"]
