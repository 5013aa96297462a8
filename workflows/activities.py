"""Activities of the exchange workflow: everything that touches the database or files.

Each is idempotent. ``record_step`` is keyed by the workflow's step number; ``import_marc_batch``
replaces the batch's records in one transaction, so a retry never leaves two copies.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import imports, projection
from services.exchange.service.fund import FundError
from workflows.shared import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ImportBatchInput,
    ImportBatchResult,
    NoticeInput,
    NoticeRecorded,
    RevisionRecord,
    RevisionResult,
    StepRecord,
    StepRecorded,
)


class ExchangeActivities:
    """Activities bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="record_step")
    def record_step(self, record: StepRecord) -> StepRecorded:
        written = projection.apply_step(self._engine, record)
        return StepRecorded(seq=record.seq, written=written)

    @activity.defn(name="revise_lines")
    def revise_lines(self, record: RevisionRecord) -> RevisionResult:
        try:
            return RevisionResult(lines=projection.apply_revision(self._engine, record))
        except FundError as exc:
            kind = (
                ERR_INSUFFICIENT_COPIES
                if exc.kind == "insufficient-copies"
                else ERR_INVALID_REQUEST
            )
            raise ApplicationError(str(exc), type=kind, non_retryable=True) from None

    @activity.defn(name="notify")
    def notify(self, notice: NoticeInput) -> NoticeRecorded:
        """Record the notice in the exchange's history; partner webhooks will hang off this."""
        return NoticeRecorded(
            seq=notice.seq, written=projection.record_notice(self._engine, notice)
        )

    @activity.defn(name="import_marc_batch")
    def import_marc_batch(self, inp: ImportBatchInput) -> ImportBatchResult:
        return imports.import_batch(self._engine, inp.batch_id, heartbeat=activity.heartbeat)
