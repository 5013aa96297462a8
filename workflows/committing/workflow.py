"""The commit workflow and its sibling, the undo: one staged batch, one chunk per activity.

A worker that dies mid-chunk loses only that chunk's uncommitted work: the heartbeat timeout
hands the chunk to another worker, which starts it again from the batch's committed position
(the chunk's transaction moves it). Very large batches continue as new so that no history
grows heavy. A chunk out of attempts ends the batch ``failed`` with the reason; a commit or
undo started again goes on where it stopped.

A committed batch of an exchange tells the exchange's workflow (``BATCH_COMMITTED_SIGNAL``,
once, with the batch id, which the exchange counts once); it goes ``catalogued`` from there.
An exchange that has ended meanwhile cannot hear it, and needs not.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

from workflows.committing.types import (
    BATCH_COMMITTED_SIGNAL,
    COMMIT,
    UNDO,
    BatchCommitted,
    CommitChunkInput,
    CommitFailure,
    CommitInput,
    CommitProgress,
)
from workflows.errors import ERR_INVALID_REQUEST
from workflows.exchange.types import workflow_id as exchange_workflow_id
from workflows.importing import failures
from workflows.importing.types import ImportInput
from workflows.importing.workflow import (
    CHUNK_TIMEOUT,
    CONTINUE_AS_NEW_AFTER_EVENTS,
    chunk_attempts,
    chunk_size,
    heartbeat_timeout,
)

with workflow.unsafe.imports_passed_through():
    from workflows.committing.activities import CommitActivities


def _limits(inp: CommitInput) -> ImportInput:
    """The settings as the import workflow reads them, to bring them into the same range."""
    return ImportInput(
        inp.batch_id,
        chunk_size=inp.chunk_size,
        heartbeat_seconds=inp.heartbeat_seconds,
        chunk_attempts=inp.chunk_attempts,
    )


async def _chunks(kind: str, inp: CommitInput) -> CommitProgress:
    """Run the chunks until the batch is done; continue as new when the history is long."""
    limits = _limits(inp)
    attempts = chunk_attempts(limits)
    activity = CommitActivities.commit_chunk if kind == COMMIT else CommitActivities.undo_chunk
    start = inp.start_position
    while True:
        try:
            chunk: CommitProgress = await workflow.execute_activity_method(
                activity,
                CommitChunkInput(inp.batch_id, start, chunk_size(limits), inp.actor),
                start_to_close_timeout=CHUNK_TIMEOUT,
                heartbeat_timeout=heartbeat_timeout(limits),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    maximum_attempts=attempts,
                    non_retryable_error_types=[ERR_INVALID_REQUEST],
                ),
            )
        except ActivityError as error:
            at = f" at record {start}" if start is not None else ""
            reason = f"the {kind} stopped{at}: {failures.cause_of(error)}"
            chunk = await workflow.execute_activity_method(
                CommitActivities.fail_commit,
                CommitFailure(inp.batch_id, kind, reason),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
                ),
            )
        if chunk.done:
            return chunk
        start = chunk.next_position
        if workflow.info().get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS:
            workflow.continue_as_new(
                CommitInput(
                    inp.batch_id,
                    inp.actor,
                    inp.exchange_id,
                    start,
                    inp.chunk_size,
                    inp.heartbeat_seconds,
                    inp.chunk_attempts,
                )
            )


@workflow.defn
class CommitWorkflow:
    @workflow.run
    async def run(self, inp: CommitInput) -> CommitProgress:
        done = await _chunks(COMMIT, inp)
        if done.state == "committed" and inp.exchange_id is not None:
            handle = workflow.get_external_workflow_handle(exchange_workflow_id(inp.exchange_id))
            try:
                await handle.signal(
                    BATCH_COMMITTED_SIGNAL, BatchCommitted(inp.batch_id, done.records, inp.actor)
                )
            except FailureError:
                workflow.logger.info("exchange %s has ended: not told", inp.exchange_id)
        return done


@workflow.defn
class UndoWorkflow:
    @workflow.run
    async def run(self, inp: CommitInput) -> CommitProgress:
        return await _chunks(UNDO, inp)
