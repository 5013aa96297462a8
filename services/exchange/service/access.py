"""Who may see an exchange: its two sides. Everyone else is told it does not exist."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, Partner
from services.exchange.problems import not_found
from services.exchange.service.keys import Caller
from workflows.errors import N_


def sees(caller: Caller, partner_id: int | None) -> bool:
    """Staff see every exchange; a partner only those it is a side of."""
    return caller.is_staff or partner_id == caller.partner_id


def visible(session: Session, caller: Caller, exchange_id: str) -> tuple[Exchange, Partner]:
    """The exchange if the caller is one of its sides; otherwise it does not exist for them."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is None or not sees(caller, exchange.partner_id):
        raise not_found(N_("exchange {exchange_id}").format(exchange_id=exchange_id))
    partner = session.get(Partner, exchange.partner_id)
    assert partner is not None
    return exchange, partner


def require_visible(engine: Engine, caller: Caller, exchange_id: str) -> None:
    """The same check as ``visible`` for callers without a session; reads one column only."""
    with engine.connect() as conn:
        found = conn.execute(
            core_select(col(Exchange.partner_id)).where(col(Exchange.id) == exchange_id)
        ).first()
    if found is None or not sees(caller, found[0]):
        raise not_found(N_("exchange {exchange_id}").format(exchange_id=exchange_id))


def visible_partner(session: Session, caller: Caller, code: str) -> Partner:
    partner = session.scalars(select(Partner).where(col(Partner.code) == code)).first()
    if partner is None or (not caller.is_staff and partner.id != caller.partner_id):
        raise not_found(N_("partner {code}").format(code=code))
    return partner
