"""Activities of the exchange workflow: everything that touches the database or files.

Each is idempotent. ``record_step`` is keyed by the workflow's step number; ``import_marc_batch``
replaces the batch's records in one transaction, so a retry never leaves two copies.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from services.exchange.service import imports, projection
from workflows.shared import ImportBatchInput, ImportBatchResult, StepRecord, StepRecorded


class ExchangeActivities:
    """Activities bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="record_step")
    def record_step(self, record: StepRecord) -> StepRecorded:
        written = projection.apply_step(self._engine, record)
        return StepRecorded(seq=record.seq, written=written)

    @activity.defn(name="import_marc_batch")
    def import_marc_batch(self, inp: ImportBatchInput) -> ImportBatchResult:
        return imports.import_batch(self._engine, inp.batch_id, heartbeat=activity.heartbeat)
