"""Proposing an exchange: its rows written first, then its workflow started.

The rows come first so that the fund's copies are held before anyone can see the exchange;
if the workflow cannot be started the rows are deleted again and the caller is told so. The
start has a deadline; when it passes, the workflow may have started all the same, so Temporal
is asked before the rows go.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import col
from temporalio.service import RPCError, RPCStatusCode

from services.exchange.models import Exchange, ExchangeEvent, ExchangeLine, Partner, Reservation
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import ExchangeOut, ProposalIn
from services.exchange.service import agreements, fund, numbering, partners
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.exchange_queries import INCOMING, OUTGOING, view
from services.exchange.service.keys import Caller
from services.exchange.service.offer_lines import (
    event_note,
    line_spec,
    offer_note,
    write_offer_lines,
)
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.exchange.types import PROPOSED, Deadlines, ExchangeInput, workflow_id
from workflows.exchange.workflow import ExchangeWorkflow


def _insert_proposal(
    engine: Engine, settings: Settings, caller: Caller, body: ProposalIn
) -> ExchangeInput:
    """Write the exchange, its lines, their reservations and its first event; say what the
    workflow starts with. Staff propose to a partner (we send); a partner proposes to us."""
    home = settings.home_code
    with session_scope(engine) as session:
        if caller.is_staff:
            if not body.partner:
                raise Problem(422, "validation-error", "partner: staff proposals name the partner")
            partner = partners.by_code(session, body.partner)
            if partner is None:
                raise Problem(
                    422, "unknown-partner", f"partner: no partner with code {body.partner}"
                )
            direction = OUTGOING
        else:
            partner = session.get(Partner, caller.partner_id)
            assert partner is not None
            if body.partner is not None and body.partner != partner.code:
                raise Problem(
                    422, "validation-error", "partner: a partner proposes only in its own name"
                )
            direction = INCOMING
        assert partner.id is not None
        now = datetime.now(UTC)
        agreement = agreements.valid_on(session, partner.id, now.date())
        if agreement is None:
            raise Problem(
                409,
                "no-agreement",
                f"there is no material-exchange agreement with {partner.code} valid on "
                f"{now.date().isoformat()}",
            )
        respond_by = body.respond_by or now.date() + timedelta(days=agreement.response_days)
        if respond_by < now.date():
            raise Problem(422, "validation-error", "respond_by: the date has already passed")
        exchange = Exchange(
            id=str(uuid.uuid4()),
            partner_id=partner.id,
            direction=direction,
            state=PROPOSED,
            respond_by=respond_by,
            receipt_days=agreement.receipt_days,
            created_by=caller.actor,
            created_at=now,
            updated_at=now,
        )
        session.add(exchange)
        try:
            offers = write_offer_lines(session, exchange, [line_spec(line) for line in body.lines])
        except fund.FundError as exc:
            status = 409 if exc.kind == "insufficient-copies" else 422
            raise Problem(status, exc.kind, str(exc)) from None
        session.add(
            ExchangeEvent(
                exchange_id=exchange.id,
                seq=1,
                at=now,
                actor=caller.actor,
                step="propose",
                state=PROPOSED,
                **event_note(offer_note(offers)),
            )
        )
        # Last, just before the commit: the sequence's row stays locked until then.
        exchange.number = numbering.next_exchange_number(session, now.year)
        session.add(exchange)
        sender, recipient = (home, partner.code) if direction == OUTGOING else (partner.code, home)
        return ExchangeInput(
            exchange_id=exchange.id,
            sender=sender,
            recipient=recipient,
            home=home,
            lines=offers,
            next_seq=2,
            partner=partner.code,
            deadlines=Deadlines(
                respond_by=respond_by.isoformat(),
                reminder_days=settings.reminder_days_before,
                receipt_days=agreement.receipt_days,
                claim_interval_days=settings.claim_interval_days,
            ),
        )


def _delete_proposal(engine: Engine, exchange_id: str) -> None:
    """Undo ``_insert_proposal`` (its workflow could not be started): copies given back."""
    with session_scope(engine) as session:
        fund.release(session, exchange_id)
        session.execute(delete(Reservation).where(col(Reservation.exchange_id) == exchange_id))
        session.execute(delete(ExchangeEvent).where(col(ExchangeEvent.exchange_id) == exchange_id))
        session.execute(delete(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange_id))
        session.execute(delete(Exchange).where(col(Exchange.id) == exchange_id))


async def propose(ctx: Context, caller: Caller, body: ProposalIn) -> ExchangeOut:
    home = ctx.settings.home_code
    inp = await asyncio.to_thread(_insert_proposal, ctx.engine, ctx.settings, caller, body)
    try:
        await ctx.temporal.start_workflow(
            ExchangeWorkflow.run,
            inp,
            id=workflow_id(inp.exchange_id),
            task_queue=ctx.settings.task_queue,
            rpc_timeout=TEMPORAL_RPC_TIMEOUT,
        )
    except RPCError as exc:
        if not (_unanswered(exc) and await _started(ctx, inp.exchange_id)):
            await asyncio.to_thread(_delete_proposal, ctx.engine, inp.exchange_id)
            raise Problem(
                503, "workflow-unavailable", f"the exchange could not be started: {exc.message}"
            ) from exc
    return await asyncio.to_thread(
        view, ctx.engine, home, caller, inp.exchange_id, home_name=ctx.settings.home_name
    )


def _unanswered(exc: RPCError) -> bool:
    return exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


async def _started(ctx: Context, exchange_id: str) -> bool:
    """Whether the exchange's workflow exists after a start that got no answer in time."""
    handle = ctx.temporal.get_workflow_handle(workflow_id(exchange_id))
    try:
        await handle.describe(rpc_timeout=TEMPORAL_RPC_TIMEOUT)
    except RPCError:
        return False
    return True
