"""The cataloguers' queue: parcels we received whose records nobody has committed yet.

An exchange where we are the recipient becomes ``catalogued`` only when a batch of its
records is committed; until then it waits here, with its newest batch (staged, committing,
failed...) so that the cataloguer can go straight to its review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, exists, func
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, ExchangeLine, MarcBatch, Partner
from services.exchange.service import batch_states as bs
from services.exchange.service.exchange_queries import INCOMING
from workflows.exchange.types import RECEIVED


@dataclass(frozen=True, slots=True)
class Waiting:
    id: str
    number: str | None
    partner: str
    partner_name: str
    received_on: date | None
    lines: int
    copies: int
    batch_id: str | None  # its newest batch, if any has been uploaded
    batch_state: str | None
    batch_at: datetime | None


def waiting_exchanges(engine: Engine, limit: int = 100) -> list[Waiting]:
    """Received exchanges sent to us with no committed batch, the longest waiting first."""
    committed = exists(
        select(col(MarcBatch.id)).where(
            col(MarcBatch.exchange_id) == col(Exchange.id),
            col(MarcBatch.state) == bs.COMMITTED,
            col(MarcBatch.dry_run).is_(False),
        )
    )
    with Session(engine) as session:
        found = session.exec(
            select(Exchange, Partner)
            .join(Partner, col(Partner.id) == col(Exchange.partner_id))
            .where(
                col(Exchange.direction) == INCOMING,
                col(Exchange.state) == RECEIVED,
                ~committed,
            )
            .order_by(col(Exchange.received_on).nulls_last(), col(Exchange.updated_at))
            .limit(limit)
        ).all()
        ids = [exchange.id for exchange, _ in found]
        totals = {
            exchange_id: (lines, copies or 0)
            for exchange_id, lines, copies in session.exec(
                select(
                    col(ExchangeLine.exchange_id),
                    func.count(),
                    func.sum(col(ExchangeLine.quantity)),
                )
                .where(col(ExchangeLine.exchange_id).in_(ids))
                .group_by(col(ExchangeLine.exchange_id))
            )
        }
        newest: dict[str, MarcBatch] = {}
        for batch in session.exec(
            select(MarcBatch)
            .where(col(MarcBatch.exchange_id).in_(ids), col(MarcBatch.dry_run).is_(False))
            .order_by(col(MarcBatch.created_at))
        ):
            assert batch.exchange_id is not None
            newest[batch.exchange_id] = batch
    rows = []
    for exchange, partner in found:
        lines, copies = totals.get(exchange.id, (0, 0))
        latest = newest.get(exchange.id)
        rows.append(
            Waiting(
                id=exchange.id,
                number=exchange.number,
                partner=partner.code,
                partner_name=partner.name,
                received_on=exchange.received_on,
                lines=lines,
                copies=copies,
                batch_id=latest.id if latest else None,
                batch_state=latest.state if latest else None,
                batch_at=latest.created_at if latest else None,
            )
        )
    return rows
