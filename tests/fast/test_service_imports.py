"""Imports through the service layer: chunks, retries, rejected records, and matching.

The import workflow calls ``imports.import_chunk`` once per chunk and again after a crash;
here the tests call it themselves, on both databases, and read what it wrote. An import only
stages its batch; the records reach the catalogue by its commit (``staging_support``, whose
own tests are in ``test_service_staging``). The same facts ``test_activities`` and
``test_import`` check through a worker and the API.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pymarc import Field, Indicators, Subfield
from sqlmodel import Session, col, select

from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch
from services.exchange.service import imports
from tests.fast.conftest import Database, new_batch, unique_isbn
from tests.fast.staging_support import commit_all, undo_all
from tests.support import build_record, marc_file


def _record(n: int, title: str, *isbns: str, sysno: str | None = None) -> bytes:
    record = build_record(n, title=title)
    for isbn in isbns:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    if sysno:
        record.add_field(
            Field(tag="035", indicators=Indicators(" ", " "), subfields=[Subfield("a", sysno)])
        )
    data: bytes = record.as_marc()
    return data


def _file(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(b"".join(records))
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


def _holdings(db: Database, record_id: int) -> int:
    with Session(db.engine) as session:
        record = session.get(CatalogueRecord, record_id)
    assert record is not None
    return record.holdings


def test_a_file_is_imported_chunk_by_chunk_and_a_retried_chunk_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    path = marc_file(tmp_path / "seven.mrc", 7, broken_at={3})
    batch_id = new_batch(database, path)
    assert _batch(database, batch_id).expected_total == 7
    first = imports.import_chunk(database.engine, batch_id, 1, 0, size=3)
    assert (first.next_index, first.done, first.processed, first.imported, first.rejected) == (
        4,
        False,
        3,
        2,
        1,
    )
    sizes = [len(build_record(n).as_marc()) for n in range(1, 8)]
    assert first.next_offset == sum(sizes[:3]), "the byte offset of record 4"
    assert imports.import_chunk(database.engine, batch_id, 1, 0, size=3) == first, "a retry"

    beats: list[int] = []
    chunk = first
    while not chunk.done:
        chunk = imports.import_chunk(
            database.engine, batch_id, chunk.next_index, chunk.next_offset, 3, beats.append
        )
    assert (chunk.processed, chunk.imported, chunk.rejected, chunk.error) == (7, 6, 1, None)
    assert beats == [7, 8], "a heartbeat per chunk, with the records read so far"
    assert imports.import_whole(database.engine, batch_id) == chunk, "a finished batch stays"

    batch = _batch(database, batch_id)
    assert (batch.state, batch.total, batch.imported, batch.created) == ("staged", 7, 6, 6)
    assert batch.finished_at is not None
    (rejected,) = batch.rejected
    assert (rejected["index"], rejected["offset"]) == (3, sum(sizes[:2]))
    assert rejected["reason"]
    outcomes = _outcomes(database, batch_id)
    assert [o.outcome for o in outcomes] == ["create"] * 2 + ["rejected"] + ["create"] * 4
    assert outcomes[2].raw is not None and outcomes[2].raw[:5] == b"XXXXX", "kept as it was"
    assert not any(o.record_id for o in outcomes), "staged: nothing in the catalogue yet"
    commit_all(database, batch_id)
    outcomes = _outcomes(database, batch_id)
    assert all(o.record_id for o in outcomes if o.applied == "created")
    with Session(database.engine) as session:
        positions = session.exec(
            select(CatalogueRecord.position).where(col(CatalogueRecord.batch_id) == batch_id)
        ).all()
    assert sorted(positions) == [1, 2, 4, 5, 6, 7]
    undo_all(database, batch_id)  # their 001s would be review candidates for later files


def test_the_whole_file_at_once_writes_what_the_chunks_would(
    database: Database, tmp_path: Path
) -> None:
    path = marc_file(tmp_path / "b.mrc", 7, broken_at={3})
    batch_id = new_batch(database, path)
    first = imports.import_whole(database.engine, batch_id)
    again = imports.import_whole(database.engine, batch_id)
    assert (first.processed, first.imported, first.rejected) == (7, 6, 1)
    assert again == first
    assert len(_outcomes(database, batch_id)) == 7


def test_identifiers_merge_find_duplicates_and_leave_multi_matches(
    database: Database, tmp_path: Path
) -> None:
    a, b, c, d, e = (unique_isbn() for _ in range(5))
    seed = _file(
        tmp_path / "seed.mrc",
        [_record(1, "Serat Centhini", a), _record(2, "Babad", b), _record(3, "Kidung", e)],
    )
    seeded = new_batch(database, seed)
    imports.import_whole(database.engine, seeded)
    commit_all(database, seeded)
    centhini = _outcomes(database, seeded)[0].record_id
    assert centhini is not None and _holdings(database, centhini) == 1

    records = [
        _record(1, "Serat Centhini (reprint)", a),  # in the catalogue: merged
        _record(2, "Nagarakretagama", c),  # new
        _record(3, "Nagarakretagama, again", f"{c[:3]}-{c[3:]}"),  # same file, same ISBN
        _record(4, "Two books at once", b, e),  # two catalogue candidates: left for review
        b"00042nam  2200025 a 4500\x1ebroken\x1d",  # rejected, kept raw
        _record(6, "Sutasoma", d, sysno=f"(OCoLC){d[-8:]}"),  # new
    ]
    path = _file(tmp_path / "batch.mrc", records)
    dry = new_batch(database, path, dry_run=True)
    real = new_batch(database, path)
    for batch_id in (dry, real):
        imports.import_whole(database.engine, batch_id)
        batch = _batch(database, batch_id)
        counts = (batch.created, batch.merged, batch.multi_matches, batch.duplicates)
        assert counts == (2, 1, 1, 1) and [r["index"] for r in batch.rejected] == [5]
        assert (batch.total, batch.imported, batch.encoding_suspects) == (6, 3, 0)

    dry_outcomes = _outcomes(database, dry)
    proposed = ["merge", "create", "duplicate", "multi_match", "rejected", "create"]
    assert [o.outcome for o in dry_outcomes] == proposed
    assert dry_outcomes[0].record_id == centhini
    assert dry_outcomes[1].record_id is None, "a dry run creates nothing"
    outcomes = _outcomes(database, real)
    assert [o.outcome for o in outcomes] == proposed
    assert _holdings(database, centhini) == 1, "staged: not merged yet"
    with Session(database.engine) as session:
        multi = session.exec(
            select(ImportOutcome).where(
                col(ImportOutcome.batch_id) == real, col(ImportOutcome.position) == 4
            )
        ).one()
        multi.action = "ignore"  # a cataloguer's decision (``staging.set_decisions``)
        session.add(multi)
        session.commit()
    commit_all(database, real)
    outcomes = _outcomes(database, real)
    assert [o.applied for o in outcomes] == [
        "merged",
        "created",
        "ignored",
        "ignored",
        "ignored",
        "created",
    ]
    assert outcomes[0].record_id == centhini and _holdings(database, centhini) == 2, (
        "merged once: the dry run added no holding"
    )
    assert outcomes[2].reason == "the same publication as record 2 of this file"
    assert outcomes[3].candidates is not None and len(outcomes[3].candidates) == 2
    assert outcomes[4].raw == records[4], "rejected records are kept byte for byte"
    assert all(not o.flags for o in outcomes if o.outcome != "rejected")
    with Session(database.engine) as session:
        made = session.exec(
            select(CatalogueRecord.title).where(col(CatalogueRecord.batch_id).in_([dry, real]))
        ).all()
    assert sorted(t or "" for t in made) == ["Nagarakretagama", "Sutasoma"]


def test_check_errors_are_reported_not_fatal(database: Database, tmp_path: Path) -> None:
    record = build_record(1, title="Judul pertama")
    record.add_field(
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "Kedua")])
    )
    batch_id = new_batch(database, _file(tmp_path / "twice.mrc", [record.as_marc()]))
    imports.import_whole(database.engine, batch_id)
    (outcome,) = _outcomes(database, batch_id)
    assert outcome.outcome == "create"
    assert outcome.flags is not None and any(f.startswith("check 245") for f in outcome.flags)


def test_a_file_that_cannot_be_read_fails_its_batch(database: Database, tmp_path: Path) -> None:
    path = marc_file(tmp_path / "gone.mrc", 2)
    batch_id = new_batch(database, path)
    path.unlink()
    progress = imports.import_chunk(database.engine, batch_id, 1, 0)
    assert progress.done and progress.error is not None
    assert progress.error.startswith("the stored file cannot be read")
    batch = _batch(database, batch_id)
    assert (batch.state, batch.error) == ("failed", progress.error)
    assert progress.result(batch_id).state == "failed"
    with pytest.raises(imports.BatchNotFound):
        imports.import_chunk(database.engine, "no-such-batch", 1, 0)
    with pytest.raises(imports.BatchNotFound):
        imports.import_whole(database.engine, "no-such-batch")
