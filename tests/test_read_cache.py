"""The read cache: answers come from memory while the database is unchanged, never after.

``GET /api/v1/exchanges`` and ``GET /api/v1/exchanges/{id}`` keep their JSON per API process,
tagged with the database's change marker (``PRAGMA data_version``, ``pg_current_snapshot()``).
These tests change the database in the ways it really changes (a step that the worker's
activity writes, a write from another process) and check that the very next answer shows it;
that one side's answer never reaches the other side or another partner; and that the ETag
lets a client skip a body it already has. Both databases, a real worker and Temporal.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from services.exchange.service.read_cache import (
    ReadCache,
    _PostgresMarker,
    _SqliteMarker,
    answer,
    answer_for,
    entry_size,
    read_cache,
)
from services.exchange.storage.db import make_engine
from tests.conftest import Stack
from tests.support import lines, register_partner


async def _partner_offer(stack: Stack) -> tuple[dict[str, Any], dict[str, str]]:
    _partner, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post("/api/v1/exchanges", json={"lines": lines(2, 1)}, headers=key)
    assert r.status_code == 201, r.text
    exchange: dict[str, Any] = r.json()
    return exchange, key


async def test_answers_carry_an_etag_and_a_client_that_has_it_gets_304(stack: Stack) -> None:
    exchange, key = await _partner_offer(stack)
    for url in (f"/api/v1/exchanges/{exchange['id']}", "/api/v1/exchanges"):
        first = await stack.http.get(url, headers=key)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/json"
        assert first.headers["cache-control"] == "private, no-cache"
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
        again = await stack.http.get(url, headers=key)
        assert again.headers["etag"] == etag and again.content == first.content

        for sent in (etag, f"W/{etag}", f'"stale", {etag}', "*"):
            r = await stack.http.get(url, headers={**key, "If-None-Match": sent})
            assert r.status_code == 304, sent
            assert r.content == b"" and r.headers["etag"] == etag
        for sent in ('"stale"', '"a,*,b"'):  # a comma or a star inside a tag is the tag's
            r = await stack.http.get(url, headers={**key, "If-None-Match": sent})
            assert r.status_code == 200 and r.content == first.content, sent
        two_lines = [*key.items(), ("If-None-Match", '"stale"'), ("If-None-Match", etag)]
        assert (await stack.http.get(url, headers=two_lines)).status_code == 304


async def test_a_step_taken_by_the_worker_shows_in_the_next_answer(stack: Stack) -> None:
    exchange, key = await _partner_offer(stack)
    url = f"/api/v1/exchanges/{exchange['id']}"
    before = await stack.http.get(url, headers=key)
    listed = await stack.http.get("/api/v1/exchanges", headers=key)
    assert before.json()["state"] == "proposed"
    assert [i["state"] for i in listed.json()["items"]] == ["proposed"]

    # Our side accepts; the workflow's activity writes the new state from the worker.
    accept = [{"line_id": line["id"], "quantity": 1} for line in exchange["lines"]]
    r = await stack.http.post(f"{url}/decision", json={"accept": accept}, headers=stack.staff)
    assert r.status_code == 200, r.text

    after = await stack.http.get(url, headers={**key, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, "the old ETag must not be current any more"
    assert after.json()["state"] == "accepted"
    assert [h["step"] for h in after.json()["history"]][:2] == ["propose", "accept"]
    assert after.headers["etag"] != before.headers["etag"]
    relisted = await stack.http.get("/api/v1/exchanges", headers=key)
    assert [i["state"] for i in relisted.json()["items"]] == ["accepted"]


async def test_a_write_from_another_process_shows_in_the_next_answer(stack: Stack) -> None:
    """As if someone corrected a row with psql: no code of ours tells the cache."""
    exchange, key = await _partner_offer(stack)
    url = f"/api/v1/exchanges/{exchange['id']}"
    assert (await stack.http.get(url, headers=key)).status_code == 200
    page = (await stack.http.get("/api/v1/exchanges", headers=key)).json()
    assert page["items"][0]["respond_by"] == exchange["respond_by"]

    script = (
        "import sys\n"
        "from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as conn:\n"
        "    conn.execute(text('UPDATE exchange SET respond_by = :d WHERE id = :i'),\n"
        "                 {'d': '2031-01-31', 'i': sys.argv[2]})\n"
    )
    url_arg = stack.settings.resolved_database_url
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script, url_arg, exchange["id"]], check=False
    )
    assert done.returncode == 0

    assert (await stack.http.get(url, headers=key)).json()["respond_by"] == "2031-01-31"
    page = (await stack.http.get("/api/v1/exchanges", headers=key)).json()
    assert page["items"][0]["respond_by"] == "2031-01-31"


async def test_each_side_gets_its_own_answer_and_no_other_partner_gets_one(stack: Stack) -> None:
    exchange, key_a = await _partner_offer(stack)
    _b, key_b = await register_partner(stack.http, stack.staff)
    url = f"/api/v1/exchanges/{exchange['id']}"
    seen_by_a = await stack.http.get(url, headers=key_a)
    assert seen_by_a.json()["direction"] == "outgoing"  # the partner sends it

    r = await stack.http.get(url, headers=key_b)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await stack.http.get(url, headers={**key_b, "If-None-Match": seen_by_a.headers["etag"]})
    assert r.status_code == 404, "an ETag is no way round the 404"
    listed_by_b = (await stack.http.get("/api/v1/exchanges", headers=key_b)).json()
    assert listed_by_b["items"] == [] and listed_by_b["total"] == 0

    seen_by_us = await stack.http.get(url, headers=stack.staff)
    assert seen_by_us.json()["direction"] == "incoming"
    assert seen_by_us.headers["etag"] != seen_by_a.headers["etag"]


# --- the cache itself -----------------------------------------------------------------------


def _write_from_another_process(url: str, value: int) -> None:
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('INSERT INTO t VALUES (?)', (int(sys.argv[2]),))\n"
        "c.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, url, str(value)], check=True)


async def test_sqlite_marker_moves_when_a_write_is_committed_and_only_then(
    tmp_path: Path,
) -> None:
    path = tmp_path / "marker.db"
    engine = make_engine(f"sqlite:///{path}")
    other = make_engine(f"sqlite:///{path}")
    cache = ReadCache(engine, 1024)
    try:
        with other.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        first = await cache.marker()
        assert await cache.marker() == first
        with other.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        with other.connect() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.rollback()
        assert await cache.marker() == first, "reads and rolled-back writes change nothing"

        with other.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        second = await cache.marker()
        assert second != first
        with engine.begin() as conn:  # the cache's own engine, another pooled connection
            conn.execute(text("INSERT INTO t VALUES (3)"))
        third = await cache.marker()
        assert third != second
        await asyncio.to_thread(_write_from_another_process, str(path), 4)
        assert await cache.marker() != third
    finally:
        await cache.close()
        engine.dispose()
        other.dispose()


async def test_a_reopened_sqlite_marker_never_matches_an_answer_kept_before(
    tmp_path: Path,
) -> None:
    """data_version counts per connection: a new connection counts from the start again."""
    path = tmp_path / "reopen.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('v1')"))

    def build() -> bytes:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT x FROM t")).scalar_one()).encode()

    cache = ReadCache(engine, 1024 * 1024)
    try:
        assert (await answer(cache, "k", build)).body == b"v1"
        with sqlite3.connect(path) as other:  # the worker writes
            other.execute("UPDATE t SET x = 'v2'")
        other.close()
        marker = cache._marker
        assert isinstance(marker, _SqliteMarker) and marker._connection is not None
        marker._connection.close()  # the next read fails: one uncached answer, then reopened
        assert (await answer(cache, "k", build)).body == b"v2"
        assert (await answer(cache, "k", build)).body == b"v2", "not the answer kept before"
    finally:
        await cache.close()
        engine.dispose()


async def test_a_silent_postgresql_server_costs_a_second_not_the_whole_api(
    postgres_url: str,
) -> None:
    """A connection that a firewall forgot: no answer, no error. The marker gives up."""
    frozen = asyncio.Event()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if frozen.is_set():
                await asyncio.Event().wait()  # swallow everything, close nothing
            writer.write(data)
            await writer.drain()

    relayed: list[asyncio.StreamWriter] = []

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", 5432)
        relayed.extend((client_w, server_w))
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    engine = make_engine(postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}"))
    cache = ReadCache(engine, 1024)
    try:
        assert isinstance(await cache.marker(), str)
        frozen.set()
        started = asyncio.get_running_loop().time()
        markers = await asyncio.wait_for(
            asyncio.gather(*(cache.marker() for _ in range(3))), timeout=10
        )
        assert all(m is markers[0] for m in markers) and not isinstance(markers[0], str)
        assert asyncio.get_running_loop().time() - started < 5
        assert cache.lookup("k", markers[0]) is None
        await asyncio.wait_for(cache.close(), timeout=5)
    finally:
        proxy.close()
        for writer in relayed:
            writer.close()
        await proxy.wait_closed()
        engine.dispose()


async def test_postgresql_marker_moves_on_a_commit_and_survives_a_lost_connection(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(postgres_url)
    cache = ReadCache(engine, 1024)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS marker_probe (x INTEGER)"))
        before = await cache.marker()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO marker_probe VALUES (1)"))
        assert await cache.marker() != before

        # Ten requests at once: the first reads; the other nine arrived while that read was
        # under way, so they share the next one, not that one.
        marker = cache._marker
        assert isinstance(marker, _PostgresMarker)
        started = marker._started
        values = await asyncio.gather(*(cache.marker() for _ in range(10)))
        assert marker._started - started == 2
        assert all(isinstance(v, str) for v in values) and len(set(values[1:])) == 1

        # The server drops the cache's connection: the next request is answered uncached.
        assert marker._connection is not None
        pid = marker._connection.info.backend_pid
        with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        built: list[int] = []

        def build() -> bytes:
            built.append(1)
            return b'{"fresh": true}'

        with caplog.at_level("WARNING", logger="exchange.api"):
            got = await answer(cache, "key", build)
        assert got.body == b'{"fresh": true}' and built == [1]
        assert "change marker could not be read" in caplog.text
        assert cache.lookup("key", await cache.marker()) is None, "nothing kept meanwhile"
        assert isinstance(await cache.marker(), str), "a new connection on the next request"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS marker_probe"))
        await cache.close()
        engine.dispose()


async def test_answers_are_kept_within_the_bound_and_never_under_an_old_marker(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bound.db'}")
    one = entry_size("a", answer_for(b"aaaa"))  # keys of one letter, bodies of four bytes
    cache = ReadCache(engine, max_bytes=2 * one + 1)
    try:
        assert cache.lookup("a", 1) is None
        cache.store("a", 1, answer_for(b"aaaa"))
        cache.store("b", 1, answer_for(b"bbbb"))
        assert cache.lookup("a", 1) == answer_for(b"aaaa")
        cache.store("c", 1, answer_for(b"cccc"))  # three do not fit: the oldest goes
        assert cache.lookup("a", 1) is None
        assert cache.lookup("b", 1) is not None and cache.lookup("c", 1) is not None
        cache.store("big", 1, answer_for(b"x" * 2 * one))  # larger than the whole bound
        assert cache.lookup("big", 1) is None and cache.lookup("c", 1) is not None
        # A long key (a caller's query string) counts too.
        cache.store("k" * 2 * one, 1, answer_for(b"dddd"))
        assert cache.lookup("k" * 2 * one, 1) is None and cache.lookup("c", 1) is not None

        assert cache.lookup("b", 2) is None, "a new marker empties the cache"
        cache.store("late", 1, answer_for(b"old"))  # read before the change, stored after
        assert cache.lookup("late", 2) is None

        calls: list[str] = []

        def refused() -> bytes:
            calls.append("built")
            raise LookupError("not yours")

        with pytest.raises(LookupError):
            await answer(cache, "refused", refused)
        with pytest.raises(LookupError):
            await answer(cache, "refused", refused)
        assert calls == ["built", "built"], "a refusal is never kept"
    finally:
        await cache.close()
        engine.dispose()


async def test_no_cache_when_turned_off_or_for_an_in_memory_database(tmp_path: Path) -> None:
    on_disk = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    in_memory = make_engine("sqlite://")
    try:
        assert read_cache(on_disk, 0) is None
        assert read_cache(in_memory, 32) is None
        cache = read_cache(on_disk, 0.5)
        assert cache is not None and cache.max_bytes == 512 * 1024
        await cache.close()
    finally:
        on_disk.dispose()
        in_memory.dispose()
