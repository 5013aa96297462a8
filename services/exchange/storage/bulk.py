"""Bulk inserts: COPY on PostgreSQL, multi-row INSERT elsewhere.

An import writes several rows per record (the record, its identifiers, its outcome). On
PostgreSQL, COPY into the same transaction is several times faster than INSERT statements.

The text in those rows comes from partners' files, so every row is made storable first
(``storable``): one character that a database refuses would fail the whole chunk, and its
every retry, however often the import tried again.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import JSON, insert, text
from sqlmodel import Session, SQLModel


def is_postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


# A lone surrogate (a byte that was not UTF-8, kept by a decoder's surrogateescape) cannot be
# encoded for any database, and PostgreSQL's text refuses NUL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with every character no database stores replaced by U+FFFD, the mark of text
    lost in decoding (which the MARC readers flag when a record arrives holding it)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_value(value: Any) -> Any:
    """A column's value with its text made storable, also inside JSON lists and objects (whose
    keys are the code's own)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_value(item) for item in value]
    if isinstance(value, dict):
        return {k: storable_value(v) for k, v in value.items()}
    return value


def storable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{column: storable_value(value) for column, value in row.items()} for row in rows]


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert the rows, their text made storable (the caller's dicts are left as they are)."""
    if not rows:
        return
    rows = storable_rows(rows)
    if not is_postgresql(session):
        session.execute(insert(model), rows)
        return
    table = model.__table__  # type: ignore[attr-defined]
    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[c]) if c in as_json and row[c] is not None else row[c]
                        for c in columns
                    ]
                )


def allocate_ids(session: Session, model: type[SQLModel], count: int) -> list[int]:
    """Ids from the table's sequence (PostgreSQL), so rows can be COPYed with their ids."""
    table = model.__table__.name  # type: ignore[attr-defined]
    result = session.execute(
        text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
        ),
        {"n": count},
    )
    return [row[0] for row in result]
