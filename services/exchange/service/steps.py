"""The steps of an exchange after its proposal, each passed to the exchange's workflow.

The workflow decides whether a step may happen; this module finds the exchange (404 for a
caller who is not one of its two sides), forwards the step as a workflow update and turns a
refusal into a problem.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
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
from services.exchange.service.access import require_visible
from services.exchange.service.context import Context
from services.exchange.service.exchange_queries import view
from services.exchange.service.keys import Caller
from services.exchange.service.offer_lines import line_spec
from workflows.errors import (
    ERR_INSUFFICIENT_COPIES,
    ERR_INVALID_REQUEST,
    ERR_INVALID_TRANSITION,
    ERR_NOT_ALLOWED,
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


async def _update(ctx: Context, caller: Caller, exchange_id: str, update: Any, arg: Any) -> None:
    await asyncio.to_thread(require_visible, ctx.engine, caller, exchange_id)
    handle = ctx.temporal.get_workflow_handle(workflow_id(exchange_id))
    try:
        await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as exc:
        cause: BaseException | None = exc.cause
        if isinstance(cause, ActivityError):  # a business error raised inside the step's activity
            cause = cause.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, kind = _STATUS_BY_ERROR[cause.type]
            raise Problem(status, kind, cause.message) from None
        raise Problem(
            503, "step-not-recorded", f"the step could not be recorded, try again: {cause}"
        ) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(409, "exchange-closed", "the exchange is closed") from None
        raise Problem(503, "workflow-unavailable", exc.message) from None


async def _step(
    ctx: Context, caller: Caller, exchange_id: str, update: Any, arg: Any
) -> ExchangeOut:
    await _update(ctx, caller, exchange_id, update, arg)
    return await asyncio.to_thread(view, ctx.engine, ctx.settings.home_code, caller, exchange_id)


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
    )
    await _update(ctx, caller, exchange_id, ExchangeWorkflow.attach_marc, arg)


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
    arg = ClaimAnswerInput(
        actor=actor_of(caller), claim_no=claim_no, action=body.action, note=body.note
    )
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.answer_claim, arg)


async def confirm_claim(
    ctx: Context, caller: Caller, exchange_id: str, claim_no: str, body: ClaimConfirmIn
) -> ExchangeOut:
    arg = ClaimConfirmInput(actor=actor_of(caller), claim_no=claim_no, note=body.note)
    return await _step(ctx, caller, exchange_id, ExchangeWorkflow.confirm_claim, arg)
