"""A submitted selection becomes one exchange, already accepted, with its workflow started.

The rows come first, in one transaction with the selection turning ``submitted``: the
exchange (state ``accepted``), its lines (quantity and accepted quantity = the picked
copies), for our lists a ``held`` reservation per line naming the fund item (the picks have
already counted those copies in the fund's ``copies_reserved``: nothing is reserved again)
and its first history event. Then the exchange workflow starts with a snapshot of an accepted
exchange, so it runs its usual course from the shipment on without a workflow change. If it
cannot be started, the rows are deleted again and the selection is open once more, its
copies still held (as ``proposals`` undoes a proposal); if the list closed meanwhile, its
copies are given back.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, delete
from sqlmodel import col, select
from temporalio.service import RPCError

from services.exchange.models import (
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    Partner,
    Reservation,
)
from services.exchange.offer_models import OfferItem, OfferSelection
from services.exchange.problems import Problem
from services.exchange.service import agreements, fund, numbering
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_closing import release_picks
from services.exchange.service.offer_list_rules import (
    OPEN,
    OUTGOING,
    PUBLISHED,
    SUBMITTED,
    lock_list,
    locked_selection,
    picks_of,
    selecting,
    today,
)
from services.exchange.service.proposals import _started, _unanswered
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.exchange.types import (
    ACCEPTED,
    Deadlines,
    ExchangeInput,
    ExchangeState,
    LineOffer,
    LineQuantity,
    workflow_id,
)

SELECT_STEP = "select"
SELECTION_NOTE = "offer_list_selection"
# The exchange workflow by name (``workflows.exchange.workflow.ExchangeWorkflow``).
EXCHANGE_WORKFLOW = "ExchangeWorkflow"


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_exchange`` wrote: the workflow's start, and what the notice says."""

    input: ExchangeInput
    list_id: str
    list_number: str
    list_title: str
    direction: str
    selector_id: int
    partner_code: str
    selector: str  # who selected: the partner's code, or ours on a partner's list
    lines: int
    copies: int
    exchange_id: str
    exchange_number: str


def write_exchange(engine: Engine, settings: Settings, caller: Caller, list_id: str) -> Written:
    """The caller's open selection written as an accepted exchange (see the module)."""
    now = datetime.now(UTC)
    home = settings.home_code
    with session_scope(engine) as session:
        offer_list, selector = selecting(session, caller, list_id)
        selection = locked_selection(session, offer_list.id, selector)
        if selection is not None and selection.state == SUBMITTED:
            raise Problem(
                409,
                "selection-submitted",
                N_("the selection was already submitted"),
            )
        picks = picks_of(session, selection.id) if selection and selection.id else {}
        if selection is None or selection.state != OPEN or not picks:
            raise Problem(422, "empty-selection", N_("the selection is empty: select items first"))
        partner = session.get(Partner, selector)
        assert partner is not None and partner.id is not None
        agreement = agreements.valid_on(session, partner.id, today())
        if agreement is None:
            raise Problem(
                409,
                "no-agreement",
                N_("there is no material-exchange agreement with {code} valid on {day}").format(
                    code=partner.code, day=today().isoformat()
                ),
            )
        exchange = Exchange(
            id=str(uuid.uuid4()),
            partner_id=partner.id,
            direction=offer_list.direction,
            state=ACCEPTED,
            respond_by=None,
            receipt_days=agreement.receipt_days,
            created_by=caller.actor,
            created_at=now,
            updated_at=now,
        )
        session.add(exchange)
        items = list(
            session.scalars(
                select(OfferItem)
                .where(col(OfferItem.id).in_(list(picks)))
                .order_by(col(OfferItem.position))
            )
        )
        session.flush()
        offers: list[LineOffer] = []
        for position, item in enumerate(items, start=1):
            copies = picks[item.id or 0]
            ours = offer_list.direction == OUTGOING
            line = ExchangeLine(
                id=str(uuid.uuid4()),
                exchange_id=exchange.id,
                position=position,
                title=item.title,
                isbn=item.isbn,
                issn=item.issn,
                author=item.author,
                year=item.year,
                record_id=item.fund_item_id if ours else None,
                quantity=copies,
                accepted_quantity=copies,
                unit_value=Decimal(item.unit_value) if item.unit_value is not None else None,
                currency=item.currency,
                language=item.language,
            )
            session.add(line)
            offers.append(LineOffer(line_id=line.id, quantity=copies))
            if ours and item.fund_item_id is not None:
                session.add(
                    Reservation(
                        fund_item_id=item.fund_item_id,
                        exchange_id=exchange.id,
                        line_id=line.id,
                        copies=copies,
                        state=fund.HELD,
                    )
                )
        copies_total = sum(o.quantity for o in offers)
        number = offer_list.number or offer_list.id
        session.flush()
        session.add(
            ExchangeEvent(
                exchange_id=exchange.id,
                seq=1,
                at=now,
                actor=caller.actor,
                step=SELECT_STEP,
                state=ACCEPTED,
                note=f"selected from offer list {number}: {len(offers)} lines, "
                f"{copies_total} copies",
                note_id=SELECTION_NOTE,
                note_params={"list": number, "lines": len(offers), "copies": copies_total},
            )
        )
        selection.state = SUBMITTED
        selection.exchange_id = exchange.id
        selection.submitted_at = now
        selection.submitted_by = caller.actor[:64]
        selection.updated_at = now
        session.add(selection)
        exchange.number = numbering.next_exchange_number(session, now.year)
        session.add(exchange)
        outgoing = offer_list.direction == OUTGOING
        sender, recipient = (home, partner.code) if outgoing else (partner.code, home)
        inp = ExchangeInput(
            exchange_id=exchange.id,
            sender=sender,
            recipient=recipient,
            home=home,
            lines=offers,
            next_seq=2,
            partner=partner.code,
            deadlines=Deadlines(
                respond_by=None,
                reminder_days=settings.reminder_days_before,
                receipt_days=agreement.receipt_days,
                claim_interval_days=settings.claim_interval_days,
            ),
            snapshot=ExchangeState(
                state=ACCEPTED,
                seq=1,
                offered=[LineOffer(o.line_id, o.quantity) for o in offers],
                accepted=[LineQuantity(o.line_id, o.quantity) for o in offers],
                claims=[],
                batches=[],
                batch_uploaders=[],
                records_imported=0,
                reminder_due=False,
                overdue_claims=0,
                shipped_at=None,
                last_claim_at=None,
            ),
        )
        return Written(
            input=inp,
            list_id=offer_list.id,
            list_number=number,
            list_title=offer_list.title,
            direction=offer_list.direction,
            selector_id=selector,
            partner_code=partner.code,
            selector=partner.code if outgoing else home,
            lines=len(offers),
            copies=copies_total,
            exchange_id=exchange.id,
            exchange_number=exchange.number,
        )


def undo_exchange(engine: Engine, written: Written) -> None:
    """Undo ``write_exchange`` (the workflow could not start): the selection open again with
    its copies held, or given back if the list is no longer published."""
    exchange_id = written.exchange_id
    with session_scope(engine) as session:
        offer_list = lock_list(session, written.list_id)
        selection = session.scalars(
            select(OfferSelection).where(col(OfferSelection.exchange_id) == exchange_id)
        ).first()
        if selection is not None:
            selection.state = OPEN
            selection.exchange_id = None
            selection.submitted_at = None
            selection.submitted_by = None
            session.add(selection)
            session.flush()
            if offer_list is not None and offer_list.state != PUBLISHED:
                release_picks(session, offer_list, selection)
        # The reservations only name the copies the picks hold: deleted, not released.
        session.execute(delete(Reservation).where(col(Reservation.exchange_id) == exchange_id))
        session.execute(delete(ExchangeEvent).where(col(ExchangeEvent.exchange_id) == exchange_id))
        session.execute(delete(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange_id))
        session.execute(delete(Exchange).where(col(Exchange.id) == exchange_id))


async def start_exchange(ctx: Context, written: Written) -> None:
    """Start the exchange's workflow from its accepted snapshot; 503 (rows undone) if not."""
    try:
        await ctx.temporal.start_workflow(
            EXCHANGE_WORKFLOW,
            written.input,
            id=workflow_id(written.exchange_id),
            task_queue=ctx.settings.task_queue,
            rpc_timeout=TEMPORAL_RPC_TIMEOUT,
        )
    except RPCError as exc:
        if not (_unanswered(exc) and await _started(ctx, written.exchange_id)):
            await asyncio.to_thread(undo_exchange, ctx.engine, written)
            raise Problem(
                503,
                "workflow-unavailable",
                N_("the exchange could not be started: {reason}").format(reason=exc.message),
                headers={"Retry-After": "5"},
            ) from exc
