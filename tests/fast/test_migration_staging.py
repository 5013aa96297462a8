"""Migration 0012 on a database written by the old import (records straight into the
catalogue): its batches read as committed, their outcomes in the new vocabulary, their
records get history entries and revisions, and such a batch can be undone like a new one.
SQLite and PostgreSQL, each a fresh database migrated to 0011 first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch, RecordHistory
from services.exchange.service import undo
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade
from tests.conftest import PG_ADMIN_URL
from tests.fast.conftest import STAFF
from tests.support import build_record


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"exchange_mig_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engine = make_engine(f"{base}/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _old_import(engine: Engine) -> tuple[str, str, int, int]:
    """What the old import wrote: batch A created two records, batch B merged into one."""
    now = datetime.now(UTC)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as db:
        for batch_id, created, merged in ((a, 2, 0), (b, 0, 1)):
            db.execute(
                text(
                    "INSERT INTO marc_batch (id, uploaded_by, stored_path, size_bytes, state, "
                    "dry_run, processed, next_offset, created, merged, multi_matches, "
                    "duplicates, encoding_suspects, total, imported, rejected, created_at, "
                    "finished_at) VALUES (:id, 'staff:old', '/gone', 0, 'completed', false, "
                    ":n, 0, :c, :m, 0, 0, 0, :n, :n, '[]', :at, :at)"
                ),
                {"id": batch_id, "n": created + merged, "c": created, "m": merged, "at": now},
            )
        ids = []
        for position in (1, 2):
            marc = build_record(position, title=f"Old {position}").as_marc()
            ids.append(
                db.execute(
                    text(
                        "INSERT INTO catalogue_record (batch_id, position, title, holdings, "
                        "marc, created_at) VALUES (:b, :p, :t, :h, :marc, :at) RETURNING id"
                    ),
                    {
                        "b": a,
                        "p": position,
                        "t": f"Old {position}",
                        "h": 3 - position,
                        "marc": marc,
                        "at": now,
                    },
                ).scalar_one()
            )
        rows = [(a, 1, "created", ids[0]), (a, 2, "created", ids[1]), (b, 1, "merged", ids[0])]
        for batch_id, position, outcome, record_id in rows:
            db.execute(
                text(
                    "INSERT INTO import_outcome (batch_id, position, outcome, record_id) "
                    "VALUES (:b, :p, :o, :r)"
                ),
                {"b": batch_id, "p": position, "o": outcome, "r": record_id},
            )
    return a, b, ids[0], ids[1]


def test_old_imports_read_as_committed_and_can_be_undone(old_engine: Engine) -> None:
    upgrade(old_engine, "0011")
    a, b, first, second = _old_import(old_engine)
    upgrade(old_engine)

    with Session(old_engine) as session:
        batch = session.get(MarcBatch, a)
        assert batch is not None
        assert (batch.state, batch.committed_through, batch.committed_by) == (
            "committed",
            2,
            "staff:old",
        )
        outcomes = session.exec(
            select(ImportOutcome.batch_id, ImportOutcome.outcome, ImportOutcome.applied).where(
                col(ImportOutcome.batch_id).in_([a, b])
            )
        ).all()
        assert sorted((o, p) for bid, o, p in outcomes if bid == a) == [
            ("create", "created"),
            ("create", "created"),
        ]
        assert [(o, p) for bid, o, p in outcomes if bid == b] == [("merge", "merged")]
        history = session.exec(
            select(RecordHistory.record_id, RecordHistory.action, RecordHistory.revision)
            .where(col(RecordHistory.batch_id).in_([a, b]))
            .order_by(col(RecordHistory.record_id), col(RecordHistory.revision))
        ).all()
        assert history == [(first, "imported", 1), (first, "merged", 2), (second, "imported", 1)]
        merged_into = session.get(CatalogueRecord, first)
        assert merged_into is not None and merged_into.revision == 2

    undo.begin(old_engine, STAFF, b)
    done = undo.undo_chunk(old_engine, b, None, 100, STAFF.actor)
    assert done.state == "undone"
    undo.begin(old_engine, STAFF, a)
    done = undo.undo_chunk(old_engine, a, None, 100, STAFF.actor)
    assert done.state == "undone"
    with Session(old_engine) as session:
        assert session.get(CatalogueRecord, first) is None
        assert session.get(CatalogueRecord, second) is None
