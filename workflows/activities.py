"""Activities of the exchange workflow: everything that touches the database or files.

Each is idempotent. ``record_step`` and ``notify`` are keyed by the workflow's step number;
``import_marc_batch`` replaces the batch's records in one transaction, so a retry never leaves
two copies; ``deliver_webhook`` sends nothing once an attempt for the notice has succeeded.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import imports, projection, webhooks
from services.exchange.service.fund import FundError
from services.exchange.settings import Settings
from workflows.shared import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ChunkInput,
    ChunkProgress,
    DeliveryInput,
    DeliveryResult,
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

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

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
        """Record the notice in the exchange's history; say whether to deliver it by webhook."""
        written, has_webhook = projection.record_notice(self._engine, notice)
        return NoticeRecorded(
            seq=notice.seq,
            written=written,
            deliver=has_webhook,
            retry_seconds=self._settings.webhook_retry_seconds,
        )

    @activity.defn(name="deliver_webhook")
    def deliver_webhook(self, inp: DeliveryInput) -> DeliveryResult:
        """One attempt; a failure raises, and the retry policy tries again later."""
        done = webhooks.deliver(
            self._engine,
            inp.exchange_id,
            inp.seq,
            activity.info().attempt,
            self._settings.base_url,
            self._settings.allow_insecure_webhooks,
        )
        return DeliveryResult(attempts=done.attempts, already_delivered=done.already)

    @activity.defn(name="import_chunk")
    def import_chunk(self, inp: ChunkInput) -> ChunkProgress:
        try:
            chunk = imports.import_chunk(
                self._engine,
                inp.batch_id,
                inp.start_index,
                inp.start_offset,
                inp.size,
                heartbeat=activity.heartbeat,
            )
        except imports.BatchNotFound as exc:
            raise ApplicationError(str(exc), type=ERR_INVALID_REQUEST, non_retryable=True) from None
        return chunk

    @activity.defn(name="import_marc_batch")
    def import_marc_batch(self, inp: ImportBatchInput) -> ImportBatchResult:
        """The whole file in one activity, for exchanges started before import workflows."""
        chunk = imports.import_whole(self._engine, inp.batch_id, heartbeat=activity.heartbeat)
        return chunk.result(inp.batch_id)
