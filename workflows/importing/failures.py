"""Why an import stopped, in the sentence its batch report shows.

When a chunk has used up its attempts, or an import child ended without a result (an operator
terminated it, say), the workflow that waited for it records the reason on the batch. The
reason comes from the failure Temporal hands back: its innermost cause, first line only (a
database error's SQL and parameters stay in the worker's log), cut to a length a page holds.
Workflow code calls these, so they are plain functions of the failure.
"""

from __future__ import annotations

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    RetryState,
    TerminatedError,
)

MAX_DETAIL = 300


def cause_of(error: BaseException) -> str:
    """The innermost cause of a failure: "Type: first line of its message" (the type left out
    when the line names it already)."""
    cause: BaseException = error
    while isinstance(cause, ActivityError | ChildWorkflowError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, TerminatedError):
        return "the import workflow was terminated"
    if isinstance(cause, CancelledError):
        return "the import workflow was cancelled"
    message = cause.message if isinstance(cause, FailureError) else str(cause)
    lines = message.strip().splitlines()
    first = lines[0].strip() if lines else ""
    kind = cause.type if isinstance(cause, ApplicationError) else None
    if kind and first and kind not in first:
        first = f"{kind}: {first}"
    text = first or kind or type(cause).__name__
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _tries(error: ActivityError | ChildWorkflowError, attempts: int | None) -> str:
    if attempts is not None and error.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        return f" after {attempts} attempts"
    return ""


def chunk_failed(error: ActivityError, first_record: int, attempts: int) -> str:
    """A chunk that failed for good: where the import stopped and why."""
    return (
        f"the import stopped at record {first_record}{_tries(error, attempts)}: {cause_of(error)}"
    )


def import_failed(error: ActivityError | ChildWorkflowError, attempts: int | None) -> str:
    """An import (a child workflow, or the one activity of old exchanges) that gave no result."""
    return f"the import did not finish{_tries(error, attempts)}: {cause_of(error)}"
