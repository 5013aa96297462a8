"""Committing a staged batch to the catalogue, one chunk of records per transaction.

Each chunk writes what its records' actions say (create a record, merge holdings, replace a
record, ignore), their history entries and the outcomes' ``applied``, and moves the batch's
``committed_through`` in the same transaction. A chunk that committed is never done again (a
retry finds ``committed_through`` moved and writes nothing); one that did not is done again
from the start; ``(batch, position)`` is unique in the records and the history, so nothing is
written twice even if two workers raced. Holdings keep the import's meaning: a new record has
one copy, each merge adds one, and so does a replace (it is a copy received too).

``start`` moves the batch to ``committing`` (refusing a wrong state, a dry run or unresolved
multi-matches with 409) and starts the commit workflow, which runs the chunks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from services.exchange.models import ImportOutcome, MarcBatch
from services.exchange.problems import Problem
from services.exchange.service import batch_states as bs
from services.exchange.service import catalogue_writes as writes
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.keys import Caller
from services.exchange.service.staging import require_cataloguer, unresolved, visible_batch
from services.exchange.storage import bulk
from services.exchange.storage.db import session_scope
from workflows.committing.types import COMMIT, CommitInput, CommitProgress

RECORDS = (bs.CREATED, bs.MERGED, bs.REPLACED)  # applied actions that put a record in


class BatchNotFound(LookupError):
    pass


# --- starting ------------------------------------------------------------------------------


def may_commit(batch: MarcBatch) -> bool:
    """Staged, or a commit that failed part-way (it goes on where it stopped)."""
    if batch.dry_run:
        return False
    if batch.state == bs.STAGED:
        return True
    return (
        batch.state == bs.FAILED
        and batch.commit_started_at is not None
        and (batch.undo_position is None)
    )


def begin(engine: Engine, caller: Caller, batch_id: str) -> tuple[str | None, str]:
    """Move the batch to ``committing``; its exchange and the state it was in."""
    with session_scope(engine) as session:
        visible_batch(session, caller, batch_id)
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        assert batch is not None
        if batch.dry_run:
            raise Problem(
                409, "batch-state", f"batch {batch_id} is a dry run: upload it again to commit"
            )
        if not may_commit(batch):
            raise Problem(
                409,
                "batch-state",
                f"cannot commit batch {batch_id}: it is {batch.state}, not staged",
                state=batch.state,
            )
        waiting = unresolved(session, batch_id)
        if waiting:
            shown = ", ".join(str(p) for p in waiting[:20]) + (", …" if len(waiting) > 20 else "")
            raise Problem(
                409,
                "unresolved-multi-matches",
                f"{len(waiting)} multi-matches are not resolved (records {shown}): pick one of "
                "each one's candidates, create a new record, or ignore it",
                unresolved=waiting,
            )
        previous = batch.state
        batch.state, batch.error = bs.COMMITTING, None
        batch.commit_started_at = batch.commit_started_at or datetime.now(UTC)
        batch.committed_by = caller.actor
        session.add(batch)
        return batch.exchange_id, previous


def _revert(engine: Engine, batch_id: str, previous: str) -> None:
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is not None and batch.state in (bs.COMMITTING, bs.UNDOING):
            batch.state = previous
            session.add(batch)


def commit_workflow_id(batch_id: str) -> str:
    return f"commit-{batch_id}"


def undo_workflow_id(batch_id: str) -> str:
    return f"undo-{batch_id}"


async def start_workflow(
    ctx: Context, kind: str, batch_id: str, inp: CommitInput, previous: str
) -> None:
    """Start the commit (or undo) workflow; if Temporal does not take it, the batch goes back
    to the state it was in and the caller gets 503."""
    # By name: the workflow module imports the activities, which import this module.
    run = "CommitWorkflow" if kind == COMMIT else "UndoWorkflow"
    workflow_id = commit_workflow_id(batch_id) if kind == COMMIT else undo_workflow_id(batch_id)
    try:
        await ctx.temporal.start_workflow(
            run,
            inp,
            id=workflow_id,
            task_queue=ctx.settings.task_queue,
            rpc_timeout=TEMPORAL_RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        return  # it runs already: it carries on with the batch
    except RPCError as exc:
        await asyncio.to_thread(_revert, ctx.engine, batch_id, previous)
        raise Problem(
            503, "workflow-unavailable", f"the {kind} could not be started: {exc.message}"
        ) from None


# A commit chunk copies staged rows inside the database, several times faster than a chunk is
# read and converted; larger chunks spend less of the commit on Temporal's round trips.
COMMIT_CHUNK_FACTOR = 5


def workflow_input(ctx: Context, caller: Caller, batch_id: str, exchange_id: str | None) -> Any:
    settings = ctx.settings
    return CommitInput(
        batch_id,
        actor=caller.actor,
        exchange_id=exchange_id,
        chunk_size=settings.import_chunk_size * COMMIT_CHUNK_FACTOR,
        heartbeat_seconds=settings.import_heartbeat_seconds,
        chunk_attempts=settings.import_chunk_attempts,
    )


async def start(ctx: Context, caller: Caller, batch_id: str) -> None:
    require_cataloguer(caller)
    exchange_id, previous = await asyncio.to_thread(begin, ctx.engine, caller, batch_id)
    inp = workflow_input(ctx, caller, batch_id, exchange_id)
    await start_workflow(ctx, COMMIT, batch_id, inp, previous)


# --- one chunk -----------------------------------------------------------------------------


@dataclass
class _Row:
    """One record of the chunk, without its MARC (only a replace reads that, ``staged``)."""

    id: int
    position: int
    proposed: str
    action: str | None
    target_record_id: int | None
    record_id: int | None
    has_marc: bool

    def effective(self) -> tuple[str | None, int | None]:
        """The action the commit takes for the record and the record it goes to."""
        if self.action is not None:
            return self.action, self.target_record_id
        action = bs.default_action(self.proposed)
        return action, self.record_id if action == bs.MERGE else None

    @property
    def creates(self) -> bool:
        return self.has_marc and self.effective()[0] == bs.CREATE


@dataclass
class _Chunk:
    """What one chunk writes besides its new records, gathered record by record."""

    batch: MarcBatch
    actor: str
    now: datetime
    partner_id: int | None
    targets: dict[int, writes.Target]
    staged: dict[int, ImportOutcome]  # the replacing records, in full
    history: list[dict[str, Any]]
    applied: list[dict[str, Any]]
    counts: dict[str, int]

    def entry(self, row: _Row, record_id: int, action: str, revision: int) -> dict[str, Any]:
        entry = {
            "record_id": record_id,
            "batch_id": self.batch.id,
            "position": row.position,
            "exchange_id": self.batch.exchange_id,
            "partner_id": self.partner_id,
            "action": action,
            "revision": revision,
            "holdings": 1,
            "at": self.now,
            "actor": self.actor,
            "previous_marc": None,
            "previous_keys": None,
        }
        self.history.append(entry)
        return entry

    def done(self, row: _Row, applied: str, record_id: int | None) -> None:
        self.counts[applied] = self.counts.get(applied, 0) + 1
        self.applied.append({"oid": row.id, "applied": applied, "rid": record_id})


def _apply(chunk: _Chunk, row: _Row) -> None:
    """A record that does not create one: merge, replace, ignore, or skip."""
    action, target_id = row.effective()
    if action is None or action == bs.IGNORE or not row.has_marc:
        chunk.done(row, bs.IGNORED if action == bs.IGNORE else bs.SKIPPED, None)
        return
    target = chunk.targets.get(target_id) if target_id is not None else None
    if target is None:  # gone since the decision (another batch's undo removed it)
        chunk.done(row, bs.SKIPPED, target_id)
        return
    target.holdings += 1
    target.revision += 1
    target.touched = True
    if action == bs.MERGE:
        chunk.entry(row, target.id, bs.HISTORY_MERGED, target.revision)
        chunk.done(row, bs.MERGED, target.id)
        return
    entry = chunk.entry(row, target.id, bs.HISTORY_REPLACED, target.revision)
    entry.update(previous_marc=target.marc, previous_keys=target.keys)
    staged = chunk.staged[row.id]
    target.marc, target.keys, target.replaced = staged.marc, list(staged.keys or []), True
    target.index = {c: getattr(staged, c) for c in writes.INDEX_COLUMNS}
    chunk.done(row, bs.REPLACED, target.id)


def _rows(session: Session, batch_id: str, first: int, last: int) -> list[_Row]:
    found = session.execute(
        core_select(
            col(ImportOutcome.id),
            col(ImportOutcome.position),
            col(ImportOutcome.outcome),
            col(ImportOutcome.action),
            col(ImportOutcome.target_record_id),
            col(ImportOutcome.record_id),
            col(ImportOutcome.marc).is_not(None),
        )
        .where(
            col(ImportOutcome.batch_id) == batch_id,
            col(ImportOutcome.position) >= first,
            col(ImportOutcome.position) <= last,
            col(ImportOutcome.applied).is_(None),
        )
        .order_by(col(ImportOutcome.position))
    )
    return [_Row(*values) for values in found]


def _staged(session: Session, ids: list[int]) -> dict[int, ImportOutcome]:
    if not ids:
        return {}
    rows = session.exec(select(ImportOutcome).where(col(ImportOutcome.id).in_(ids)))
    return {o.id or 0: o for o in rows}


def _set_applied(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        table = SQLModel.metadata.tables["import_outcome"]  # Core: an executemany, not the ORM's
        session.execute(
            update(table)
            .where(table.c.id == bindparam("oid"))
            .values(applied=bindparam("applied"), record_id=bindparam("rid")),
            rows,
        )


def progress(batch: MarcBatch) -> CommitProgress:
    counts = batch.commit_counts or {}
    return CommitProgress(
        next_position=batch.committed_through + 1,
        done=batch.state != bs.COMMITTING,
        processed=batch.committed_through,
        total=batch.total,
        records=sum(counts.get(a, 0) for a in RECORDS),
        state=batch.state,
        error=batch.error,
    )


def commit_chunk(
    engine: Engine,
    batch_id: str,
    start_position: int | None,
    size: int,
    actor: str,
    heartbeat: Callable[..., None] | None = None,
) -> CommitProgress:
    """Commit the records from ``start_position`` (None: where the batch stopped), at most
    ``size`` of them, in one transaction."""
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is None:
            raise BatchNotFound(f"MARC batch {batch_id} does not exist")
        first = batch.committed_through + 1
        if batch.state != bs.COMMITTING or (start_position is not None and start_position < first):
            return progress(batch)  # this chunk committed before; a retry changes nothing
        now = datetime.now(UTC)
        last = min(first + max(size, 1) - 1, batch.total)
        rows = _rows(session, batch_id, first, last)
        others = [row for row in rows if not row.creates]
        wanted = {t for row in others if (t := row.effective()[1]) is not None}
        replacing = [row for row in others if row.effective()[0] == bs.REPLACE]
        partner_id = writes.provenance_partner(session, batch)
        chunk = _Chunk(
            batch=batch,
            actor=actor,
            now=now,
            partner_id=partner_id,
            targets=writes.load_targets(
                session, wanted, {t for row in replacing if (t := row.effective()[1])}
            ),
            staged=_staged(session, [row.id for row in replacing]),
            history=[],
            applied=[],
            counts=dict(batch.commit_counts or {}),
        )
        for row in others:
            _apply(chunk, row)
        if heartbeat is not None:
            heartbeat(last)
        # New records straight from their staged rows, in SQL: no MARC passes through here.
        created = writes.create_staged(session, batch, first, last, now, actor, partner_id)
        if created:
            chunk.counts[bs.CREATED] = chunk.counts.get(bs.CREATED, 0) + created
        writes.save_targets(session, chunk.targets, now)
        writes.insert_history(session, chunk.history)
        _set_applied(session, chunk.applied)
        batch.committed_through = last
        batch.commit_counts = chunk.counts
        if last >= batch.total:
            batch.state, batch.committed_at = bs.COMMITTED, now
        session.add(batch)
        session.flush()
        return progress(batch)


def fail_batch(engine: Engine, batch_id: str, busy: str, reason: str) -> MarcBatch | None:
    """End a commit (or undo: ``busy`` is the state it works in) that could not go on
    ``failed``, with the reason; a batch no longer in ``busy`` stays as it is. Either may be
    started again and goes on where it stopped."""
    with session_scope(engine) as session:
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        if batch is not None and batch.state == busy:
            batch.state, batch.error = bs.FAILED, bulk.storable(reason)[:2000]
            session.add(batch)
            session.flush()
        return batch


def fail(engine: Engine, batch_id: str, reason: str) -> CommitProgress:
    batch = fail_batch(engine, batch_id, bs.COMMITTING, reason)
    if batch is None:
        return CommitProgress(1, True, 0, 0, error=f"MARC batch {batch_id} does not exist")
    return progress(batch)
