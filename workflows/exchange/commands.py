"""What the exchange workflow asks Temporal to do: its activities and child workflows, each
with the timeouts and retry policy it has always had, its timers and its continue-as-new.

Called from workflow code only. Each function issues exactly one command (``wait_until`` at
most one timer; ``history_is_long`` none, it asks how long the history is), so the workflow
reads as the sequence of commands its history records; the ``workflow.patched`` checks that
choose between commands stay in the workflow, next to the state they depend on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

from workflows.delivery.types import DeliveryInput
from workflows.delivery.workflow import WebhookDeliveryWorkflow, delivery_workflow_id
from workflows.errors import ERR_INSUFFICIENT_COPIES, ERR_INVALID_REQUEST
from workflows.exchange.notes import Note
from workflows.exchange.types import (
    AttachMarcInput,
    Deadlines,
    ExchangeInput,
    ExchangeState,
    LineSpec,
    NoticeInput,
    NoticeRecorded,
    RevisionRecord,
    RevisionResult,
    StepRecord,
)
from workflows.importing import failures
from workflows.importing import workflow as importing
from workflows.importing.types import ImportBatchInput, ImportBatchResult, ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id

with workflow.unsafe.imports_passed_through():
    from workflows.exchange.activities import ExchangeActivities
    from workflows.importing.activities import ImportActivities

_RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=6,
    non_retryable_error_types=[ERR_INVALID_REQUEST, ERR_INSUFFICIENT_COPIES],
)
_NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
_IMPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
    non_retryable_error_types=[ERR_INVALID_REQUEST],
)


async def wait_until(condition: Callable[[], bool], at: datetime) -> bool:
    """Wait for ``condition`` until ``at`` (a durable timer); True if the time came first."""
    remaining = (at - workflow.now()).total_seconds()
    if remaining <= 0:
        return True
    try:
        await workflow.wait_condition(condition, timeout=remaining)
    except TimeoutError:
        return True
    return False


def history_is_long(events: int) -> bool:
    """Whether the run's history has more than ``events`` events, or Temporal finds it long."""
    info = workflow.info()
    return info.get_current_history_length() > events or info.is_continue_as_new_suggested()


def continue_as_new(inp: ExchangeInput, state: ExchangeState, deadlines: Deadlines) -> NoReturn:
    """Go on in a new run: the same exchange, its state carried in ``snapshot`` (its lines are
    in the state); never returns."""
    next_input = replace(inp, lines=[], next_seq=state.seq + 1, deadlines=deadlines, snapshot=state)
    workflow.continue_as_new(next_input)


async def record_step(
    exchange_id: str,
    seq: int,
    step: str,
    state: str,
    actor: str,
    note: Note | None,
    **details: object,
) -> None:
    """Write a step to the database projection (idempotent by ``seq``)."""
    at = workflow.now().isoformat()
    text, note_id, params = note_fields(note)
    record = StepRecord(
        exchange_id,
        seq,
        step,
        state,
        actor,
        at,
        text,
        note_id=note_id,
        note_params=params,
        **details,  # type: ignore[arg-type]
    )
    await workflow.execute_activity_method(
        ExchangeActivities.record_step,
        record,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=_RECORD_RETRY,
    )


def note_fields(note: Note | None) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """A note as the activities take it: the English text, the message id, its values."""
    if note is None:
        return None, None, None
    return note.text, note.id, (dict(note.params) if note.id else None)


async def revise_lines(
    exchange_id: str, seq: int, actor: str, lines: list[LineSpec]
) -> RevisionResult:
    """Replace the offered lines in the database; the answer is the lines offered now."""
    result: RevisionResult = await workflow.execute_activity_method(
        ExchangeActivities.revise_lines,
        RevisionRecord(exchange_id, seq, actor, workflow.now().isoformat(), lines),
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=_RECORD_RETRY,
    )
    return result


async def notify(
    exchange_id: str, seq: int, party: str, event: str, note: Note | None
) -> NoticeRecorded:
    """Write a notice for the partner; the answer says whether a webhook should deliver it."""
    at = workflow.now().isoformat()
    notice = NoticeInput(exchange_id, seq, party, event, at, *note_fields(note))
    recorded: NoticeRecorded = await workflow.execute_activity_method(
        ExchangeActivities.notify,
        notice,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=_NOTIFY_RETRY,
    )
    return recorded


async def start_delivery(exchange_id: str, seq: int, retry_seconds: float) -> None:
    """Start the notice's webhook delivery as an abandoned child: the exchange does not wait
    for its days of retries, and it goes on after the exchange has ended."""
    await workflow.start_child_workflow(
        WebhookDeliveryWorkflow.run,
        DeliveryInput(exchange_id, seq, retry_seconds),
        id=delivery_workflow_id(exchange_id, seq),
        parent_close_policy=ParentClosePolicy.ABANDON,
    )


async def import_in_chunks(a: AttachMarcInput) -> ImportBatchResult:
    """Import a MARC batch by an import child workflow, one chunk of records per activity."""
    result: ImportBatchResult = await workflow.execute_child_workflow(
        ImportWorkflow.run,
        ImportInput(
            a.batch_id,
            chunk_size=a.chunk_size,
            heartbeat_seconds=a.heartbeat_seconds,
            chunk_attempts=a.chunk_attempts,
        ),
        id=import_workflow_id(a.batch_id),
    )
    return result


async def import_whole(batch_id: str) -> ImportBatchResult:
    """Import a MARC batch in one activity, as runs started before import workflows do."""
    result: ImportBatchResult = await workflow.execute_activity_method(
        ImportActivities.import_marc_batch,
        ImportBatchInput(batch_id=batch_id),
        start_to_close_timeout=timedelta(hours=2),
        heartbeat_timeout=timedelta(minutes=2),
        retry_policy=_IMPORT_RETRY,
    )
    return result


async def fail_import(
    batch_id: str, error: ActivityError | ChildWorkflowError
) -> ImportBatchResult:
    """End a batch whose import gave no result ``failed``, with the reason, and say so."""
    attempts = _IMPORT_RETRY.maximum_attempts if isinstance(error, ActivityError) else None
    progress = await importing.fail_batch(batch_id, failures.import_failed(error, attempts))
    return progress.result(batch_id)
