"""The import workflow's activities: a chunk of records, or (for old exchanges) a whole file;
and the failure of a batch whose import could not go on.

Each chunk commits its records with its progress, so a chunk started again after a dead
worker resumes from the last committed record and never stores a record twice.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import imports
from workflows.errors import ERR_INVALID_REQUEST
from workflows.importing.types import (
    BatchFailure,
    ChunkInput,
    ChunkProgress,
    ImportBatchInput,
    ImportBatchResult,
)


class ImportActivities:
    """Bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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

    @activity.defn(name="fail_batch")
    def fail_batch(self, inp: BatchFailure) -> ChunkProgress:
        """End the batch ``failed`` with the reason, unless it has ended already."""
        return imports.fail_batch(self._engine, inp.batch_id, inp.reason)
