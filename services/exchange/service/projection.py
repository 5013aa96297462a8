"""Writing workflow steps into the exchange tables (the projection the API lists and searches)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.exchange.db import session_scope
from services.exchange.models import Exchange, ExchangeEvent, ExchangeLine
from workflows.shared import StepRecord


def apply_step(engine: Engine, rec: StepRecord) -> bool:
    """Apply one step in one transaction; False when this step was already written (a retry)."""
    try:
        with session_scope(engine) as session:
            already = session.execute(
                select(col(ExchangeEvent.id)).where(
                    col(ExchangeEvent.exchange_id) == rec.exchange_id,
                    col(ExchangeEvent.seq) == rec.seq,
                )
            ).first()
            if already is not None:
                return False
            exchange = session.get(Exchange, rec.exchange_id, with_for_update=True)
            if exchange is None:
                raise LookupError(f"exchange {rec.exchange_id} is not in the database")
            at = datetime.fromisoformat(rec.at)
            session.add(
                ExchangeEvent(
                    exchange_id=rec.exchange_id,
                    seq=rec.seq,
                    at=at,
                    actor=rec.actor,
                    step=rec.step,
                    state=rec.state,
                    note=rec.note,
                )
            )
            exchange.state = rec.state
            exchange.updated_at = at
            if rec.decline_reason is not None:
                exchange.decline_reason = rec.decline_reason
            if rec.shipment is not None:
                exchange.shipment = asdict(rec.shipment)
            if rec.received_on is not None:
                exchange.received_on = date.fromisoformat(rec.received_on)
            if rec.accepted is not None or rec.received is not None:
                lines = {
                    line.id: line
                    for line in session.scalars(
                        select(ExchangeLine).where(col(ExchangeLine.exchange_id) == rec.exchange_id)
                    )
                }
                if rec.accepted is not None:
                    accepted = {q.line_id: q.quantity for q in rec.accepted}
                    for line in lines.values():
                        line.accepted_quantity = accepted.get(line.id, 0)
                for received in rec.received or []:
                    line = lines[received.line_id]
                    line.received = received.received
                    line.damaged = received.damaged
            session.add(exchange)
        return True
    except IntegrityError:
        # A concurrent retry of the same step won the race on (exchange_id, seq).
        return False
