"""A staged batch: what its records would do to the catalogue, and the cataloguer's decisions.

An upload is staged first (``imports.import_chunk``): every record is read, converted, checked
and matched, and its proposed action is kept with its converted MARC 21 record, but the
catalogue does not change. A cataloguer reviews the proposals, changes them per record or per
rule (``set_decisions``), then commits the batch (``commit``, a workflow of its own in
chunks, see ``service/commit.py``) and may undo it later (``undo``, ``service/undo.py``).

This module is the interface the batch report and the review pages code against; pages and
the API report its ``Problem`` errors alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymarc
from sqlalchemy import Engine, func, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from services.exchange.models import CatalogueRecord, ImportOutcome, MarcBatch
from services.exchange.problems import Problem, not_found
from services.exchange.service import batch_states as bs
from services.exchange.service.access import visible
from services.exchange.service.context import Context
from services.exchange.service.keys import ADMIN, CATALOGUER, Caller
from services.exchange.storage.db import session_scope

ACTIONS = bs.ACTIONS  # what a cataloguer may choose: create, merge, replace, ignore
PROPOSED = bs.PROPOSED  # what staging proposes: create, merge, multi_match, duplicate, rejected
MAX_DECISIONS = 10_000
MAX_LIMIT = 1_000


@dataclass
class StagedRecord:
    """One record of a staged batch, for the report and the review page."""

    position: int
    title: str | None
    proposed: str  # create | merge | multi_match | duplicate | rejected
    action: str | None  # the cataloguer's decision; None: the proposed one
    target_record_id: int | None  # the record to merge into / replace
    candidates: list[int]
    reason: str | None
    match_points: list[str]  # e.g. ["isbn"], ["ctl"]
    applied: str | None = None  # after the commit: created, merged, replaced, ignored, skipped
    record_id: int | None = None  # the proposed merge's record, or the one the commit wrote
    undone: str | None = None  # after an undo: removed, taken_back, restored, kept
    line_id: str | None = None
    flags: list[str] | None = None

    @property
    def effective_action(self) -> str | None:
        """What the commit will do: the decision, else the proposal (None: undecided)."""
        return self.action or bs.default_action(self.proposed)


@dataclass
class Decision:
    """Per record (``position``) or per rule: a proposed action (``merge``), a match point
    (``isbn``) or both (``merge:isbn``, every merge decided by an ISBN)."""

    position: int | None
    rule: str | None
    action: str
    target_record_id: int | None = None


# --- who and which batch -------------------------------------------------------------------


def visible_batch(session: Session, caller: Caller, batch_id: str) -> MarcBatch:
    """The batch, if the caller may see it: staff any; a partner those of its exchanges."""
    batch = session.get(MarcBatch, batch_id)
    if batch is None:
        raise not_found(f"MARC batch {batch_id}")
    if batch.exchange_id is None:
        if not caller.is_staff:
            raise not_found(f"MARC batch {batch_id}")
    else:
        try:
            visible(session, caller, batch.exchange_id)
        except Problem:
            raise not_found(f"MARC batch {batch_id}") from None
    return batch


def require_cataloguer(caller: Caller) -> None:
    """Deciding, committing and undoing are a staff cataloguer's (or an admin's)."""
    if not caller.is_staff:
        raise Problem(403, "staff-only", "this action needs a staff key")
    if caller.role not in (CATALOGUER, ADMIN):
        raise Problem(403, "role-required", "this action needs the admin or cataloguer role")


def require_state(batch: MarcBatch, *states: str, doing: str) -> None:
    if batch.state not in states:
        raise Problem(
            409,
            "batch-state",
            f"cannot {doing} batch {batch.id}: it is {batch.state}, not {' or '.join(states)}",
            state=batch.state,
        )


# --- reading -------------------------------------------------------------------------------


def _staged(o: ImportOutcome) -> StagedRecord:
    return StagedRecord(
        position=o.position,
        title=o.title,
        proposed=o.outcome,
        action=o.action,
        target_record_id=o.target_record_id,
        candidates=list(o.candidates or []),
        reason=o.reason,
        match_points=list(o.match_points or []),
        applied=o.applied,
        record_id=o.record_id,
        undone=o.undone,
        line_id=o.line_id,
        flags=o.flags,
    )


def staged_records(
    engine: Engine,
    caller: Caller,
    batch_id: str,
    *,
    proposed: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[StagedRecord]]:
    """How many records (of one proposed action, if given) and one page of them by position."""
    if proposed is not None and proposed not in PROPOSED:
        raise Problem(
            422, "validation-error", f"proposed: {proposed!r} is not one of {', '.join(PROPOSED)}"
        )
    limit = min(max(limit, 1), MAX_LIMIT)
    with Session(engine) as session:
        visible_batch(session, caller, batch_id)
        condition = [col(ImportOutcome.batch_id) == batch_id]
        if proposed is not None:
            condition.append(col(ImportOutcome.outcome) == proposed)
        total = session.exec(select(func.count()).where(*condition)).one()
        rows = session.exec(
            select(ImportOutcome)
            .where(*condition)
            .order_by(col(ImportOutcome.position))
            .offset(max(offset, 0))
            .limit(limit)
        ).all()
        return total, [_staged(o) for o in rows]


def staged_marc(engine: Engine, caller: Caller, batch_id: str, position: int) -> pymarc.Record:
    """The record as staging converted it (MARC 21); 404 for a rejected one (none exists)."""
    with Session(engine) as session:
        visible_batch(session, caller, batch_id)
        data = session.exec(
            select(ImportOutcome.marc).where(
                col(ImportOutcome.batch_id) == batch_id, col(ImportOutcome.position) == position
            )
        ).first()
    if not data:
        raise not_found(f"record {position} of MARC batch {batch_id}")
    return pymarc.Record(data=bytes(data), to_unicode=True, force_utf8=True)


def unresolved(session: Session, batch_id: str, limit: int = 1_000) -> list[int]:
    """Positions of multi-matches nobody decided on yet: the commit waits for them."""
    return list(
        session.exec(
            select(ImportOutcome.position)
            .where(
                col(ImportOutcome.batch_id) == batch_id,
                col(ImportOutcome.outcome) == bs.MULTI_MATCH,
                col(ImportOutcome.action).is_(None),
            )
            .order_by(col(ImportOutcome.position))
            .limit(limit)
        )
    )


# --- decisions -----------------------------------------------------------------------------


def _parse_rule(rule: str) -> tuple[str | None, str | None]:
    """``merge`` → (merge, None); ``isbn`` → (None, isbn); ``merge:isbn`` → (merge, isbn)."""
    head, _, tail = rule.strip().partition(":")
    if tail:
        if head not in PROPOSED:
            raise Problem(
                422, "validation-error", f"rule: {head!r} is not one of {', '.join(PROPOSED)}"
            )
        return head, tail.strip()
    return (head, None) if head in PROPOSED else (None, head)


def _check(d: Decision) -> None:
    if d.action not in ACTIONS:
        raise Problem(
            422, "validation-error", f"action: {d.action!r} is not one of {', '.join(ACTIONS)}"
        )
    if (d.position is None) == (d.rule is None or not d.rule.strip()):
        raise Problem(422, "validation-error", "each decision names a position or a rule")
    if d.rule is not None and d.target_record_id is not None:
        raise Problem(
            422,
            "validation-error",
            "a rule decision takes no target_record_id (each record keeps its own match)",
        )


@dataclass
class _Row:
    """The few columns of a record that a decision needs (never its MARC)."""

    id: int
    position: int
    proposed: str
    record_id: int | None
    match_points: list[str]


def _target(row: _Row, d: Decision) -> int | None:
    """The record a merge or replace goes to: the decision's, else the proposed match's."""
    if d.action not in (bs.MERGE, bs.REPLACE):
        return None
    if d.target_record_id is not None:
        return d.target_record_id
    return row.record_id if row.proposed == bs.MERGE else None


def _decided(row: _Row, d: Decision, existing: set[int]) -> tuple[str, int | None] | None:
    """The decision for one record, or None if a rule does not apply to it (a rejected record
    can only be ignored; a rule merges only records that have a match of their own)."""
    if row.proposed == bs.REJECTED and d.action != bs.IGNORE:
        if d.rule is not None:
            return None
        raise Problem(
            422, "validation-error", f"record {row.position} was rejected: it can only be ignored"
        )
    target = _target(row, d)
    if d.action in (bs.MERGE, bs.REPLACE):
        if target is None:
            if d.rule is not None:
                return None
            raise Problem(
                422,
                "validation-error",
                f"record {row.position}: {d.action} needs target_record_id (one of its "
                "candidates, or any catalogue record)",
            )
        if target not in existing:
            raise Problem(
                422,
                "validation-error",
                f"record {row.position}: catalogue record {target} does not exist",
            )
    return d.action, target


def _existing(session: Session, ids: set[int]) -> set[int]:
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(col(CatalogueRecord.id)).where(
                col(CatalogueRecord.id).in_(wanted[start : start + 500])
            )
        )
        found |= {row[0] for row in rows}
    return found


def _rows(session: Session, batch_id: str, decisions: list[Decision]) -> dict[int, _Row]:
    """The records the decisions name (all of them, when a rule is among them)."""
    query = core_select(
        col(ImportOutcome.id),
        col(ImportOutcome.position),
        col(ImportOutcome.outcome),
        col(ImportOutcome.record_id),
        col(ImportOutcome.match_points),
    ).where(col(ImportOutcome.batch_id) == batch_id)
    if all(d.position is not None for d in decisions):
        query = query.where(col(ImportOutcome.position).in_({d.position for d in decisions}))
    return {
        position: _Row(id_ or 0, position, proposed, record_id, list(points or []))
        for id_, position, proposed, record_id, points in session.execute(query)
    }


def set_decisions(engine: Engine, caller: Caller, batch_id: str, decisions: list[Decision]) -> int:
    """Apply the decisions in their order (a later one wins); refused unless the batch is
    ``staged``. Returns how many records' decisions were set."""
    require_cataloguer(caller)
    if len(decisions) > MAX_DECISIONS:
        raise Problem(422, "validation-error", f"at most {MAX_DECISIONS} decisions at once")
    for d in decisions:
        _check(d)
    with session_scope(engine) as session:
        visible_batch(session, caller, batch_id)
        batch = session.get(MarcBatch, batch_id, with_for_update=True)
        assert batch is not None
        require_state(batch, bs.STAGED, doing="decide on")
        if batch.dry_run:
            raise Problem(409, "batch-state", f"batch {batch_id} is a dry run: only a report")
        if not decisions:
            return 0
        rows = _rows(session, batch_id, decisions)
        targets = {d.target_record_id for d in decisions if d.target_record_id is not None}
        targets |= {r.record_id for r in rows.values() if r.record_id is not None}
        existing = _existing(session, targets)
        chosen: dict[int, tuple[str, int | None]] = {}  # outcome id → (action, target)
        for d in decisions:
            if d.position is not None:
                row = rows.get(d.position)
                if row is None:
                    raise not_found(f"record {d.position} of MARC batch {batch_id}")
                matching = [row]
            else:
                proposed, point = _parse_rule(d.rule or "")
                matching = [
                    r
                    for r in rows.values()
                    if (proposed is None or r.proposed == proposed)
                    and (point is None or point in r.match_points)
                ]
            for row in matching:
                decided = _decided(row, d, existing)
                if decided is not None:
                    chosen[row.id] = decided
        _write(session, chosen)
        return len(chosen)


def _write(session: Session, chosen: dict[int, tuple[str, int | None]]) -> None:
    """One UPDATE per distinct decision, for up to 500 records at a time."""
    by_value: dict[tuple[str, int | None], list[int]] = {}
    for outcome_id, value in chosen.items():
        by_value.setdefault(value, []).append(outcome_id)
    for (action, target), ids in by_value.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(ImportOutcome)
                .where(col(ImportOutcome.id).in_(ids[start : start + 500]))
                .values(action=action, target_record_id=target)
            )


def clear_decisions(engine: Engine, caller: Caller, batch_id: str) -> None:
    """Back to the proposals (the review page's reset)."""
    require_cataloguer(caller)
    with session_scope(engine) as session:
        batch = visible_batch(session, caller, batch_id)
        require_state(batch, bs.STAGED, doing="decide on")
        session.execute(
            update(ImportOutcome)
            .where(col(ImportOutcome.batch_id) == batch_id)
            .values(action=None, target_record_id=None)
        )


# --- commit and undo -----------------------------------------------------------------------


async def commit(ctx: Context, caller: Caller, batch_id: str) -> None:
    """Start the commit workflow (202): refused unless staged, and while a multi-match is
    unresolved (409 listing the positions)."""
    from services.exchange.service.commit import start  # it builds on this module

    await start(ctx, caller, batch_id)


async def undo(ctx: Context, caller: Caller, batch_id: str) -> None:
    """Start the undo of a committed batch (202)."""
    from services.exchange.service.undo import start  # it builds on this module

    await start(ctx, caller, batch_id)
