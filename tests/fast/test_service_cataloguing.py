"""MARC batches seen from the API, without the API: stored uploads, reports, exports, access.

``service/cataloguing.py`` stores an upload, then hands it to a workflow; everything but that
hand-over is called here directly, after the import itself (``imports.import_whole``, what
the workflow's activities run) has staged the batch, and its commit written the catalogue.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pymarc
import pytest

import marc
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import catalogue, cataloguing, imports
from tests.fast.conftest import (
    STAFF,
    Database,
    insert_exchange,
    new_batch,
    new_partner,
    unique_isbn,
)
from tests.fast.staging_support import commit_all, undo_all
from tests.support import build_record, marc_file


def _refused(excinfo: pytest.ExceptionInfo[Problem]) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.kind


def _outcome_rows(db: Database, batch_id: str) -> list[dict[str, str]]:
    text = "".join(cataloguing.outcomes_csv(db.engine, batch_id))
    return list(csv.DictReader(io.StringIO(text)))


def test_an_upload_is_stored_only_if_it_is_marc_and_not_too_large(
    database: Database, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    data = marc_file(tmp_path / "two.mrc", 2).read_bytes()
    batch_id, path, size, fmt = cataloguing.store_upload(uploads, io.BytesIO(data), len(data))
    assert (path.read_bytes(), size, fmt) == (data, len(data), "marc21")
    assert path.name == f"{batch_id}.marc"
    assert cataloguing.expected_records(path, fmt) == 2

    for source, limit, refusal in (
        (b"", 100, (422, "not-marc")),
        (b"name,title\nx,y\n", 100, (422, "not-marc")),
        (data, len(data) - 1, (413, "upload-too-large")),
    ):
        with pytest.raises(Problem) as refused:
            cataloguing.store_upload(uploads, io.BytesIO(source), limit)
        assert _refused(refused) == refusal
    assert sorted(p.name for p in uploads.iterdir()) == [path.name], "refused files are gone"

    xml = b"".join(marc.marcxml_collection([build_record(n).as_marc() for n in range(1, 4)]))
    xml_path = tmp_path / "three.xml"
    xml_path.write_bytes(xml)
    assert cataloguing.expected_records(xml_path, marc.detect_format(xml_path)) == 3


def test_a_batch_report_its_outcomes_rejected_records_and_export(
    database: Database, tmp_path: Path
) -> None:
    isbn = unique_isbn()
    path = marc_file(tmp_path / "four.mrc", 4, broken_at={2})
    broken = path.read_bytes()
    batch_id = new_batch(database, path)
    imports.import_whole(database.engine, batch_id)

    report = cataloguing.batch_view(database.engine, STAFF, batch_id)
    assert (report.state, report.total, report.imported, report.dry_run) == (
        "staged",
        4,
        3,
        False,
    )
    assert [r.index for r in report.rejected] == [2] and report.rejected[0].offset is not None
    assert report.counts.created == 3 and report.counts.rejected == 1
    assert report.progress.processed == 4 and report.progress.expected_total == 4
    assert report.progress.eta_seconds is None, "finished: nothing left to wait for"
    assert report.lines_without_record is None, "a batch of no exchange has no lines"

    rows = _outcome_rows(database, batch_id)
    assert [row["outcome"] for row in rows] == ["create", "rejected", "create", "create"]
    assert list(cataloguing.batch_records(database.engine, batch_id)) == [], "only staged"
    commit_all(database, batch_id)
    rows = _outcome_rows(database, batch_id)
    assert [row["applied"] for row in rows] == ["created", "ignored", "created", "created"]
    assert [row["position"] for row in rows] == ["1", "2", "3", "4"]
    (raw,) = cataloguing.rejected_raw(database.engine, batch_id)
    offset = report.rejected[0].offset or 0
    assert raw == broken[offset : offset + len(raw)] and raw.startswith(b"XXXXX")

    exported = b"".join(cataloguing.batch_records(database.engine, batch_id))
    titles = [r["245"]["a"] for r in pymarc.MARCReader(exported, to_unicode=True) if r]
    assert titles == ["Buku nomor 1 /", "Buku nomor 3 /", "Buku nomor 4 /"]

    page = catalogue.list_records(
        database.engine, STAFF, isbn=None, q="nomor 3", limit=500, offset=0
    )
    assert batch_id in {r.batch_id for r in page.items}
    none = catalogue.list_records(database.engine, STAFF, isbn=isbn, q=None, limit=10, offset=0)
    assert none.total == 0 and none.items == []
    with pytest.raises(Problem) as refused:
        catalogue.list_records(database.engine, STAFF, isbn="12", q=None, limit=10, offset=0)
    assert _refused(refused) == (422, "validation-error")
    undo_all(database, batch_id)  # their 001s would be review candidates for later files


def test_an_exchange_batch_reports_lines_and_records_without_a_match(
    database: Database, tmp_path: Path
) -> None:
    _partner, caller = new_partner(database)
    isbn = unique_isbn()
    exchange_id, line_ids = insert_exchange(
        database,
        caller,
        "incoming",
        [
            LineIn(title="Kamus Dewan", isbn=isbn, quantity=1),
            LineIn(title="Война и мир", author="Толстой, Лев", year=2026, quantity=1),
            LineIn(title="Nothing sent for this line", quantity=1),
        ],
    )
    path = tmp_path / "exchange.mrc"
    path.write_bytes(
        build_record(1, title="Kamus dewan :", isbn=f"{isbn[:3]}-{isbn[3:]}").as_marc()
        + build_record(2, title="ВОЙНА И МИР.").as_marc()
        + build_record(3, title="A record for no line").as_marc()
    )
    batch_id = new_batch(
        database, path, uploaded_by=caller.actor, exchange_id=exchange_id, dry_run=True
    )
    imports.import_whole(database.engine, batch_id)

    report = cataloguing.batch_view(database.engine, caller, batch_id)
    assert report.exchange_id == exchange_id and report.dry_run
    assert report.lines_without_record == [line_ids[2]]
    assert report.records_without_line == 1
    rows = _outcome_rows(database, batch_id)
    assert [row["line_id"] for row in rows] == [line_ids[0], line_ids[1], ""]
    assert list(cataloguing.exchange_records(database.engine, exchange_id)) == [], (
        "a dry run exports nothing"
    )


def test_a_batch_is_seen_only_by_staff_and_the_sides_of_its_exchange(
    database: Database, tmp_path: Path
) -> None:
    _a, side = new_partner(database)
    _b, stranger = new_partner(database)
    exchange_id, _ = insert_exchange(database, side, "incoming", [LineIn(title="x", quantity=1)])
    ours = new_batch(database, marc_file(tmp_path / "ours.mrc", 1))
    theirs = new_batch(
        database,
        marc_file(tmp_path / "theirs.mrc", 1),
        uploaded_by=side.actor,
        exchange_id=exchange_id,
    )
    cataloguing.check_batch_visible(database.engine, STAFF, ours)
    cataloguing.check_batch_visible(database.engine, STAFF, theirs)
    cataloguing.check_batch_visible(database.engine, side, theirs)
    for caller, batch_id in ((side, ours), (stranger, ours), (stranger, theirs), (STAFF, "nope")):
        with pytest.raises(Problem) as hidden:
            cataloguing.batch_view(database.engine, caller, batch_id)
        assert _refused(hidden) == (404, "not-found")
        assert hidden.value.detail == f"MARC batch {batch_id} was not found", "nothing more"
