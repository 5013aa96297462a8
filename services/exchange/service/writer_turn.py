"""Writers of selections on SQLite wait their turn in the kernel, not in SQLite's busy loop.

SQLite lets one transaction write at a time. A writer that finds the lock taken sleeps and
tries again (its busy handler: 1, 2, 5, ... up to 100 ms between tries), and whoever tries at
the right moment wins, not whoever waited longest: with 50 partners selecting at once through
two API processes some requests waited seconds while others went straight through. So a
selection first takes its turn here: a lock of this process (its threads), then an exclusive
``flock`` of a file beside the database (the other processes), which the kernel hands on the
moment it is released. It only orders the writers; the race for copies is still decided by the
database's conditional UPDATEs. PostgreSQL locks rows, not the database: nothing to wait for.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

_SUFFIX = ".writers.lock"
_guard = threading.Lock()
_turns: dict[str, tuple[threading.Lock, int]] = {}


def _turn_of(engine: Engine) -> tuple[threading.Lock, int] | None:
    """This process's lock and open lock file for the engine's SQLite file (None: no file)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + _SUFFIX
    turn = _turns.get(path)
    if turn is None:
        with _guard:
            turn = _turns.get(path)
            if turn is None:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                turn = (threading.Lock(), fd)
                _turns[path] = turn
    return turn


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """Hold the writers' turn for the block (a transaction that writes at once)."""
    turn = _turn_of(engine)
    if turn is None:
        yield
        return
    lock, fd = turn
    with lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
