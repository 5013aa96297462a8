"""The columns and statements the exchange reads share, built once.

The reads select only the columns they show (no ORM objects: hydrating them cost more than the
query, 100 per page) with statements built once, so SQLAlchemy reuses their compiled form
instead of matching new statement objects to it. ``exchange_queries`` reads one exchange and
the list with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam, case, func, or_
from sqlalchemy import select as core_select
from sqlmodel import SQLModel

from services.exchange.models import (
    Claim,
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    MarcBatch,
    Partner,
)
from services.exchange.schemas.exchanges import ClaimOut, HistoryOut, LineOut
from services.exchange.service.keys import Caller

OUTGOING = "outgoing"
INCOMING = "incoming"


def seen_direction(caller: Caller, stored: str) -> str:
    """Stored directions are ours; a partner sees them from its own side."""
    if caller.is_staff:
        return stored
    return INCOMING if stored == OUTGOING else OUTGOING


def receipt_due(shipped_on: date | None, receipt_days: int | None) -> date | None:
    """When the recipient should have the parcel: the agreement's days after shipment."""
    return shipped_on + timedelta(days=receipt_days) if shipped_on and receipt_days else None


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_EXCHANGES, _PARTNERS = _table(Exchange), _table(Partner)
_EX, _PARTNER = _EXCHANGES.c, _PARTNERS.c
_LINE = _table(ExchangeLine).c
_EVENT = _table(ExchangeEvent).c
_CLAIM = _table(Claim).c
_BATCH = _table(MarcBatch).c
_SUMMARY_COLUMNS = (
    _EX.id,
    _EX.state,
    _EX.direction,
    _EX.respond_by,
    _EX.created_at,
    _EX.updated_at,
    _PARTNER.code,
    _PARTNER.name,
    _EX.number,
)
SUMMARY_WIDTH = len(_SUMMARY_COLUMNS)
# What the pages' lists show besides the summary: the receipt due.
_PAGE_COLUMNS = (_EX.shipment, _EX.receipt_days)
_WITH_PARTNER = _EX.partner_id == _PARTNER.id
_BY_EXCHANGE: BindParameter[str] = bindparam("exchange_id")
# An exchange is found by its id or by its number (EX-2026-0042, in any case).
_BY_ID_OR_NUMBER = or_(_EX.id == _BY_EXCHANGE, _EX.number == bindparam("number"))
_DETAIL = (
    core_select(
        *_SUMMARY_COLUMNS,
        _EX.partner_id,
        _EX.decline_reason,
        _EX.cancel_reason,
        _EX.shipment,
        _EX.receipt_days,
        _EX.received_on,
        _EX.completed_on,
    )
    .join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
    .where(_BY_ID_OR_NUMBER)
)
_LINES = (
    core_select(*(_LINE[name] for name in LineOut.model_fields))
    .where(_LINE.exchange_id == _BY_EXCHANGE)
    .order_by(_LINE.position)
)
_HISTORY = (
    core_select(*(_EVENT[name] for name in HistoryOut.model_fields if name != "actor_name"))
    .where(_EVENT.exchange_id == _BY_EXCHANGE)
    .order_by(_EVENT.seq)
)
_CLAIMS = (
    core_select(*(_CLAIM[name] for name in ClaimOut.model_fields))
    .where(_CLAIM.exchange_id == _BY_EXCHANGE)
    .order_by(_CLAIM.id)
)
_BATCHES = (
    core_select(_BATCH.id).where(_BATCH.exchange_id == _BY_EXCHANGE).order_by(_BATCH.created_at)
)
# What a list shows of the lines of the exchanges on one page, in one grouped query: lines,
# copies, the first title alphabetically (the pages), copies accepted (NULL while nothing is)
# and the titles of the first lines in their order (the API); positions count from 1.
LISTED_TITLES = 3
_LINE_TOTALS = (
    core_select(
        _LINE.exchange_id,
        func.count(),
        func.coalesce(func.sum(_LINE.quantity), 0),
        func.min(_LINE.title),
        func.sum(_LINE.accepted_quantity),
        *(
            func.max(case((_LINE.position == position, _LINE.title)))
            for position in range(1, LISTED_TITLES + 1)
        ),
    )
    .where(_LINE.exchange_id.in_(bindparam("exchange_ids", expanding=True)))
    .group_by(_LINE.exchange_id)
)


def _summary_fields(
    caller: Caller, home: str, home_name: str | None, row: Sequence[Any]
) -> dict[str, Any]:
    """One exchange as the caller sees it, from a row that starts with ``_SUMMARY_COLUMNS``."""
    exchange_id, state, direction, respond_by, created_at, updated_at, code, name, number = row[
        :SUMMARY_WIDTH
    ]
    outgoing = direction == OUTGOING
    ours = home_name or home
    return {
        "id": exchange_id,
        "number": number,
        "state": state,
        "direction": seen_direction(caller, direction),
        "sender": home if outgoing else code,
        "recipient": code if outgoing else home,
        "partner": code,
        "sender_name": ours if outgoing else name,
        "recipient_name": name if outgoing else ours,
        "partner_name": name,
        "respond_by": respond_by,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def _line_fields(
    line_count: int, titles: Sequence[str | None], offered: int, accepted: int | None
) -> dict[str, Any]:
    """What a list item (and an exchange) says of its lines, without the lines themselves."""
    return {
        "line_count": line_count,
        "titles": [title for title in titles if title is not None],
        "copies_offered": offered,
        "copies_accepted": accepted,
    }
