"""The JSON of recent read answers, given again for as long as the database has not changed.

Partners poll: they ask for the same list and the same exchange again and again, and most of
the time nothing has changed in between. So each API process keeps the answers of the read
routes (the bytes of the JSON body and its ETag), tagged with the database's change marker as
it was *before* the answer was read. An answer is given again only while the marker is still
the same; the first answer read under a new marker empties the cache.

The marker comes from the database itself, not from our code, so a change made by any process
(the worker's activities, another API process, a command, someone with ``psql``) is seen on
the next request, and no write path has to remember to say so:

- SQLite: ``PRAGMA data_version`` on a connection of the cache's own, which changes whenever
  another connection commits. It reads the WAL index header: a few microseconds. The number
  is that connection's own count, so the marker is the pair (which connection, its count):
  a reopened connection starts counting again and must not match an answer kept before.
- PostgreSQL: ``pg_current_snapshot()`` on a connection of the cache's own. Its ``xmax`` and
  in-progress list change whenever a transaction that wrote ends, so an unchanged snapshot
  means no write has been committed since. It is a round trip (about 0.1 ms), made on an
  asynchronous connection. Transaction ids are shared by the whole server, so a busy Temporal
  on the same server makes the cache miss more often; it never makes it serve an old answer.

A marker that cannot be read within a second (the server went away, the file is busy) means
no caching for that request; the connection is opened again on the next. Both markers assume
that the data is read from the same server as the marker: point ``EXCHANGE_DATABASE_URL`` at
the primary, not at a pool that sends reads to replicas.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import psycopg
from sqlalchemy import Engine

log = logging.getLogger("exchange.api")

_NO_MARKER = object()
_MARKER_SECONDS = 1.0
_SQLITE_BUSY_SECONDS = 0.02
# What an entry costs besides its body and key: the dicts, the Answer, the ETag string.
_ENTRY_OVERHEAD = 400


@dataclass(frozen=True, slots=True)
class Answer:
    """A read route's JSON body and its strong ETag (a hash of the body)."""

    body: bytes
    etag: str


def answer_for(body: bytes) -> Answer:
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    return Answer(body, f'"{digest}"')


def _unreadable(exc: Exception) -> object:
    log.warning("read cache: the change marker could not be read: %s", exc)
    return _NO_MARKER


class _SqliteMarker:
    """``PRAGMA data_version`` on a plain ``sqlite3`` connection of its own, read on the loop.

    Not from the engine's pool, whose checkout and connect hook may wait 30 s: this one gives
    up after 20 ms of a busy file, which only costs one uncached answer.
    """

    def __init__(self, engine: Engine) -> None:
        self.path = engine.url.database or ""
        self._connection: sqlite3.Connection | None = None
        self._opened = 0  # connections opened so far: the first half of the marker

    async def read(self) -> object:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self.path, timeout=_SQLITE_BUSY_SECONDS, check_same_thread=False
                )
                self._opened += 1
            row = self._connection.execute("PRAGMA data_version").fetchone()
            return (self._opened, row[0])
        except Exception as exc:
            await self.close()
            return _unreadable(exc)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class _PostgresMarker:
    """``pg_current_snapshot()`` on an asynchronous connection of its own.

    Asynchronous, so that the round trip neither blocks the event loop nor costs a hop to a
    thread. Reads take turns on the one connection, and the requests that waited for their
    turn share the first read that *started after they arrived*: it sees every commit their
    clients can have seen, which a read already under way when they arrived might not. Under
    load this is one round trip for a whole queue of requests instead of one each.
    """

    def __init__(self, engine: Engine) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._turn = asyncio.Lock()
        self._started = 0  # reads begun so far
        self._last: tuple[int, object] = (0, _NO_MARKER)  # the latest read: its number, value
        self._abandoned: set[asyncio.Future[object]] = set()

    async def read(self) -> object:
        arrived = self._started
        async with self._turn:
            number, value = self._last
            if number > arrived:
                return value
            self._started += 1
            value = await self._query()
            self._last = (self._started, value)
            return value

    async def _query(self) -> object:
        asking = asyncio.ensure_future(self._ask())
        try:
            done, _ = await asyncio.wait({asking}, timeout=_MARKER_SECONDS)
        except asyncio.CancelledError:  # the request went away: the read ends on its own
            self._keep_track(asking)
            raise
        if asking not in done:
            # A server that does not answer (a connection a firewall forgot). Cancelling makes
            # psycopg try to cancel the query on the server first, which can take seconds
            # more, so the connection is left to that in the background.
            self._connection = None
            self._keep_track(asking)
            asking.cancel()
            return _unreadable(TimeoutError(f"no answer within {_MARKER_SECONDS:g} s"))
        try:
            return asking.result()
        except Exception as exc:
            await self._close()
            return _unreadable(exc)

    def _keep_track(self, asking: asyncio.Future[object]) -> None:
        """A read nobody waits for: shutdown still ends it, and its outcome is collected."""
        self._abandoned.add(asking)
        asking.add_done_callback(self._abandoned.discard)
        asking.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def _ask(self) -> object:
        if self._connection is None:
            self._connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        cursor = await self._connection.execute("SELECT pg_current_snapshot()::text")
        row = await cursor.fetchone()
        assert row is not None
        return row[0]

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                async with asyncio.timeout(_MARKER_SECONDS):
                    await connection.close()
            except Exception:
                pass  # a connection the server already dropped, or that does not answer

    async def close(self) -> None:
        for asking in self._abandoned:
            asking.cancel()  # a second cancellation: psycopg drops the connection at once
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=_MARKER_SECONDS)
        async with self._turn:
            await self._close()


def entry_size(key: Hashable, answer: Answer) -> int:
    """What an entry is counted as: its body, its key (query strings are the caller's) and
    a fixed overhead, so that many small answers cannot grow past the bound either."""
    return len(answer.body) + len(repr(key)) + _ENTRY_OVERHEAD


class ReadCache:
    """Answers by key, all under one marker, at most ``max_bytes`` in all (``entry_size``).

    Everything runs on the event loop of the app that owns it.
    """

    def __init__(self, engine: Engine, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._marker: _SqliteMarker | _PostgresMarker = (
            _SqliteMarker(engine) if engine.dialect.name == "sqlite" else _PostgresMarker(engine)
        )
        self._seen: object = _NO_MARKER
        self._entries: dict[Hashable, tuple[Answer, int]] = {}
        self._bytes = 0

    async def marker(self) -> object:
        return await self._marker.read()

    def lookup(self, key: Hashable, marker: object) -> Answer | None:
        if marker is _NO_MARKER:
            return None
        if marker != self._seen:
            self._seen = marker
            self._entries = {}
            self._bytes = 0
        entry = self._entries.get(key)
        return entry[0] if entry is not None else None

    def store(self, key: Hashable, marker: object, answer: Answer) -> None:
        size = entry_size(key, answer)
        # A newer marker seen meanwhile means this answer may already be out of date.
        if marker is _NO_MARKER or marker != self._seen or size > self.max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes -= previous[1]
        while self._entries and self._bytes + size > self.max_bytes:
            oldest = next(iter(self._entries))
            self._bytes -= self._entries.pop(oldest)[1]
        self._entries[key] = (answer, size)
        self._bytes += size

    async def close(self) -> None:
        await self._marker.close()


async def answer(cache: ReadCache | None, key: Hashable, build: Callable[[], bytes]) -> Answer:
    """The cached answer for ``key``, or ``build()``'s (run in a thread), kept for next time.

    ``build`` raises for a caller who may not see the thing (a 404 problem); nothing is kept
    then, and the key always names the caller's side, so an answer never reaches another.
    """
    if cache is None:
        return answer_for(await anyio.to_thread.run_sync(build))
    marker = await cache.marker()
    found = cache.lookup(key, marker)
    if found is not None:
        return found
    fresh = answer_for(await anyio.to_thread.run_sync(build))
    cache.store(key, marker, fresh)
    return fresh


def read_cache(engine: Engine, megabytes: float) -> ReadCache | None:
    """The app's cache, or None when ``EXCHANGE_READ_CACHE_MB`` is 0.

    An in-memory SQLite database is private to its connection: another connection's marker
    would never change, so such a database gets no cache.
    """
    if megabytes <= 0:
        return None
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    return ReadCache(engine, int(megabytes * 1024 * 1024))
