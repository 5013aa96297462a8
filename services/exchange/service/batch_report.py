"""A batch's report for the API and the pages: state, progress, what staging proposes, and,
once they have started, what its commit wrote and its undo took back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, ExchangeLine, ImportOutcome, MarcBatch
from services.exchange.schemas.marc import (
    BatchCommit,
    BatchCounts,
    BatchOut,
    BatchProgress,
    BatchUndo,
    CommitCounts,
    KeptOut,
    RejectedOut,
    UndoCounts,
)
from services.exchange.service import batch_states as bs
from services.exchange.service.keys import Caller
from services.exchange.service.staging import visible_batch

# Proposals that bring a record into the catalogue, or may: a record matched to no line.
_LINE_RELEVANT = (bs.CREATE, bs.MERGE, bs.MULTI_MATCH)


def progress(batch: MarcBatch) -> BatchProgress:
    """Staging's progress: records read, rate, time left."""
    end = batch.finished_at if batch.finished_at else datetime.now(UTC)
    seconds = max((end - batch.created_at).total_seconds(), 1e-3)
    rate = batch.processed / seconds if batch.processed else None
    eta = None
    if rate and batch.state == bs.STAGING and batch.expected_total:
        eta = max(batch.expected_total - batch.processed, 0) / rate
    return BatchProgress(
        processed=batch.processed,
        expected_total=batch.expected_total,
        records_per_second=round(rate, 1) if rate else None,
        eta_seconds=round(eta, 1) if eta is not None else None,
    )


def _commit(batch: MarcBatch) -> BatchCommit | None:
    if batch.commit_started_at is None and batch.committed_at is None:
        return None
    return BatchCommit(
        committed_through=batch.committed_through,
        total=batch.total,
        counts=CommitCounts.model_validate(batch.commit_counts or {}),
        started_at=batch.commit_started_at,
        committed_at=batch.committed_at,
        committed_by=batch.committed_by,
    )


def _undo(batch: MarcBatch) -> BatchUndo | None:
    if batch.undo_position is None:
        return None
    return BatchUndo(
        undone=batch.committed_through - (batch.undo_position - 1),
        total=batch.committed_through,
        counts=UndoCounts.model_validate(batch.undo_counts or {}),
        kept=[KeptOut.model_validate(k) for k in batch.undo_kept or []],
        undone_at=batch.undone_at,
        undone_by=batch.undone_by,
    )


def _lines(session: Session, batch: MarcBatch) -> tuple[list[str] | None, int | None]:
    """For an exchange's batch: the lines no record matched, the records matching no line."""
    if batch.exchange_id is None or batch.state == bs.STAGING:
        return None, None
    matched = set(
        session.exec(
            select(ImportOutcome.line_id).where(
                col(ImportOutcome.batch_id) == batch.id,
                col(ImportOutcome.line_id).is_not(None),
            )
        )
    )
    lines = session.exec(
        select(ExchangeLine.id)
        .where(col(ExchangeLine.exchange_id) == batch.exchange_id)
        .order_by(col(ExchangeLine.position))
    ).all()
    without_line = session.exec(
        select(func.count()).where(
            col(ImportOutcome.batch_id) == batch.id,
            col(ImportOutcome.line_id).is_(None),
            col(ImportOutcome.outcome).in_(_LINE_RELEVANT),
        )
    ).one()
    return [line for line in lines if line not in matched], without_line


def _unresolved(session: Session, batch: MarcBatch) -> int:
    if batch.state != bs.STAGED or not batch.multi_matches:
        return 0
    return session.exec(
        select(func.count()).where(
            col(ImportOutcome.batch_id) == batch.id,
            col(ImportOutcome.outcome) == bs.MULTI_MATCH,
            col(ImportOutcome.action).is_(None),
        )
    ).one()


def _number(session: Session, exchange_id: str | None) -> str | None:
    exchange = session.get(Exchange, exchange_id) if exchange_id is not None else None
    return exchange.number if exchange is not None else None


def batch_view(engine: Engine, caller: Caller, batch_id: str) -> BatchOut:
    with Session(engine) as session:
        batch = visible_batch(session, caller, batch_id)
        without_record, without_line = _lines(session, batch)
        return BatchOut(
            id=batch.id,
            exchange_id=batch.exchange_id,
            exchange_number=_number(session, batch.exchange_id),
            state=batch.state,  # type: ignore[arg-type]  # one of bs.STATES
            dry_run=batch.dry_run,
            filename=batch.filename,
            format=batch.format,
            encoding=batch.encoding,  # type: ignore[arg-type]  # stored only when valid
            total=batch.total,
            imported=batch.imported,
            rejected=[RejectedOut.model_validate(r) for r in batch.rejected or []],
            error=batch.error,
            created_at=batch.created_at,
            finished_at=batch.finished_at,
            counts=BatchCounts(
                created=batch.created,
                merged=batch.merged,
                multi_matches=batch.multi_matches,
                duplicates=batch.duplicates,
                rejected=len(batch.rejected or []),
                encoding_suspects=batch.encoding_suspects,
            ),
            progress=progress(batch),
            records_without_line=without_line,
            lines_without_record=without_record,
            unresolved=_unresolved(session, batch),
            commit=_commit(batch),
            undo=_undo(batch),
        )
