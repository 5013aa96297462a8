"""Activities of the exchange workflow: everything that touches the database or files.

Each is idempotent: ``record_step``, ``revise_lines`` and ``notify`` are keyed by the
workflow's step number, so a retry writes nothing twice. Imports and webhook deliveries have
activities of their own (``workflows.importing.activities``, ``workflows.delivery.activities``).
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import projection
from services.exchange.service.fund import FundError
from services.exchange.settings import Settings
from workflows.errors import ERR_INSUFFICIENT_COPIES, ERR_INVALID_REQUEST
from workflows.exchange.types import (
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
        """Record the notice in the exchange's history; say whether to deliver it (by webhook
        or e-mail: a notice to our staff, ``party`` our home code, by e-mail only)."""
        settings = self._settings
        written, deliver = projection.record_notice(
            self._engine,
            notice,
            home=settings.home_code,
            home_name=settings.home_name,
            staff_email=settings.staff_email,
            email=settings.smtp_host is not None,
        )
        return NoticeRecorded(
            seq=notice.seq,
            written=written,
            deliver=deliver,
            retry_seconds=self._settings.webhook_retry_seconds,
        )
