"""An import's rows hold any text a partner's file holds, on both databases: a chunk whose one
record carries a character the database refuses must not fail, and retry, for ever. And the
failure of a batch is recorded once, whoever records it (``imports.fail_batch``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlmodel import Session, col, select

import marc
from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch
from services.exchange.service import imports
from services.exchange.storage import bulk
from services.exchange.storage.db import session_scope
from tests.fast.conftest import Database, new_batch
from tests.fast.staging_support import commit_all
from tests.marc.records import book


def _record(control_number: str, title: str) -> str:
    return marc.to_marcjson(book(control_number=control_number, title=title))


def _json_file(tmp_path: Path) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex[:8]}.json"
    path.write_text(_record(f"ok{uuid.uuid4().hex[:8]}", "Kakawin"))
    return path


def _outcomes(db: Database, batch_id: str) -> list[ImportOutcome]:
    with Session(db.engine) as session:
        return list(
            session.exec(
                select(ImportOutcome)
                .where(col(ImportOutcome.batch_id) == batch_id)
                .order_by(col(ImportOutcome.position))
            )
        )


def _batch(db: Database, batch_id: str) -> MarcBatch:
    with Session(db.engine) as session:
        batch = session.get(MarcBatch, batch_id)
        assert batch is not None
        return batch


def test_a_record_whose_text_a_database_refuses_is_stored_all_the_same(
    database: Database, tmp_path: Path
) -> None:
    """PostgreSQL's text refuses NUL, which MARC-in-JSON may carry (as \\u0000)."""
    seed = uuid.uuid4().hex[:8]
    with_nul = json.loads(_record(f"nul{seed}", "Serat\u0000Centhini"))
    bad_tag = _record(f"tag{seed}", "Babad").replace('"245"', '"2\udcff5"')
    path = tmp_path / "text.json"
    path.write_bytes("\n".join([json.dumps(with_nul), bad_tag]).encode("utf-8", "surrogateescape"))
    batch_id = new_batch(database, path)

    progress = imports.import_chunk(database.engine, batch_id, 1, 0)

    assert (progress.done, progress.error, progress.processed) == (True, None, 2)
    first, second = _outcomes(database, batch_id)
    assert first.outcome in ("create", "merge") and first.title is not None
    assert "\x00" not in first.title and "\ufffd" in first.title
    assert second.outcome == "rejected"
    assert second.reason == "the tag of field 5: byte 0xFF at position 1 is not valid UTF-8"
    assert [r["reason"] for r in _batch(database, batch_id).rejected] == [second.reason]
    commit_all(database, batch_id)  # the catalogue takes the staged text as it was stored
    first, _ = _outcomes(database, batch_id)
    with Session(database.engine) as session:
        stored = session.get(CatalogueRecord, first.record_id)
    assert stored is not None and stored.title == first.title


def test_bulk_rows_are_made_storable_whatever_they_hold(database: Database, tmp_path: Path) -> None:
    batch_id = new_batch(database, _json_file(tmp_path))
    rows = [
        {
            "batch_id": batch_id,
            "position": 1,
            "outcome": imports.REJECTED,
            "title": "lone \udcff surrogate",
            "reason": "NUL \x00 and \ud800",
            "flags": ["a flag with \udcfe"],
        }
    ]
    with session_scope(database.engine) as session:
        bulk.insert_rows(session, ImportOutcome, rows)
    [outcome] = _outcomes(database, batch_id)
    assert (outcome.title, outcome.reason, outcome.flags) == (
        "lone \ufffd surrogate",
        "NUL \ufffd and \ufffd",
        ["a flag with \ufffd"],
    )
    assert rows[0]["title"] == "lone \udcff surrogate", "the caller's rows are left alone"


def test_a_batch_fails_once_with_the_first_reason(database: Database, tmp_path: Path) -> None:
    batch_id = new_batch(database, _json_file(tmp_path))

    first = imports.fail_batch(database.engine, batch_id, "the database refused \x00 the rows")
    again = imports.fail_batch(database.engine, batch_id, "another reason")

    assert first == again
    assert (first.done, first.error) == (True, "the database refused \ufffd the rows")
    batch = _batch(database, batch_id)
    assert (batch.state, batch.error) == (imports.FAILED, first.error)
    assert batch.finished_at is not None

    done = new_batch(database, _json_file(tmp_path))
    imports.import_whole(database.engine, done)
    assert imports.fail_batch(database.engine, done, "too late").error is None
    assert _batch(database, done).state == imports.STAGED

    missing = imports.fail_batch(database.engine, "no-such-batch", "gone")
    assert (missing.done, missing.error) == (True, "MARC batch no-such-batch does not exist")
