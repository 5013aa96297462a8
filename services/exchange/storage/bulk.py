"""Bulk inserts: COPY on PostgreSQL, multi-row INSERT elsewhere.

An import writes several rows per record (the record, its identifiers, its outcome). On
PostgreSQL, COPY into the same transaction is several times faster than INSERT statements.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, insert, text
from sqlmodel import Session, SQLModel


def is_postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
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
