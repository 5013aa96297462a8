"""Starting and poking a serial title's workflow (``serial-{id}``) from the API and the pages.

The database change is the truth; the workflow only times things. So ``start`` starts the run
of a title's year if none runs (one already running is left to go on), and ``poke`` tells a
running one that something changed (a receipt, an edit, an answer, a review, an end), so that it
asks the database again for its next due day. A title without a running workflow (finished,
never started) is not an error for a poke: it is logged, and so is Temporal being unreachable,
because the change has been written and the run, if any, wakes at its own timer anyway.

Registering a title is one step for the API and the pages alike (``register``): the title is
written, its run started, and if Temporal does not answer the title is taken back (503), so no
title exists without timers and a retry registers it again. A renamed title's successor is
started the same way (``start_successor``), but a failure there only leaves its timer late:
the old title has ended either way.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from services.exchange.problems import Problem
from services.exchange.schemas.serials import SerialIn, SerialOut
from services.exchange.service import agreements, serials
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.keys import Caller
from workflows.errors import N_
from workflows.serial.types import (
    SIGNAL_CHANGED,
    WORKFLOW_NAME,
    SerialChanged,
    SerialInput,
    serial_workflow_id,
)

log = logging.getLogger(__name__)

NOT_REGISTERED = N_(
    "the workflow service does not answer: the serial was not registered, try again"
)
UNREACHABLE = (RPCError, TimeoutError, OSError)  # Temporal down, slow, or not listening


def first_run_year(first_year: int, day: date | None = None) -> int:
    """The year a title's run starts with: its first year, or this year if that has begun
    (a title registered late runs from now, not through years gone by)."""
    return max(first_year, (day or agreements.today()).year)


async def start(ctx: Context, serial_id: int, year: int) -> None:
    """Start the title's run for ``year`` unless one runs; Temporal's errors other than "already
    started" are raised (the caller answers 503: the title has no timers yet)."""
    try:
        await ctx.temporal.start_workflow(
            WORKFLOW_NAME,
            SerialInput(serial_id, year, retry_seconds=ctx.settings.webhook_retry_seconds),
            id=serial_workflow_id(serial_id),
            task_queue=ctx.settings.task_queue,
            rpc_timeout=TEMPORAL_RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        log.debug("serial %s: its workflow runs already", serial_id)


# Changes after which the run need not wake: a receipt only takes an issue out of the claims,
# and the run's next wake (due for the earliest awaited issue) finds it received and moves on.
# Waking the run at once would cost the same workflow task and activity, but on the request's
# time (a check-in desk scanning issue after issue) instead of the timer's.
NO_WAKE = frozenset({"receipt"})


async def poke(ctx: Context, serial_id: int, reason: str) -> None:
    """Signal the title's run that it changed (unless ``reason`` is one the run learns of at
    its next wake anyway: ``NO_WAKE``); never raises for Temporal (logged)."""
    if reason in NO_WAKE:
        return
    handle = ctx.temporal.get_workflow_handle(serial_workflow_id(serial_id))
    try:
        await handle.signal(SIGNAL_CHANGED, SerialChanged(reason), rpc_timeout=TEMPORAL_RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            log.info("serial %s: no running workflow to tell of %s", serial_id, reason)
        else:
            log.warning("serial %s: its workflow was not told of %s: %s", serial_id, reason, exc)
    except (TimeoutError, OSError) as exc:
        log.warning("serial %s: its workflow was not told of %s: %s", serial_id, reason, exc)


async def register(ctx: Context, caller: Caller, code: str, body: SerialIn) -> SerialOut:
    """Register a title with the partner ``code`` and start its run; 503 (the title taken
    back) when Temporal does not answer. The service's refusals (403, 404, 409, 422) pass."""
    made = await asyncio.to_thread(serials.create_serial, ctx.engine, caller, code, body)
    try:
        await start(ctx, made.id, first_run_year(made.first_year))
    except UNREACHABLE as exc:
        log.warning("serial %s: its workflow could not be started: %s", made.id, exc)
        await asyncio.to_thread(serials.take_back, ctx.engine, caller, made.id)
        raise Problem(503, "temporal-unavailable", NOT_REGISTERED) from exc
    return made


async def start_successor(ctx: Context, caller: Caller, successor_id: int) -> None:
    """Start the run of a renamed title's successor; Temporal not answering is only logged:
    the successor exists and the old title's ending stands, so its first timer is late."""
    successor = await asyncio.to_thread(serials.get_serial, ctx.engine, caller, successor_id)
    try:
        await start(ctx, successor.id, first_run_year(successor.first_year))
    except UNREACHABLE as exc:
        log.warning("serial %s: its workflow could not be started: %s", successor.id, exc)
