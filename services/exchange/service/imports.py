"""Staging a stored MARC file, one chunk of records at a time: nothing reaches the catalogue.

Each record is read and converted to MARC 21 with ``marc/``, checked (errors are kept in its
outcome's flags, for the cataloguer; they do not stop the import), matched, then staged: its
outcome keeps the proposed action (create, merge, multi_match, duplicate, rejected), the
reason and the match points, with the converted record and its index. The commit
(``service/commit.py``) writes the catalogue later, as the cataloguer decided.

Each chunk is one transaction that also moves the batch's progress (records done, byte
offset of the next record). A chunk retried after a crash finds its progress already moved
and writes nothing twice; a chunk that never committed is simply done again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

import marc
from services.exchange.models import (
    BatchKey,
    ExchangeLine,
    ImportOutcome,
    MarcBatch,
    RecordKey,
)
from services.exchange.service import batch_states as bs
from services.exchange.service import matching
from services.exchange.service.import_sources import Source, source_of, text_encoding
from services.exchange.storage import bulk
from services.exchange.storage.db import session_scope
from workflows.importing.types import ChunkProgress

STAGING = bs.STAGING
STAGED = bs.STAGED
FAILED = bs.FAILED
# Kept for old callers: a batch of the old scheme was "running", then "completed".
RUNNING = STAGING
COMPLETED = STAGED

CREATE = bs.CREATE
MERGE = bs.MERGE
MULTI_MATCH = bs.MULTI_MATCH
DUPLICATE = bs.DUPLICATE
REJECTED = bs.REJECTED
# What a commit did to the catalogue (``ImportOutcome.applied``).
CREATED = bs.CREATED
MERGED = bs.MERGED
# Proposed actions that bring a record into the catalogue, or may (a multi-match).
IMPORTED = frozenset({CREATE, MERGE})

CHUNK_SIZE = 1_000


class BatchNotFound(LookupError):
    pass


@dataclass
class _Prepared:
    position: int
    offset: int
    keys: list[str] = field(default_factory=list)
    data: bytes | None = None
    index: marc.RecordIndex | None = None
    flags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    reason: str | None = None
    raw: bytes | None = None


def _prepare(item: marc.ReadRecord | marc.RejectedRecord, source: Source) -> _Prepared:
    """The record as MARC 21, converted as its source says (the partner's ISIL for 035,
    RUSMARC local fields, the heading form), checked, indexed and keyed (a 001 without 003
    keyed with the source's control agency); or why it was rejected."""
    if isinstance(item, marc.RejectedRecord):
        return _Prepared(item.index, item.offset, reason=item.reason, raw=item.raw)
    try:
        record = marc.to_marc21_record(
            item.record,
            item.dialect,
            source_isil=source.isil,
            source_format=source.source_format,
            heading_form=source.heading_form,
        )
        data = marc.to_marc21(record)
        problems = tuple(
            f"check {f.tag}: {f.message}"
            for f in marc.check_record(record)
            if f.severity == "error"
        )
        index = marc.index_record(record)
        return _Prepared(
            item.index,
            item.offset,
            keys=matching.record_keys(record, source.control_agency, index),
            data=data,
            index=index,
            flags=tuple(item.flags),
            problems=problems,
        )
    except Exception as exc:  # one record that cannot be written must not stop the batch
        return _Prepared(
            item.index, item.offset, reason=f"cannot be written as MARC 21: {exc}", raw=None
        )


def _read_chunk(
    batch: MarcBatch, start_index: int, start_offset: int, size: int
) -> tuple[list[marc.ReadRecord | marc.RejectedRecord], int, int, bool]:
    """Up to ``size`` records from the resume point, and where the next chunk starts.

    Each chunk reads afresh, so each is told the batch's character set.
    """
    resume = marc.ResumePoint(start_index, start_offset) if start_index > 1 else None
    items: list[marc.ReadRecord | marc.RejectedRecord] = []
    encoding = text_encoding(batch.encoding)
    reader = marc.read_records(batch.stored_path, encoding=encoding, resume=resume)
    for item in reader:
        if len(items) == size:
            return items, item.index, item.offset, False
        items.append(item)
    return items, start_index + len(items), start_offset, True


def import_chunk(
    engine: Engine,
    batch_id: str,
    start_index: int,
    start_offset: int,
    size: int = CHUNK_SIZE,
    heartbeat: Callable[..., None] | None = None,
) -> ChunkProgress:
    with Session(engine) as session:
        batch = session.get(MarcBatch, batch_id)
        if batch is None:
            raise BatchNotFound(f"MARC batch {batch_id} does not exist")
        if batch.processed >= start_index or batch.state != STAGING:
            return _progress(batch)  # this chunk committed before; a retry changes nothing
        source = source_of(session, batch)
        targets = _line_targets(session, batch.exchange_id)
    try:
        items, next_index, next_offset, done = _read_chunk(batch, start_index, start_offset, size)
    except marc.MarcFormatError as exc:
        return fail_batch(
            engine, batch_id, f"reading stopped after record {start_index - 1}: {exc}"
        )
    except OSError as exc:
        return fail_batch(
            engine, batch_id, f"the stored file cannot be read: {exc.strerror or exc}"
        )
    prepared = [_prepare(item, source) for item in items]
    if heartbeat is not None:
        heartbeat(start_index + len(items))
    return _store(engine, batch_id, start_index, prepared, targets, next_index, next_offset, done)


def _line_targets(session: Session, exchange_id: str | None) -> list[matching.LineTarget]:
    if exchange_id is None:
        return []
    lines = session.exec(select(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange_id))
    return [matching.LineTarget.of(line) for line in lines]


def _store(
    engine: Engine,
    batch_id: str,
    start_index: int,
    prepared: list[_Prepared],
    targets: list[matching.LineTarget],
    next_index: int,
    next_offset: int,
    done: bool,
) -> ChunkProgress:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        assert batch is not None
        if batch.processed >= start_index:
            return _progress(batch)  # a concurrent retry got here first
        all_keys = sorted({key for p in prepared for key in p.keys})
        in_catalogue = _catalogue_candidates(session, all_keys)
        seen = _seen_in_batch(session, batch_id, all_keys)
        outcomes: list[dict[str, Any]] = []
        batch_keys: list[dict[str, Any]] = []
        counts = dict.fromkeys(
            ("created", "merged", "multi_matches", "duplicates", "rejected", "suspects"), 0
        )
        for p in prepared:
            outcome = _staged_outcome(batch_id, p)
            outcomes.append(outcome)
            if p.flags:
                counts["suspects"] += 1
            if p.data is None or p.index is None:
                outcome.update(outcome=REJECTED, reason=p.reason, raw=p.raw)
                counts["rejected"] += 1
                continue
            identity = matching.identity_keys(p.keys)  # review keys make no duplicates
            earlier = next((seen[k] for k in identity if k in seen), None)
            if earlier is not None:
                outcome.update(
                    outcome=DUPLICATE,
                    reason=f"the same publication as record {earlier} of this file",
                    match_points=_points([k for k in identity if seen.get(k) == earlier]),
                )
                counts["duplicates"] += 1
                continue
            for key in identity:
                seen[key] = p.position
                batch_keys.append({"batch_id": batch_id, "key": key, "position": p.position})
            if targets:
                outcome["line_id"] = matching.match_line(targets, p.keys, p.index)
            found = matching.match_catalogue(p.keys, in_catalogue)
            outcome["match_points"] = found.points or None
            if found.proposed == MULTI_MATCH:
                outcome.update(
                    outcome=MULTI_MATCH, candidates=found.candidates, reason=found.reason
                )
                counts["multi_matches"] += 1
            elif found.proposed == MERGE:
                outcome.update(outcome=MERGE, record_id=found.candidates[0], reason=found.reason)
                counts["merged"] += 1
            else:
                outcome["outcome"] = CREATE
                counts["created"] += 1
        for outcome in outcomes:
            for column in _OUTCOME_DEFAULTS:
                outcome.setdefault(column, None)
        bulk.insert_rows(session, ImportOutcome, outcomes)
        bulk.insert_rows(session, BatchKey, batch_keys)
        batch.processed = next_index - 1
        batch.next_offset = next_offset
        batch.total = batch.processed
        batch.created += counts["created"]
        batch.merged += counts["merged"]
        batch.multi_matches += counts["multi_matches"]
        batch.duplicates += counts["duplicates"]
        batch.encoding_suspects += counts["suspects"]
        batch.imported = batch.created + batch.merged
        if counts["rejected"]:
            batch.rejected = [
                *(batch.rejected or []),
                *(
                    {
                        "index": o["position"],
                        "offset": p.offset,
                        "reason": bulk.storable_value(o["reason"]),
                    }
                    for o, p in zip(outcomes, prepared, strict=True)
                    if o["outcome"] == REJECTED
                ),
            ]
        if done:
            batch.state = STAGED
            batch.finished_at = now
        session.add(batch)
        session.flush()
        return _progress(batch)


_OUTCOME_DEFAULTS = (
    "outcome",
    "record_id",
    "line_id",
    "reason",
    "candidates",
    "raw",
    "match_points",
)


def _staged_outcome(batch_id: str, p: _Prepared) -> dict[str, Any]:
    """The outcome row of one record, with what the commit needs: its converted MARC 21, its
    index and its keys, so that the commit never reads or converts the file again."""
    idx = p.index
    return {
        "batch_id": batch_id,
        "position": p.position,
        "title": idx.title if idx else None,
        "flags": [*p.flags, *p.problems] or None,
        "marc": p.data,
        "keys": p.keys or None,
        "control_number": idx.control_number if idx else None,
        "isbn": idx.isbn if idx else None,
        "issn": idx.issn if idx else None,
        "author": idx.author if idx else None,
        "year": idx.year if idx else None,
    }


def _points(keys: list[str]) -> list[str] | None:
    return list(dict.fromkeys(matching.point_of(k) for k in keys)) or None


def _catalogue_candidates(session: Session, keys: list[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    if bulk.is_postgresql(session):  # one array parameter: no statement of 500 to plan
        matched = session.execute(
            text("SELECT key, record_id FROM record_key WHERE key = ANY(:keys)"), {"keys": keys}
        )
        for key, record_id in matched:
            found.setdefault(key, set()).add(record_id)
        return found
    for start in range(0, len(keys), 500):
        rows = session.exec(
            select(RecordKey.key, RecordKey.record_id).where(
                col(RecordKey.key).in_(keys[start : start + 500])
            )
        )
        for key, record_id in rows:
            found.setdefault(key, set()).add(record_id)
    return found


def _seen_in_batch(session: Session, batch_id: str, keys: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    if bulk.is_postgresql(session):
        earlier = session.execute(
            text("SELECT key, position FROM batch_key WHERE batch_id = :b AND key = ANY(:keys)"),
            {"b": batch_id, "keys": keys},
        )
        return {key: position for key, position in earlier}
    for start in range(0, len(keys), 500):
        rows = session.exec(
            select(BatchKey.key, BatchKey.position).where(
                col(BatchKey.batch_id) == batch_id,
                col(BatchKey.key).in_(keys[start : start + 500]),
            )
        )
        for key, position in rows:
            seen[key] = position
    return seen


def _progress(batch: MarcBatch) -> ChunkProgress:
    return ChunkProgress(
        next_index=batch.processed + 1,
        next_offset=batch.next_offset,
        done=batch.state != STAGING,
        processed=batch.processed,
        imported=batch.imported,
        rejected=len(batch.rejected or []),
        error=batch.error,
    )


def fail_batch(engine: Engine, batch_id: str, error: str) -> ChunkProgress:
    """End a running batch as failed, with the reason for the report; a batch that has ended
    already stays as it ended, so a retry, or a second caller, changes nothing."""
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is None:
            return ChunkProgress(1, 0, True, 0, 0, 0, error=f"MARC batch {batch_id} does not exist")
        if batch.state == STAGING:
            batch.state, batch.finished_at = FAILED, datetime.now(UTC)
            batch.error = bulk.storable(error)
            session.add(batch)
            session.flush()
        return _progress(batch)


def import_whole(
    engine: Engine, batch_id: str, heartbeat: Callable[..., None] | None = None
) -> ChunkProgress:
    """All chunks in one call: what exchanges started before import workflows existed use."""
    with Session(engine) as session:
        batch = session.get(MarcBatch, batch_id)
        if batch is None:
            raise BatchNotFound(f"MARC batch {batch_id} does not exist")
        chunk = _progress(batch)
    while not chunk.done:
        chunk = import_chunk(
            engine, batch_id, chunk.next_index, chunk.next_offset, heartbeat=heartbeat
        )
    return chunk
