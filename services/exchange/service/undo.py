"""Undoing a committed batch, one chunk per transaction, from its last record back to its first.

Each record the commit wrote is taken back unless a later batch changed it since: a record
the batch created is removed, a merge's copy taken back, a replaced record's MARC and keys
restored from its history entry. "Changed since" is the record's ``revision``: every change a
batch makes bumps it and its history entry keeps the value, and an undo puts the value back;
so the undo of batch B finds the revision of B's own entry only if nobody changed the record
after B (or whoever did was undone first). Going backwards makes that hold also for two
changes of B to one record. A record changed since is kept, and the batch's ``undo_kept``
says which and why.

Each chunk moves ``undo_position`` (the lowest position undone) in its transaction, so a
retried chunk finds it moved and does nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pymarc
from sqlalchemy import Engine, bindparam, update
from sqlmodel import Session, SQLModel, col, select

import marc
from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch, RecordHistory
from services.exchange.problems import Problem
from services.exchange.service import batch_states as bs
from services.exchange.service import catalogue_writes as writes
from services.exchange.service import commit as committing
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.staging import require_cataloguer, visible_batch
from services.exchange.storage import bulk
from services.exchange.storage.db import session_scope
from workflows.committing.types import UNDO, CommitProgress

_CHANGES = (bs.HISTORY_IMPORTED, bs.HISTORY_MERGED, bs.HISTORY_REPLACED)
_UNDONE = {
    bs.HISTORY_IMPORTED: bs.REMOVED,
    bs.HISTORY_MERGED: bs.TAKEN_BACK,
    bs.HISTORY_REPLACED: bs.RESTORED,
}


def may_undo(batch: MarcBatch) -> bool:
    """Committed; or an undo, or a commit, that failed part-way (the undo takes back what the
    commit wrote so far)."""
    if batch.state == bs.COMMITTED:
        return True
    return batch.state == bs.FAILED and (
        batch.undo_position is not None or batch.committed_through > 0
    )


def begin(engine: Engine, caller: Caller, batch_id: str) -> tuple[str | None, str]:
    with session_scope(engine) as session:
        visible_batch(session, caller, batch_id)
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        assert batch is not None
        if not may_undo(batch):
            raise Problem(
                409,
                "batch-state",
                f"cannot undo batch {batch_id}: it is {batch.state}, not committed",
                state=batch.state,
            )
        previous = batch.state
        batch.state, batch.error = bs.UNDOING, None
        if batch.undo_position is None:
            batch.undo_position = batch.committed_through + 1
        batch.undone_by = caller.actor
        session.add(batch)
        return batch.exchange_id, previous


async def start(ctx: Context, caller: Caller, batch_id: str) -> None:
    require_cataloguer(caller)
    exchange_id, previous = await asyncio.to_thread(begin, ctx.engine, caller, batch_id)
    inp = committing.workflow_input(ctx, caller, batch_id, exchange_id)
    await committing.start_workflow(ctx, UNDO, batch_id, inp, previous)


def progress(batch: MarcBatch) -> CommitProgress:
    below = (batch.undo_position or batch.committed_through + 1) - 1  # still to undo
    return CommitProgress(
        next_position=below,
        done=batch.state != bs.UNDOING,
        processed=batch.committed_through - below,
        total=batch.committed_through,
        records=sum((batch.undo_counts or {}).get(u, 0) for u in _UNDONE.values()),
        state=batch.state,
        error=batch.error,
    )


def _why_kept(session: Session, entry: RecordHistory, record_id: int) -> str:
    later = session.exec(
        select(RecordHistory)
        .where(col(RecordHistory.record_id) == record_id, col(RecordHistory.id) > entry.id)
        .order_by(col(RecordHistory.id).desc())
        .limit(1)
    ).first()
    if later is None:
        return "the record was changed since"
    return f"batch {later.batch_id} {later.action} it since ({later.at:%Y-%m-%d %H:%M} UTC)"


def _restore(session: Session, record_id: int, entry: RecordHistory) -> None:
    """Put back a replaced record's MARC, index and keys as they were before the replace."""
    if entry.previous_marc is None:
        return
    data = bytes(entry.previous_marc)
    idx = marc.index_record(pymarc.Record(data=data, to_unicode=True, force_utf8=True))
    index = {c: getattr(idx, c) for c in writes.INDEX_COLUMNS}
    session.execute(
        update(CatalogueRecord)
        .where(col(CatalogueRecord.id) == record_id)
        .values(marc=data, **bulk.storable_value(index))
    )
    writes.replace_keys(session, record_id, list(entry.previous_keys or []))


def undo_chunk(
    engine: Engine,
    batch_id: str,
    start_position: int | None,
    size: int,
    actor: str,
    heartbeat: Callable[..., None] | None = None,
) -> CommitProgress:
    """Undo the records from ``start_position`` (None: where the undo stopped) down, at most
    ``size`` of them, in one transaction."""
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is None:
            raise committing.BatchNotFound(f"MARC batch {batch_id} does not exist")
        top = (batch.undo_position or batch.committed_through + 1) - 1
        if batch.state != bs.UNDOING or (start_position is not None and start_position > top):
            return progress(batch)  # this chunk committed before; a retry changes nothing
        now = datetime.now(UTC)
        bottom = max(top - max(size, 1) + 1, 1)
        entries = {
            h.position: h
            for h in session.exec(
                select(RecordHistory).where(
                    col(RecordHistory.batch_id) == batch_id,
                    col(RecordHistory.position) >= bottom,
                    col(RecordHistory.position) <= top,
                    col(RecordHistory.action).in_(_CHANGES),
                )
            )
        }
        targets = writes.load_targets(session, {h.record_id for h in entries.values()}, set())
        counts = dict(batch.undo_counts or {})
        kept: list[dict[str, Any]] = []
        undone: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        removed: list[int] = []
        outcome_ids = dict(
            session.exec(
                select(ImportOutcome.position, ImportOutcome.id).where(
                    col(ImportOutcome.batch_id) == batch_id,
                    col(ImportOutcome.position).in_(list(entries)),
                )
            ).all()
        )
        for position in sorted(entries, reverse=True):
            entry = entries[position]
            target = targets.get(entry.record_id)
            if target is None or target.revision != entry.revision:
                reason = (
                    "the record no longer exists"
                    if target is None
                    else _why_kept(session, entry, entry.record_id)
                )
                kept.append({"position": position, "record_id": entry.record_id, "reason": reason})
                result = bs.KEPT
            else:
                result = _UNDONE[entry.action]
                target.holdings -= entry.holdings
                target.revision = entry.revision - 1
                target.touched = result != bs.REMOVED
                if result == bs.REMOVED:
                    removed.append(target.id)
                elif result == bs.RESTORED:
                    _restore(session, target.id, entry)
                history.append(
                    {
                        "record_id": entry.record_id,
                        "batch_id": batch_id,
                        "position": position,
                        "exchange_id": entry.exchange_id,
                        "partner_id": entry.partner_id,
                        "action": bs.HISTORY_UNDONE,
                        "revision": target.revision,
                        "holdings": -entry.holdings,
                        "at": now,
                        "actor": actor,
                        "note": entry.action,
                    }
                )
            counts[result] = counts.get(result, 0) + 1
            if position in outcome_ids:
                undone.append({"oid": outcome_ids[position], "undone": result})
        if heartbeat is not None:
            heartbeat(bottom)
        writes.save_targets(session, targets, now)
        writes.delete_records(session, removed)
        writes.insert_history(session, history)
        if undone:
            table = SQLModel.metadata.tables["import_outcome"]  # Core: an executemany
            session.execute(
                update(table)
                .where(table.c.id == bindparam("oid"))
                .values(undone=bindparam("undone")),
                undone,
            )
        batch.undo_counts = counts
        if kept:
            batch.undo_kept = [*(batch.undo_kept or []), *bulk.storable_value(kept)]
        batch.undo_position = bottom
        if bottom <= 1:
            batch.state, batch.undone_at = bs.UNDONE, now
        session.add(batch)
        session.flush()
        return progress(batch)


def fail(engine: Engine, batch_id: str, reason: str) -> CommitProgress:
    batch = committing.fail_batch(engine, batch_id, bs.UNDOING, reason)
    if batch is None:
        return CommitProgress(0, True, 0, 0, error=f"MARC batch {batch_id} does not exist")
    return progress(batch)
