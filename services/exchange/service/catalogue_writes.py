"""The writes a commit and an undo make to the catalogue, in bulk, inside their chunk's
transaction: new records with their ids, match keys, holdings and revisions, history entries.

Kept apart from the decisions of what to write (``commit.py``, ``undo.py``) so that both use
the one way of allocating ids and inserting rows on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete, text, update
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select

from services.exchange.models import (
    CatalogueRecord,
    Exchange,
    MarcBatch,
    Partner,
    RecordHistory,
    RecordKey,
)
from services.exchange.storage import bulk
from services.exchange.storage.utc import UtcDateTime

INDEX_COLUMNS = ("control_number", "title", "isbn", "issn", "author", "year")


def provenance_partner(session: Session, batch: MarcBatch) -> int | None:
    """Whose records they are: the partner of the batch's exchange, else the partner that
    uploaded it (a staff import of our own has none)."""
    if batch.exchange_id is not None:
        exchange = session.get(Exchange, batch.exchange_id)
        if exchange is not None:
            return exchange.partner_id
    if batch.uploaded_by.startswith("staff:"):
        return None
    return session.exec(select(Partner.id).where(col(Partner.code) == batch.uploaded_by)).first()


# A staged record the commit creates: decided so, or proposed so and not decided otherwise.
_CREATES = (
    "o.batch_id = :batch AND o.position BETWEEN :first AND :last AND o.applied IS NULL "
    "AND o.marc IS NOT NULL "
    "AND (o.action = 'create' OR (o.action IS NULL AND o.outcome = 'create'))"
)
_OWN = "r.batch_id = :batch AND r.position BETWEEN :first AND :last"


def create_staged(
    session: Session,
    batch: MarcBatch,
    first: int,
    last: int,
    now: datetime,
    actor: str,
    partner_id: int | None,
) -> int:
    """Create the records of positions ``first``..``last`` that the commit creates, with
    their match keys, history entries and outcomes, in five statements that copy the staged
    rows inside the database (the MARC never travels to Python and back); how many.

    Every catalogue record with this batch's id in these positions is one made here: a
    record keeps the id of the batch that created it, and a chunk runs once.
    """
    values = {
        "batch": batch.id,
        "first": first,
        "last": last,
        "exchange": batch.exchange_id,
        "partner": partner_id,
        "now": now,
        "actor": actor,
    }
    index = ", ".join(INDEX_COLUMNS)
    made: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        text(
            f"INSERT INTO catalogue_record (batch_id, exchange_id, partner_id, position, "
            f"{index}, holdings, revision, marc, created_at) "
            f"SELECT o.batch_id, :exchange, :partner, o.position, "
            f"{', '.join(f'o.{c}' for c in INDEX_COLUMNS)}, 1, 1, o.marc, :now "
            f"FROM import_outcome o WHERE {_CREATES} ORDER BY o.position"
        ).bindparams(bindparam("now", type_=UtcDateTime())),
        values,
    )
    if not made.rowcount:
        return 0
    elements = (
        # A record without identifiers has JSON null for keys: no rows (PostgreSQL would
        # refuse to take elements of a scalar, SQLite's json_each would give one null row).
        "CROSS JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(o.keys) = 'array' "
        "THEN o.keys ELSE '[]'::json END) AS k(value)"
        if bulk.is_postgresql(session)
        else "JOIN json_each(o.keys) AS k ON json_type(o.keys) = 'array'"
    )
    session.execute(
        text(
            "INSERT INTO record_key (record_id, key) SELECT r.id, k.value "
            "FROM catalogue_record r JOIN import_outcome o "
            f"ON o.batch_id = r.batch_id AND o.position = r.position {elements} "
            f"WHERE {_OWN} AND o.keys IS NOT NULL"
        ),
        values,
    )
    session.execute(
        text(
            "INSERT INTO record_history (record_id, batch_id, position, exchange_id, "
            "partner_id, action, revision, holdings, at, actor) "
            "SELECT r.id, r.batch_id, r.position, r.exchange_id, r.partner_id, 'imported', "
            f"1, 1, :now, :actor FROM catalogue_record r WHERE {_OWN}"
        ).bindparams(bindparam("now", type_=UtcDateTime())),
        values,
    )
    if bulk.is_postgresql(session):
        session.execute(
            text(
                "UPDATE import_outcome o SET applied = 'created', record_id = r.id "
                f"FROM catalogue_record r WHERE {_OWN} AND o.batch_id = r.batch_id "
                "AND o.position = r.position AND o.applied IS NULL"
            ),
            values,
        )
        return int(made.rowcount)
    session.execute(
        text(
            "UPDATE import_outcome SET applied = 'created', record_id = (SELECT r.id "
            "FROM catalogue_record r WHERE r.batch_id = import_outcome.batch_id "
            "AND r.position = import_outcome.position) "
            "WHERE batch_id = :batch AND position BETWEEN :first AND :last "
            "AND applied IS NULL AND EXISTS (SELECT 1 FROM catalogue_record r "
            "WHERE r.batch_id = import_outcome.batch_id AND r.position = import_outcome.position)"
        ),
        values,
    )
    return int(made.rowcount)


def insert_keys(session: Session, keys: list[tuple[int, list[str]]]) -> None:
    bulk.insert_rows(
        session,
        RecordKey,
        [{"record_id": record_id, "key": key} for record_id, ks in keys for key in ks],
    )


def record_keys(session: Session, record_id: int) -> list[str]:
    return list(
        session.exec(
            select(RecordKey.key)
            .where(col(RecordKey.record_id) == record_id)
            .order_by(col(RecordKey.id))
        )
    )


def replace_keys(session: Session, record_id: int, keys: list[str]) -> None:
    session.execute(delete(RecordKey).where(col(RecordKey.record_id) == record_id))
    insert_keys(session, [(record_id, keys)])


def delete_records(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        session.execute(delete(RecordKey).where(col(RecordKey.record_id).in_(part)))
        session.execute(delete(CatalogueRecord).where(col(CatalogueRecord.id).in_(part)))


@dataclass
class Target:
    """An existing record a chunk changes: its counters as the chunk goes along, and (for a
    replace) its MARC, index and keys."""

    id: int
    holdings: int
    revision: int
    marc: bytes | None = None
    keys: list[str] | None = None
    index: dict[str, Any] = field(default_factory=dict)
    touched: bool = False
    replaced: bool = False


def load_targets(session: Session, ids: set[int], with_marc: set[int]) -> dict[int, Target]:
    """The records ``ids``, locked for the chunk (FOR UPDATE on PostgreSQL); MARC, index and
    keys only for those in ``with_marc``."""
    found: dict[int, Target] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            core_select(
                col(CatalogueRecord.id),
                col(CatalogueRecord.holdings),
                col(CatalogueRecord.revision),
            )
            .where(col(CatalogueRecord.id).in_(wanted[start : start + 500]))
            .with_for_update()
        )
        for record_id, holdings, revision in rows:
            found[record_id] = Target(record_id, holdings, revision)
    for record_id in sorted(with_marc & set(found)):
        record = session.get(CatalogueRecord, record_id)
        assert record is not None
        target = found[record_id]
        target.marc = bytes(record.marc)
        target.index = {c: getattr(record, c) for c in INDEX_COLUMNS}
        target.keys = record_keys(session, record_id)
    return found


def save_targets(session: Session, targets: dict[int, Target], now: object) -> None:
    """Write back the counters of the records the chunk touched, and a replaced one's MARC,
    index and keys."""
    touched = [t for t in targets.values() if t.touched]
    if touched:
        table = SQLModel.metadata.tables["catalogue_record"]  # Core: an executemany, not the ORM's
        session.execute(
            update(table)
            .where(table.c.id == bindparam("rid"))
            .values(holdings=bindparam("h"), revision=bindparam("r"), updated_at=bindparam("at")),
            [{"rid": t.id, "h": t.holdings, "r": t.revision, "at": now} for t in touched],
        )
    for t in touched:
        if t.replaced and t.marc is not None:
            session.execute(
                update(CatalogueRecord)
                .where(col(CatalogueRecord.id) == t.id)
                .values(marc=t.marc, **bulk.storable_value(t.index))
            )
            replace_keys(session, t.id, t.keys or [])


def insert_history(session: Session, entries: list[dict[str, Any]]) -> None:
    bulk.insert_rows(session, RecordHistory, entries)
