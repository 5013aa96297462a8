"""The commit and undo workflows' activities: one chunk each, and the failure of a batch whose
commit or undo could not go on.

Each chunk commits its catalogue writes with the batch's position, so a chunk started again
after a dead worker resumes from the last committed record and never writes a record twice.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.exchange.service import commit, undo
from workflows.committing.types import COMMIT, CommitChunkInput, CommitFailure, CommitProgress
from workflows.errors import ERR_INVALID_REQUEST


class CommitActivities:
    """Bound to one database, so a worker serves exactly the database it was given."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="commit_chunk")
    def commit_chunk(self, inp: CommitChunkInput) -> CommitProgress:
        try:
            return commit.commit_chunk(
                self._engine,
                inp.batch_id,
                inp.start_position,
                inp.size,
                inp.actor,
                heartbeat=activity.heartbeat,
            )
        except commit.BatchNotFound as exc:
            raise ApplicationError(str(exc), type=ERR_INVALID_REQUEST, non_retryable=True) from None

    @activity.defn(name="undo_chunk")
    def undo_chunk(self, inp: CommitChunkInput) -> CommitProgress:
        try:
            return undo.undo_chunk(
                self._engine,
                inp.batch_id,
                inp.start_position,
                inp.size,
                inp.actor,
                heartbeat=activity.heartbeat,
            )
        except commit.BatchNotFound as exc:
            raise ApplicationError(str(exc), type=ERR_INVALID_REQUEST, non_retryable=True) from None

    @activity.defn(name="fail_commit")
    def fail_commit(self, inp: CommitFailure) -> CommitProgress:
        """End the batch ``failed`` with the reason, unless it is no longer at work."""
        if inp.kind == COMMIT:
            return commit.fail(self._engine, inp.batch_id, inp.reason)
        return undo.fail(self._engine, inp.batch_id, inp.reason)
