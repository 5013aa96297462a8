"""Staging, committing and undoing a batch through the service layer, as the workflows do.

The commit and undo workflows call ``commit.commit_chunk`` and ``undo.undo_chunk`` until the
batch says it is done; these helpers do the same, chunk by chunk, so that service tests can
follow a batch from upload to undo without Temporal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from pymarc import Field, Indicators, Subfield
from sqlalchemy import func
from sqlmodel import Session, col, select

from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch, RecordKey
from services.exchange.service import commit, imports, undo
from services.exchange.service.keys import Caller
from tests.fast.conftest import STAFF, Database
from tests.support import build_record
from workflows.committing.types import CommitProgress


def record(n: int, title: str, *isbns: str, control: str | None = None) -> bytes:
    """A MARC 21 record with the ISBNs given and a 001 of its own (``control``, else a random
    one): the database is shared, and a 001 seen before is a candidate for review."""
    built = build_record(n, title=title)
    built.remove_fields("001")
    built.add_ordered_field(Field(tag="001", data=control or uuid.uuid4().hex[:16]))
    for isbn in isbns:
        built.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    data: bytes = built.as_marc()
    return data


def write_file(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(b"".join(records))
    return path


def stage(db: Database, batch_id: str) -> None:
    done = imports.import_whole(db.engine, batch_id)
    assert done.error is None, done.error


def commit_all(
    db: Database, batch_id: str, size: int = 1000, caller: Caller = STAFF
) -> CommitProgress:
    commit.begin(db.engine, caller, batch_id)
    chunk = commit.commit_chunk(db.engine, batch_id, None, size, caller.actor)
    while not chunk.done:
        chunk = commit.commit_chunk(db.engine, batch_id, chunk.next_position, size, caller.actor)
    return chunk


def undo_all(
    db: Database, batch_id: str, size: int = 1000, caller: Caller = STAFF
) -> CommitProgress:
    undo.begin(db.engine, caller, batch_id)
    chunk = undo.undo_chunk(db.engine, batch_id, None, size, caller.actor)
    while not chunk.done:
        chunk = undo.undo_chunk(db.engine, batch_id, chunk.next_position, size, caller.actor)
    return chunk


@dataclass(frozen=True)
class Catalogue:
    """The catalogue's size: records, their match keys, and all their copies."""

    records: int
    keys: int
    holdings: int


def catalogue(db: Database) -> Catalogue:
    with Session(db.engine) as session:
        records, holdings = session.exec(
            select(func.count(), func.coalesce(func.sum(CatalogueRecord.holdings), 0))
        ).one()
        keys = session.exec(select(func.count()).select_from(RecordKey)).one()
    return Catalogue(records, keys, holdings)


def batch(db: Database, batch_id: str) -> MarcBatch:
    with Session(db.engine) as session:
        found = session.get(MarcBatch, batch_id)
    assert found is not None
    return found


def outcomes(db: Database, batch_id: str) -> list[ImportOutcome]:
    with Session(db.engine) as session:
        return list(
            session.exec(
                select(ImportOutcome)
                .where(col(ImportOutcome.batch_id) == batch_id)
                .order_by(col(ImportOutcome.position))
            )
        )


def record_row(db: Database, record_id: int) -> CatalogueRecord | None:
    with Session(db.engine) as session:
        return session.get(CatalogueRecord, record_id)
