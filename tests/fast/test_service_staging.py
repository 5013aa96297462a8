"""Staged imports through the service layer, on SQLite and PostgreSQL: staging changes nothing
in the catalogue, decisions, a commit writes exactly what the report proposed (chunk by
chunk, a retried chunk writing nothing twice), and an undo puts the catalogue back, except
records a later batch changed since."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import RecordHistory
from services.exchange.problems import Problem
from services.exchange.service import commit, imports, staging, undo
from services.exchange.service.keys import ACQUISITIONS, CATALOGUER, Caller
from services.exchange.service.staging import Decision
from tests.fast.conftest import HOME_CODE, STAFF, Database, new_batch, unique_isbn
from tests.fast.staging_support import (
    batch,
    catalogue,
    commit_all,
    outcomes,
    record,
    record_row,
    stage,
    undo_all,
    write_file,
)

CATALOGUER_CALLER = Caller(kind="staff", key_id="cat", party=HOME_CODE, role=CATALOGUER)
ACQUISITIONS_CALLER = Caller(kind="staff", key_id="acq", party=HOME_CODE, role=ACQUISITIONS)
BROKEN = b"00042nam  2200025 a 4500\x1ebroken\x1d"


def _seeded(db: Database, tmp_path: Path, *isbns: str) -> list[int]:
    """One committed record per ISBN; their ids."""
    records = [record(n, f"Seed {isbn}", isbn, control=f"s{isbn}") for n, isbn in enumerate(isbns)]
    seed = new_batch(db, write_file(tmp_path / f"seed-{isbns[0]}.mrc", records))
    stage(db, seed)
    commit_all(db, seed)
    ids = [o.record_id for o in outcomes(db, seed)]
    assert all(ids)
    return [i for i in ids if i is not None]


def _main_batch(db: Database, tmp_path: Path) -> tuple[str, list[int], list[str]]:
    a, b, c, d, e, f = (unique_isbn() for _ in range(6))
    ra, rb, re, rf = _seeded(db, tmp_path, a, b, e, f)
    records = [
        record(1, "Serat Centhini (reprint)", a, control=f"m1{a}"),  # merge into seed a
        record(2, "Nagarakretagama", c, control=f"m2{c}"),  # create
        record(3, "Nagarakretagama, again", c, control=f"m3{c}"),  # duplicate of 2
        record(4, "Two books at once", b, f, control=f"m4{b}"),  # multi-match: seeds b, f
        BROKEN,  # rejected
        record(6, "Sutasoma", d, control=f"m6{d}"),  # create
        record(7, "Kidung, a better record", e, control=f"m7{e}"),  # merge into seed e
    ]
    batch_id = new_batch(db, write_file(tmp_path / "main.mrc", records))
    return batch_id, [ra, rb, re, rf], [a, b, c, d, e, f]


def test_staging_proposes_and_leaves_the_catalogue_alone(
    database: Database, tmp_path: Path
) -> None:
    batch_id, (ra, rb, _re, rf), _ = _main_batch(database, tmp_path)
    before = catalogue(database)
    with pytest.raises(Problem) as early:
        staging.set_decisions(database.engine, STAFF, batch_id, [Decision(2, None, "ignore")])
    assert early.value.status == 409, "no decisions while it is staging"
    stage(database, batch_id)
    assert catalogue(database) == before, "staging writes nothing to the catalogue"
    staged = batch(database, batch_id)
    assert staged.state == "staged"
    assert (staged.created, staged.merged, staged.multi_matches, staged.duplicates) == (2, 2, 1, 1)

    total, rows = staging.staged_records(database.engine, STAFF, batch_id)
    assert total == 7
    assert [r.proposed for r in rows] == [
        "merge",
        "create",
        "duplicate",
        "multi_match",
        "rejected",
        "create",
        "merge",
    ]
    assert (rows[0].record_id, rows[0].match_points) == (ra, ["isbn"])
    assert rows[3].candidates == sorted([rb, rf]) and rows[3].effective_action is None
    assert rows[2].reason == "the same publication as record 2 of this file"
    assert all(r.action is None for r in rows)
    count, multi = staging.staged_records(database.engine, STAFF, batch_id, proposed="multi_match")
    assert (count, [r.position for r in multi]) == (1, [4])
    marc = staging.staged_marc(database.engine, STAFF, batch_id, 2)
    assert marc["245"]["a"] == "Nagarakretagama"
    with pytest.raises(Problem) as rejected:
        staging.staged_marc(database.engine, STAFF, batch_id, 5)
    assert rejected.value.status == 404, "a rejected record has no MARC 21 form"


def test_commit_writes_what_was_decided_and_undo_puts_it_back(
    database: Database, tmp_path: Path
) -> None:
    batch_id, (ra, rb, re, _rf), _ = _main_batch(database, tmp_path)
    stage(database, batch_id)
    old_e = record_row(database, re)
    assert old_e is not None

    with pytest.raises(Problem) as waiting:
        commit.begin(database.engine, STAFF, batch_id)
    assert (waiting.value.status, waiting.value.kind) == (409, "unresolved-multi-matches")
    assert waiting.value.extra["unresolved"] == [4]

    engine = database.engine
    with pytest.raises(Problem) as role:
        staging.set_decisions(engine, ACQUISITIONS_CALLER, batch_id, [Decision(4, None, "ignore")])
    assert role.value.status == 403
    for wrong, why in (
        (Decision(5, None, "create"), "a rejected record can only be ignored"),
        (Decision(2, None, "merge"), "a merge needs a target"),
        (Decision(2, None, "merge", 10**9), "the target must exist"),
        (Decision(2, None, "publish"), "no such action"),
    ):
        with pytest.raises(Problem) as refused:
            staging.set_decisions(engine, CATALOGUER_CALLER, batch_id, [wrong])
        assert refused.value.status == 422, why
    changed = staging.set_decisions(
        engine,
        CATALOGUER_CALLER,
        batch_id,
        [Decision(4, None, "merge", rb), Decision(7, None, "replace")],
    )
    assert changed == 2
    _, rows = staging.staged_records(engine, STAFF, batch_id)
    assert (rows[3].action, rows[3].target_record_id) == ("merge", rb)
    assert (rows[6].action, rows[6].target_record_id) == ("replace", re), "its own match"

    before = catalogue(database)
    holdings = {r: row.holdings for r in (ra, rb, re) if (row := record_row(database, r))}
    commit.begin(engine, CATALOGUER_CALLER, batch_id)
    first = commit.commit_chunk(engine, batch_id, None, 3, "staff:cat")
    assert (first.next_position, first.done, first.processed) == (4, False, 3)
    assert commit.commit_chunk(engine, batch_id, 1, 3, "staff:cat") == first, "a retry"
    done = first
    while not done.done:
        done = commit.commit_chunk(engine, batch_id, done.next_position, 3, "staff:cat")
    assert (done.state, done.records) == ("committed", 5)

    after = catalogue(database)
    assert after.records == before.records + 2, "positions 2 and 6 are new records"
    assert after.holdings == before.holdings + 5, "2 new, 2 merged, 1 replaced"
    committed = outcomes(database, batch_id)
    assert [o.applied for o in committed] == [
        "merged",
        "created",
        "ignored",
        "merged",
        "ignored",
        "created",
        "replaced",
    ]
    assert committed[0].record_id == ra and committed[3].record_id == rb
    for record_id in (ra, rb, re):
        row = record_row(database, record_id)
        assert row is not None and row.holdings == holdings[record_id] + 1
    replaced = record_row(database, re)
    assert replaced is not None and replaced.title == "Kidung, a better record"
    assert replaced.revision == old_e.revision + 1
    with Session(engine) as session:
        history = session.exec(
            select(RecordHistory.position, RecordHistory.action, RecordHistory.actor)
            .where(col(RecordHistory.batch_id) == batch_id)
            .order_by(col(RecordHistory.position))
        ).all()
    assert [(p, a) for p, a, _ in history] == [
        (1, "merged"),
        (2, "imported"),
        (4, "merged"),
        (6, "imported"),
        (7, "replaced"),
    ]
    assert {actor for _, _, actor in history} == {"staff:cat"}
    new_record = record_row(database, committed[1].record_id or 0)
    assert new_record is not None and new_record.batch_id == batch_id, "its provenance"
    with pytest.raises(Problem) as late:
        staging.set_decisions(engine, STAFF, batch_id, [Decision(3, None, "create")])
    assert late.value.status == 409, "no decisions once committed"
    with pytest.raises(Problem) as twice:
        commit.begin(engine, STAFF, batch_id)
    assert twice.value.status == 409

    gone = undo_all(database, batch_id, size=2)
    assert (gone.state, gone.records) == ("undone", 5)
    assert catalogue(database) == before, "records, keys and copies as before the commit"
    restored = record_row(database, re)
    assert restored is not None and bytes(restored.marc) == bytes(old_e.marc)
    assert (restored.title, restored.revision) == (old_e.title, old_e.revision)
    assert record_row(database, committed[1].record_id or 0) is None
    assert [o.undone for o in outcomes(database, batch_id)] == [
        "taken_back",
        "removed",
        None,
        "taken_back",
        None,
        "removed",
        "restored",
    ]
    with pytest.raises(Problem) as again:
        undo.begin(engine, STAFF, batch_id)
    assert again.value.status == 409


def test_undo_keeps_a_record_a_later_batch_changed(database: Database, tmp_path: Path) -> None:
    isbn = unique_isbn()
    first = new_batch(database, write_file(tmp_path / "x.mrc", [record(1, "Babad", isbn)]))
    stage(database, first)
    commit_all(database, first)
    (made,) = outcomes(database, first)
    later = new_batch(database, write_file(tmp_path / "y.mrc", [record(1, "Babad", isbn)]))
    stage(database, later)
    (proposal,) = outcomes(database, later)
    assert (proposal.outcome, proposal.record_id) == ("merge", made.record_id)
    commit_all(database, later)

    undo_all(database, first)
    kept = batch(database, first)
    assert kept.state == "undone"
    assert kept.undo_kept is not None
    assert [(k["position"], k["record_id"]) for k in kept.undo_kept] == [(1, made.record_id)]
    assert later in kept.undo_kept[0]["reason"], "names the batch that changed it"
    row = record_row(database, made.record_id or 0)
    assert row is not None and row.holdings == 2, "left as it was"

    undo_all(database, later)
    row = record_row(database, made.record_id or 0)
    assert row is not None and row.holdings == 1, "the later batch's copy taken back"


def test_undoing_the_later_batch_first_lets_the_first_undo_remove_its_record(
    database: Database, tmp_path: Path
) -> None:
    isbn = unique_isbn()
    before = catalogue(database)
    first = new_batch(database, write_file(tmp_path / "p.mrc", [record(1, "Arjuna", isbn)]))
    stage(database, first)
    commit_all(database, first)
    later = new_batch(database, write_file(tmp_path / "q.mrc", [record(1, "Arjuna", isbn)]))
    stage(database, later)
    commit_all(database, later)
    undo_all(database, later)
    undo_all(database, first)
    assert catalogue(database) == before
    assert not batch(database, first).undo_kept


def test_rules_decide_for_every_record_they_match(database: Database, tmp_path: Path) -> None:
    a, b, c, d = (unique_isbn() for _ in range(4))
    seeded = _seeded(database, tmp_path, a, b, c, d)
    records = [
        record(1, "Again a", a, control=f"r1{a}"),
        record(2, "Again b", b, control=f"r2{b}"),
        record(3, "Both c and d", c, d, control=f"r3{c}"),
    ]
    batch_id = new_batch(database, write_file(tmp_path / "rules.mrc", records))
    stage(database, batch_id)
    assert [o.outcome for o in outcomes(database, batch_id)] == [
        "merge",
        "merge",
        "multi_match",
    ]
    changed = staging.set_decisions(
        database.engine,
        STAFF,
        batch_id,
        [Decision(None, "merge:isbn", "create"), Decision(None, "multi_match", "ignore")],
    )
    assert changed == 3
    assert commit.may_commit(batch(database, batch_id))
    before = catalogue(database)
    commit_all(database, batch_id)
    assert [o.applied for o in outcomes(database, batch_id)] == ["created", "created", "ignored"]
    assert catalogue(database).records == before.records + 2
    for record_id in seeded:
        row = record_row(database, record_id)
        assert row is not None and row.holdings == 1, "nothing merged into the seeds"


def test_a_dry_run_is_a_report_only(database: Database, tmp_path: Path) -> None:
    path = write_file(tmp_path / "dry.mrc", [record(1, "Dry", unique_isbn())])
    batch_id = new_batch(database, path, dry_run=True)
    stage(database, batch_id)
    assert batch(database, batch_id).state == imports.STAGED
    with pytest.raises(Problem) as refused:
        commit.begin(database.engine, STAFF, batch_id)
    assert refused.value.status == 409
    with pytest.raises(Problem) as decided:
        staging.set_decisions(database.engine, STAFF, batch_id, [Decision(1, None, "ignore")])
    assert decided.value.status == 409
