"""The import workflow: one MARC batch, one chunk of records per activity.

A worker that dies mid-chunk loses only that chunk's uncommitted work: the heartbeat timeout
hands the chunk to another worker, which starts it again from the last committed record.
Very large files continue as new so that no history grows heavy.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.errors import ERR_INVALID_REQUEST
from workflows.importing.types import ChunkInput, ChunkProgress, ImportBatchResult, ImportInput

with workflow.unsafe.imports_passed_through():
    from workflows.importing.activities import ImportActivities

CONTINUE_AS_NEW_AFTER_EVENTS = 2_000


def import_workflow_id(batch_id: str) -> str:
    return f"import-{batch_id}"


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
        while True:
            chunk: ChunkProgress = await workflow.execute_activity_method(
                ImportActivities.import_chunk,
                ChunkInput(
                    inp.batch_id,
                    self._progress.next_index,
                    self._progress.next_offset,
                    inp.chunk_size,
                ),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=inp.heartbeat_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    non_retryable_error_types=[ERR_INVALID_REQUEST],
                ),
            )
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
                    )
                )
        return chunk.result(inp.batch_id)

    @workflow.query
    def progress(self) -> ChunkProgress:
        return self._progress
