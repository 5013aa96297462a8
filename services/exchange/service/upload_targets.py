"""The exchanges a reader may upload MARC records to, for the upload form to list.

An upload form that asks for an exchange's id invites a wrong one; one that lists the
exchanges the reader may upload to cannot be given one. The list holds what
``upload_access`` allows (the rule the upload itself checks) and leaves out the exchanges that
have ended, which the exchange's workflow refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlmodel import col

from services.exchange.models import Exchange, ExchangeLine, Partner
from services.exchange.service import upload_access
from services.exchange.service.keys import Caller
from workflows.exchange.types import FINAL_STATES

_INCOMING = "incoming"  # a stored direction: the partner sends to us


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """One exchange in the upload form's list: enough for a person to recognise it."""

    id: str
    number: str | None
    partner: str
    partner_name: str
    state: str
    title: str | None
    lines: int

    @property
    def label(self) -> str:
        """The exchange as people name it: its number (its id's start before it has one)."""
        return self.number or self.id[:8]


def upload_targets(engine: Engine, caller: Caller, limit: int = 500) -> list[UploadTarget]:
    """The exchanges ``caller`` may upload to now, the most recently changed first."""
    lines = (
        select(
            col(ExchangeLine.exchange_id).label("exchange_id"),
            func.count().label("lines"),
            func.min(ExchangeLine.title).label("title"),
        )
        .group_by(col(ExchangeLine.exchange_id))
        .subquery()
    )
    query = (
        select(
            col(Exchange.id),
            col(Exchange.number),
            col(Exchange.direction),
            col(Exchange.state),
            col(Partner.code),
            col(Partner.name),
            lines.c.title,
            lines.c.lines,
        )
        .join(Partner, col(Partner.id) == col(Exchange.partner_id))
        .join(lines, lines.c.exchange_id == col(Exchange.id), isouter=True)
        .where(col(Exchange.state).not_in(sorted(FINAL_STATES)))
        .order_by(col(Exchange.updated_at).desc(), col(Exchange.id))
        .limit(limit)
    )
    if not caller.is_staff:
        query = query.where(col(Exchange.partner_id) == caller.partner_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        UploadTarget(
            id=exchange_id,
            number=number,
            partner=code,
            partner_name=name,
            state=state,
            title=title,
            lines=count or 0,
        )
        for exchange_id, number, direction, state, code, name, title, count in rows
        if upload_access.may_upload(caller, direction == _INCOMING, state)
    ]
