"""The import workflow: one MARC batch, one chunk of records per activity.

A worker that dies mid-chunk loses only that chunk's uncommitted work: the heartbeat timeout
hands the chunk to another worker, which starts it again from the last committed record.
Very large files continue as new so that no history grows heavy.

A chunk is tried ``chunk_attempts`` times. A fault that outlasts them (one the chunk's own
checks do not turn into a failed batch, such as a database that refuses its rows) ends the
batch ``failed`` with the reason, recorded by ``fail_batch``; before ``CHUNK_FAILURE_PATCH``
the failure failed the workflow and left the batch ``running`` (see the patch table in
``workflows/exchange/patches.py``). Settings that arrive out of range are brought into it,
so that no input can make a command Temporal refuses.
"""

from __future__ import annotations

import math
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.errors import ERR_INVALID_REQUEST
from workflows.importing import failures
from workflows.importing.types import (
    BatchFailure,
    ChunkInput,
    ChunkProgress,
    ImportBatchResult,
    ImportInput,
)

with workflow.unsafe.imports_passed_through():
    from workflows.importing.activities import ImportActivities

CHUNK_FAILURE_PATCH = "import-chunk-failure"
CONTINUE_AS_NEW_AFTER_EVENTS = 2_000
CHUNK_TIMEOUT = timedelta(minutes=30)
MAX_CHUNK_SIZE = 100_000
MAX_CHUNK_ATTEMPTS = 1_000
DEFAULT_HEARTBEAT_SECONDS = 60.0


def import_workflow_id(batch_id: str) -> str:
    return f"import-{batch_id}"


def chunk_size(inp: ImportInput) -> int:
    """At least one record a chunk (none would never get on), at most the settings' limit."""
    return min(max(inp.chunk_size, 1), MAX_CHUNK_SIZE)


def heartbeat_timeout(inp: ImportInput) -> timedelta:
    """The configured heartbeat; the default for one that is not a positive number; never
    longer than the chunk may take."""
    seconds = inp.heartbeat_seconds
    if not math.isfinite(seconds) or seconds <= 0:
        seconds = DEFAULT_HEARTBEAT_SECONDS
    return timedelta(seconds=min(seconds, CHUNK_TIMEOUT.total_seconds()))


def chunk_attempts(inp: ImportInput) -> int:
    """At least one attempt (Temporal reads 0 as "for ever"), at most the settings' limit."""
    return min(max(inp.chunk_attempts, 1), MAX_CHUNK_ATTEMPTS)


async def fail_batch(batch_id: str, reason: str) -> ChunkProgress:
    """End the batch ``failed`` with the reason. The one write that must happen, so it is
    retried until the database takes it; it is idempotent."""
    progress: ChunkProgress = await workflow.execute_activity_method(
        ImportActivities.fail_batch,
        BatchFailure(batch_id, reason),
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
        ),
    )
    return progress


@workflow.defn
class ImportWorkflow:
    @workflow.init
    def __init__(self, inp: ImportInput) -> None:
        self._progress = ChunkProgress(
            next_index=inp.start_index,
            next_offset=inp.start_offset,
            done=False,
            processed=inp.start_index - 1,
            imported=0,
            rejected=0,
        )

    @workflow.run
    async def run(self, inp: ImportInput) -> ImportBatchResult:
        attempts = chunk_attempts(inp)
        while True:
            start = self._progress.next_index
            try:
                chunk: ChunkProgress = await workflow.execute_activity_method(
                    ImportActivities.import_chunk,
                    ChunkInput(inp.batch_id, start, self._progress.next_offset, chunk_size(inp)),
                    start_to_close_timeout=CHUNK_TIMEOUT,
                    heartbeat_timeout=heartbeat_timeout(inp),
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(seconds=1),
                        maximum_interval=timedelta(seconds=30),
                        maximum_attempts=attempts,
                        non_retryable_error_types=[ERR_INVALID_REQUEST],
                    ),
                )
            except ActivityError as error:
                if not workflow.patched(CHUNK_FAILURE_PATCH):
                    raise
                reason = failures.chunk_failed(error, start, attempts)
                chunk = await fail_batch(inp.batch_id, reason)
            self._progress = chunk
            if chunk.done:
                break
            if workflow.info().get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS:
                workflow.continue_as_new(
                    ImportInput(
                        inp.batch_id,
                        chunk.next_index,
                        chunk.next_offset,
                        inp.chunk_size,
                        inp.heartbeat_seconds,
                        inp.chunk_attempts,
                    )
                )
        return chunk.result(inp.batch_id)

    @workflow.query
    def progress(self) -> ChunkProgress:
        return self._progress
