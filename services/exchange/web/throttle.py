"""Failed sign-ins make the next try with that user name from that address wait, a little longer
each time; the counts are in the database, so every API process sees the same ones.

Each check costs an Argon2 hash (tens of milliseconds, 64 MiB), so unlimited guessing would both
try passwords and starve the pages. A lockout of the user name would hand anyone who knows the
name a way to keep its owner out, so failures count per (name, address): after
``FREE_FAILURES`` the next try waits ``FIRST_DELAY`` seconds, then twice as long after each
further failure, up to ``MAX_DELAY``; the owner signing in from another address never waits
for someone else's guesses. A try made while waiting is refused without a hash and not counted.
A count is forgotten ``FORGET_AFTER`` seconds after its last failure, and a success clears it.

One conditional upsert counts a failure and sets its delay, so processes racing on the same
name and address lose no count. Times come from the API process's clock (``time.time``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from services.exchange.models import SignInFailure

FREE_FAILURES = 3
FIRST_DELAY = 1.0
MAX_DELAY = 300.0
FORGET_AFTER = 3600.0
PURGE_EVERY = 60.0
_NAME_LENGTH = 64  # the column's; no user name is longer

_table = SignInFailure.__table__  # type: ignore[attr-defined]


def _key(name: str, address: str) -> tuple[str, str]:
    return name.lower()[:_NAME_LENGTH], address[:64]


class SignInThrottle:
    def __init__(
        self,
        *,
        free_failures: int = FREE_FAILURES,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        forget_after: float = FORGET_AFTER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if free_failures < 1:
            raise ValueError("free_failures must be at least 1")
        self._free, self._first, self._max = free_failures, first_delay, max_delay
        self._forget_after = forget_after
        self._clock = clock
        self._purged_at = 0.0

    def wait_seconds(self, engine: Engine, name: str, address: str) -> float:
        """0 if a sign-in may be tried now; otherwise how long until it may."""
        username, addr = _key(name, address)
        now = self._clock()
        with engine.connect() as connection:
            row = connection.execute(
                select(_table.c.blocked_until, _table.c.last_failed_at).where(
                    _table.c.username == username, _table.c.address == addr
                )
            ).first()
        if row is None or row.last_failed_at < now - self._forget_after:
            return 0.0
        return max(0.0, float(row.blocked_until) - now)

    def failed(self, engine: Engine, name: str, address: str) -> None:
        """Count a failure and set the wait it earns, in one statement."""
        username, addr = _key(name, address)
        now = self._clock()
        columns = _table.c
        stale = columns.last_failed_at < now - self._forget_after
        failures = case((stale, 1), else_=columns.failures + 1)
        doubled = columns.delay_seconds * 2
        delay = case(
            (failures < self._free, literal(0.0)),
            (failures == self._free, literal(self._first)),
            (doubled > self._max, literal(self._max)),
            else_=doubled,
        )
        first_delay = 0.0 if self._free > 1 else self._first
        insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(_table)
            .values(
                username=username,
                address=addr,
                failures=1,
                delay_seconds=first_delay,
                last_failed_at=now,
                blocked_until=now + first_delay,
            )
            .on_conflict_do_update(
                index_elements=[columns.username, columns.address],
                set_={
                    "failures": failures,
                    "delay_seconds": delay,
                    "last_failed_at": now,
                    "blocked_until": delay + now,
                },
            )
        )
        with engine.begin() as connection:
            connection.execute(statement)
            if now - self._purged_at > PURGE_EVERY:
                self._purged_at = now
                connection.execute(
                    delete(_table).where(columns.last_failed_at < now - self._forget_after)
                )

    def succeeded(self, engine: Engine, name: str, address: str) -> None:
        username, addr = _key(name, address)
        with engine.begin() as connection:
            connection.execute(
                delete(_table).where(_table.c.username == username, _table.c.address == addr)
            )
