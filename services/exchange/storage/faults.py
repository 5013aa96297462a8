"""Faults of the machine under us (a full disk, a read-only database) as honest answers.

Without this a proposal on a full disk is a 500, as if the service were broken. Each fault
has a status a client can act on: 507 when there is no room to store what was sent, 503
when the database takes no writes at the moment, both worth trying again later.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

# SQLSTATE classes and codes (PostgreSQL appendix A).
_PG_NO_ROOM = ("53100", "53200", "53400")  # disk_full, out_of_memory, configuration_limit
_PG_READ_ONLY = ("25006",)  # read_only_sql_transaction
_PG_UNAVAILABLE_CLASSES = ("08", "57")  # connection exceptions, operator intervention


@dataclass(frozen=True, slots=True)
class Fault:
    status: int
    kind: str
    detail: str


NO_ROOM = Fault(507, "storage-full", "there is no room left to store this; try again later")
READ_ONLY = Fault(
    503, "storage-read-only", "the database takes no changes at the moment; try again later"
)
UNAVAILABLE = Fault(503, "database-unavailable", "the database does not answer; try again later")


def classify(exc: BaseException) -> Fault | None:
    """The fault behind an exception, or None when it is not one of the machine's."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        fault = _one(current)
        if fault is not None:
            return fault
        current = current.__cause__ or current.__context__
    return None


def _one(exc: BaseException) -> Fault | None:
    if isinstance(exc, DBAPIError):
        return _database(exc)
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return NO_ROOM
        if exc.errno == errno.EROFS:
            return READ_ONLY
    return None


def _database(exc: DBAPIError) -> Fault | None:
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str):
        if sqlstate in _PG_NO_ROOM:
            return NO_ROOM
        if sqlstate in _PG_READ_ONLY:
            return READ_ONLY
        if sqlstate[:2] in _PG_UNAVAILABLE_CLASSES:
            return UNAVAILABLE
        return None
    # sqlite3 gives the SQLite result code by name (Python 3.11+).
    name = getattr(original, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return NO_ROOM
    if name.startswith("SQLITE_READONLY"):
        return READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return UNAVAILABLE
    return None
