"""The steps of an exchange after its proposal, each passed to the exchange's workflow.

The workflow decides whether a step may happen; this module finds the exchange (404 for a
caller who is not one of its two sides), forwards the step as a workflow update and turns a
refusal into a problem.

Temporal can be slow, full or gone, and no caller may get a 500 or wait past its own timeout
for that: a step waits its turn behind the exchange's other steps (``step_queue``), has
``STEP_DEADLINE`` in all, and ends as 429 (too many steps at once) or 503 (not confirmed, or
Temporal unavailable), both with Retry-After. A step sent with an ``Idempotency-Key`` carries
an update id derived from it: Temporal answers a second update with the same id with the
first one's outcome, even once the workflow has closed, so a retry after a lost answer gets
the step it took rather than a 409. (Temporal keeps those ids per run: a retry that arrives
after the workflow continued as new is taken as a new step.)
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import (
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    DecisionIn,
    ExchangeOut,
    LostIn,
    ReceiptIn,
    RevisionIn,
    ShipmentIn,
)
from services.exchange.service import resends
from services.exchange.service.access import require_visible
from services.exchange.service.context import REQUEST_KEY, Context
from services.exchange.service.exchange_queries import view
from services.exchange.service.keys import Caller
from services.exchange.service.offer_lines import line_spec
from services.exchange.service.step_queue import TooManySteps
from workflows.errors import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ERR_INVALID_TRANSITION,
    ERR_NOT_ALLOWED,
    N_,
)
from workflows.exchange.types import (
    Actor,
    AttachMarcInput,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    DecisionInput,
    LineQuantity,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    ShipmentInput,
    workflow_id,
)
from workflows.exchange.workflow import ExchangeWorkflow


def actor_of(caller: Caller) -> Actor:
    return Actor(party=caller.party, name=caller.actor)


_STATUS_BY_ERROR = {
    ERR_INVALID_TRANSITION: (409, "invalid-transition"),
    ERR_NOT_ALLOWED: (409, "not-your-turn"),
    ERR_INVALID_REQUEST: (422, "invalid-step"),
    ERR_INSUFFICIENT_COPIES: (409, "insufficient-copies"),
}


# Seconds a step may take, its wait in the queue included: under the 30 s HTTP clients wait.
STEP_DEADLINE = 20.0
_RETRY_SOON = {"Retry-After": "1"}  # the exchange's other steps are under way
_RETRY_LATER = {"Retry-After": "5"}  # Temporal or its worker is away for a moment


def _update_id() -> str | None:
    """The update's id for a request under an Idempotency-Key; None lets the SDK choose one."""
    request_key = REQUEST_KEY.get()
    return f"request-{request_key}" if request_key else None


async def _update(
    ctx: Context,
    caller: Caller,
    exchange_id: str,
    update: Any,
    arg: Any,
    *,
    idempotent: bool = True,
) -> None:
    """Send the step; ``idempotent`` when its argument is the request's alone (a retry with the
    same key sends the same update), not when it names something made anew for each request."""
    await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
    handle = ctx.temporal.get_workflow_handle(workflow_id(exchange_id))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_DEADLINE
    try:
        async with ctx.step_queue.turn(exchange_id, deadline):
            remaining = timedelta(seconds=max(deadline - loop.time(), 0.1))
            # The SDK retries a call past its RPC deadline and polls for the outcome without
            # one, so the timeout is what bounds the whole step.
            async with asyncio.timeout_at(deadline):
                await handle.execute_update(
                    update,
                    arg,
                    id=_update_id() if idempotent else None,
                    rpc_timeout=remaining,
                )
    except TooManySteps as exc:
        raise Problem(
            429, "too-many-steps", f"{exc}: try again shortly", headers=_RETRY_SOON
        ) from None
    except WorkflowUpdateFailedError as exc:
        cause: BaseException | None = exc.cause
        if isinstance(cause, ActivityError):  # a business error raised inside the step's activity
            cause = cause.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, kind = _STATUS_BY_ERROR[cause.type]
            raise Problem(status, kind, cause.message) from None
        raise Problem(
            503,
            "step-not-recorded",
            f"the step could not be recorded, try again: {cause}",
            headers=_RETRY_LATER,
        ) from None
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        raise _unconfirmed() from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(409, "exchange-closed", N_("the exchange is closed")) from None
        if exc.status == RPCStatusCode.RESOURCE_EXHAUSTED:  # other processes fill the slots
            raise Problem(
                429,
                "too-many-steps",
                f"the exchange has too many steps under way, try again shortly: {exc.message}",
                headers=_RETRY_SOON,
            ) from None
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise _unconfirmed() from None
        raise Problem(503, "workflow-unavailable", exc.message, headers=_RETRY_LATER) from None


def _unconfirmed() -> Problem:
    return Problem(
        503,
        "step-not-recorded",
        f"the workflow did not confirm the step within {STEP_DEADLINE:g} s; it may still be "
        "taken: send it again with the same Idempotency-Key to learn its outcome",
        headers=_RETRY_LATER,
    )


async def _step(
    ctx: Context, caller: Caller, exchange_id: str, update: Any, arg: Any
) -> ExchangeOut:
    await _update(ctx, caller, exchange_id, update, arg)
    settings = ctx.settings
    return await asyncio.to_thread(
        view, ctx.engine, settings.home_code, caller, exchange_id, home_name=settings.home_name
    )


async def decide(ctx: Context, caller: Caller, exchange_id: str, body: DecisionIn) -> ExchangeOut:
    arg = DecisionInput(
        actor=actor_of(caller),
        accept=[LineQuantity(q.line_id, q.quantity) for q in body.accept]
        if body.accept is not None
        else None,
        decline_reason=body.decline,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.decide, arg)


async def ship(ctx: Context, caller: Caller, exchange_id: str, body: ShipmentIn) -> ExchangeOut:
    arg = ShipmentInput(
        actor=actor_of(caller),
        carrier=body.carrier,
        tracking=body.tracking,
        parcels=body.parcels,
        shipped_on=body.shipped_on.isoformat() if body.shipped_on else None,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.ship, arg)


async def receive(ctx: Context, caller: Caller, exchange_id: str, body: ReceiptIn) -> ExchangeOut:
    arg = ReceiptInput(
        actor=actor_of(caller),
        lines=[ReceivedLine(line.line_id, line.received, line.damaged) for line in body.lines],
        received_on=body.received_on.isoformat() if body.received_on else None,
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.receive, arg)


async def attach_marc(ctx: Context, caller: Caller, exchange_id: str, batch_id: str) -> None:
    arg = AttachMarcInput(
        actor=actor_of(caller),
        batch_id=batch_id,
        chunk_size=ctx.settings.import_chunk_size,
        heartbeat_seconds=ctx.settings.import_heartbeat_seconds,
        chunk_attempts=ctx.settings.import_chunk_attempts,
    )
    # The batch is made anew for each request, so a retry is not the same update.
    await _update(ctx, caller, exchange_id, ExchangeWorkflow.attach_marc, arg, idempotent=False)


async def revise(ctx: Context, caller: Caller, exchange_id: str, body: RevisionIn) -> ExchangeOut:
    arg = ReviseInput(actor=actor_of(caller), lines=[line_spec(line) for line in body.lines])
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.revise, arg)


async def cancel(ctx: Context, caller: Caller, exchange_id: str, body: CancelIn) -> ExchangeOut:
    arg = CancelInput(actor=actor_of(caller), reason=body.reason)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.cancel, arg)


async def mark_lost(ctx: Context, caller: Caller, exchange_id: str, body: LostIn) -> ExchangeOut:
    arg = LostInput(actor=actor_of(caller), note=body.note)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.mark_lost, arg)


async def answer_claim(
    ctx: Context, caller: Caller, exchange_id: str, claim_no: str, body: ClaimAnswerIn
) -> ExchangeOut:
    """Answer a claim; a resend of our fund's copies holds them first (``resends``), so a fund
    without them refuses it here and a step the workflow refuses gives them back."""
    arg = ClaimAnswerInput(
        actor=actor_of(caller), claim_no=claim_no, action=body.action, note=body.note
    )
    held = False
    if body.action == "resend" and caller.is_staff:  # we send: the copies may be the fund's
        await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
        held = await asyncio.to_thread(resends.hold, ctx.engine, exchange_id, claim_no)
    try:
        return await _step(ctx, caller, exchange_id, ExchangeWorkflow.answer_claim, arg)
    except Problem as exc:
        if held and exc.status < 500:  # refused; a 503 may still be taken: keep the hold
            await asyncio.to_thread(resends.give_back, ctx.engine, exchange_id, claim_no)
        raise


async def confirm_claim(
    ctx: Context, caller: Caller, exchange_id: str, claim_no: str, body: ClaimConfirmIn
) -> ExchangeOut:
    arg = ClaimConfirmInput(actor=actor_of(caller), claim_no=claim_no, note=body.note)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.confirm_claim, arg)
