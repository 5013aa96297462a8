"""Reading exchanges: one exchange as its reader sees it, and the exchange list.

The API and the pages list exchanges through the same query with optional filters
(``ListQuery``); the pages ask for a few more columns and the line totals of the page.
Directions are stored from our side (``outgoing``: we send) and turned round for a partner.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Integer,
    Select,
    bindparam,
    func,
    or_,
)
from sqlalchemy import select as core_select

from services.exchange.problems import not_found
from services.exchange.schemas.common import Page
from services.exchange.schemas.exchanges import (
    ExchangeOut,
    ExchangeSummary,
    ShipmentOut,
)
from services.exchange.service import actors, read_cache
from services.exchange.service.access import sees
from services.exchange.service.context import Context
from services.exchange.service.exchange_columns import (  # noqa: F401 (re-exported)
    _BATCHES,
    _CLAIMS,
    _DETAIL,
    _EX,
    _EXCHANGES,
    _HISTORY,
    _LINE,
    _LINE_TOTALS,
    _LINES,
    _PAGE_COLUMNS,
    _PARTNER,
    _PARTNERS,
    _SUMMARY_COLUMNS,
    _WITH_PARTNER,
    INCOMING,
    LISTED_TITLES,
    OUTGOING,
    SUMMARY_WIDTH,
    _line_fields,
    _summary_fields,
    receipt_due,
    seen_direction,
)
from services.exchange.service.keys import Caller
from services.exchange.service.list_orders import exchange_order
from services.exchange.service.sorting import Sort


def view(
    engine: Engine,
    home: str,
    caller: Caller,
    exchange_id: str,
    *,
    home_name: str | None = None,
) -> ExchangeOut:
    """One exchange, by its id or its number, as ``caller`` sees it; our library is ``home``
    (its code) and ``home_name`` (its name; the code when not given)."""
    with engine.connect() as conn:
        found = conn.execute(
            _DETAIL, {"exchange_id": exchange_id, "number": exchange_id.upper()}
        ).first()
        if found is None or not sees(caller, found.partner_id):
            raise not_found(f"exchange {exchange_id}")
        which = {"exchange_id": found.id}
        lines = conn.execute(_LINES, which).all()
        events = conn.execute(_HISTORY, which).all()
        claims = conn.execute(_CLAIMS, which).all()
        batches = conn.execute(_BATCHES, which).scalars().all()
        who = actors.names(
            conn,
            {event.actor for event in events},
            home_code=home,
            home_name=home_name or home,
            for_staff=caller.is_staff,
        )
    shipment = ShipmentOut.model_validate(found.shipment) if found.shipment else None
    accepted = [line.accepted_quantity for line in lines if line.accepted_quantity is not None]
    return ExchangeOut.model_validate(
        {
            **_summary_fields(caller, home, home_name, found),
            **_line_fields(
                len(lines),
                [line.title for line in lines[:LISTED_TITLES]],
                sum(line.quantity for line in lines),
                sum(accepted) if accepted else None,
            ),
            "lines": [line._asdict() for line in lines],
            "decline_reason": found.decline_reason,
            "cancel_reason": found.cancel_reason,
            "shipment": shipment,
            "receipt_due": receipt_due(
                shipment.shipped_on if shipment else None, found.receipt_days
            ),
            "received_on": found.received_on,
            "completed_on": found.completed_on,
            "claims": [
                {
                    **claim._asdict(),
                    "raised_at": claim.raised_at,
                    "settled_at": claim.settled_at,
                }
                for claim in claims
            ],
            "history": [
                {**event._asdict(), "at": event.at, "actor_name": who[event.actor]}
                for event in events
                if caller.is_staff or not _to_staff(event.step, event.note_params, home)
            ],
            "marc_batches": list(batches),
        }
    )


def _to_staff(step: str, params: dict[str, Any] | None, home: str) -> bool:
    """A notice to our own staff (``staff-notices``): part of our history, not the partner's."""
    return step == "notice" and bool(params) and (params or {}).get("party") == home


# --- the exchange list -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """What an exchange list was asked for; a filter left empty is not applied.

    Hashable, so it is part of the read cache's key. ``direction`` is seen from the reader's
    side; ``q`` is words to find in the lines' title, author or ISBN, in the exchange's number
    (EX-2026-0042, or a part of it such as 2026-0042), or the start of the exchange id.
    """

    state: str | None = None
    partner: str | None = None
    direction: str | None = None
    year: int | None = None
    q: str | None = None
    limit: int = 100
    offset: int = 0
    sort: Sort | None = None  # a column of ``list_orders.EXCHANGE_COLUMNS``; None: newest first


# Built once per combination of filters (the number of words counts as one), values left as
# binds. The API's combinations are few; the pages' text search has one per number of words,
# so the cache is bounded.
@functools.lru_cache(maxsize=256)
def _list_statements(
    own_only: bool,
    by_state: bool,
    by_partner: bool,
    by_direction: bool,
    by_year: bool,
    words: int,
    page_columns: bool,
    sort: Sort | None = None,
) -> tuple[Select[Any], Select[Any]]:
    """The page query and its count for one combination of filters, values left as binds."""
    conditions = []
    if own_only:
        conditions.append(_EX.partner_id == bindparam("partner_id"))
    if by_state:
        conditions.append(_EX.state == bindparam("state"))
    if by_partner:
        conditions.append(_PARTNER.code == bindparam("partner"))
    if by_direction:
        conditions.append(_EX.direction == bindparam("direction"))
    if by_year:  # a range, not EXTRACT: the index serves it, and it is UTC on any server
        conditions.append(_EX.created_at >= bindparam("year_starts"))
        conditions.append(_EX.created_at < bindparam("year_ends"))
    for n in range(words):
        pattern: BindParameter[str] = bindparam(f"word_{n}")
        matching_lines = core_select(_LINE.exchange_id).where(
            or_(
                _LINE.title.ilike(pattern),
                _LINE.author.ilike(pattern),
                func.replace(_LINE.isbn, "-", "").ilike(bindparam(f"isbn_{n}")),
            )
        )
        conditions.append(
            or_(
                _EX.id.in_(matching_lines),
                _EX.id.startswith(bindparam(f"prefix_{n}")),
                _EX.number.ilike(pattern),
            )
        )
    page = (
        exchange_order(
            core_select(*_SUMMARY_COLUMNS, *(_PAGE_COLUMNS if page_columns else ()))
            .join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
            .where(*conditions),
            sort,
        )
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    count = core_select(func.count()).select_from(_EXCHANGES)
    if by_partner:  # only the partner's code needs the join
        count = count.join_from(_EXCHANGES, _PARTNERS, _WITH_PARTNER)
    return page, count.where(*conditions)


def _year(year: int) -> tuple[datetime, datetime]:
    """From its 1 January to the next, in UTC; a year no date can have matches nothing."""
    if not MINYEAR <= year < MAXYEAR:
        nothing = datetime(MINYEAR, 1, 1, tzinfo=UTC)
        return nothing, nothing
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def list_rows(
    conn: Connection, caller: Caller, query: ListQuery, *, page_columns: bool = False
) -> tuple[Sequence[Sequence[Any]], int]:
    """One page of the caller's exchanges, newest first, and how many there are in all.

    Each row holds the summary columns (id, state, stored direction, respond by, created,
    updated, partner code, partner name, number: ``SUMMARY_WIDTH`` of them); with
    ``page_columns`` the shipment and the receipt days follow.
    """
    words = (query.q or "").split()
    direction = query.direction
    page, count = _list_statements(
        not caller.is_staff,
        bool(query.state),
        bool(query.partner),
        bool(direction),
        bool(query.year),
        len(words),
        page_columns,
        query.sort,
    )
    year = _year(query.year) if query.year else (None, None)
    values: dict[str, Any] = {
        "partner_id": caller.partner_id,
        "state": query.state,
        "partner": query.partner,
        "direction": seen_direction(caller, direction) if direction else None,
        "year_starts": year[0],
        "year_ends": year[1],
        "limit": query.limit,
        "offset": query.offset,
    }
    for n, word in enumerate(words):
        values[f"word_{n}"] = f"%{word}%"
        values[f"isbn_{n}"] = f"%{word.replace('-', '')}%"
        values[f"prefix_{n}"] = word
    rows = conn.execute(page, values).all()
    if len(rows) < query.limit and (rows or not query.offset):
        total = query.offset + len(rows)  # the last page: nothing to count
    else:
        total = conn.execute(count, values).scalar_one()
    return rows, total


def _line_rows(conn: Connection, exchange_ids: Sequence[str]) -> Sequence[Sequence[Any]]:
    if not exchange_ids:
        return []
    return conn.execute(_LINE_TOTALS, {"exchange_ids": list(exchange_ids)}).all()


def _listed_lines(conn: Connection, exchange_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``_line_fields`` of each exchange on a page of the API's list."""
    return {
        exchange_id: _line_fields(lines, titles, copies, accepted)
        for exchange_id, lines, copies, _first, accepted, *titles in _line_rows(conn, exchange_ids)
    }


_NO_LINES = _line_fields(0, [], 0, None)


def list_for(
    engine: Engine,
    home: str,
    caller: Caller,
    query: ListQuery,
    *,
    home_name: str | None = None,
) -> Page[ExchangeSummary]:
    with engine.connect() as conn:
        rows, total = list_rows(conn, caller, query)
        lines = _listed_lines(conn, [row[0] for row in rows])
    return _PAGE.validate_python(
        {
            "items": [
                {**_summary_fields(caller, home, home_name, row), **lines.get(row[0], _NO_LINES)}
                for row in rows
            ],
            "total": total,
            "limit": query.limit,
            "offset": query.offset,
        }
    )


_PAGE: TypeAdapter[Page[ExchangeSummary]] = TypeAdapter(Page[ExchangeSummary])
_EXCHANGE: TypeAdapter[ExchangeOut] = TypeAdapter(ExchangeOut)


async def list_answer(ctx: Context, caller: Caller, query: ListQuery) -> read_cache.Answer:
    """``list_for`` as JSON, from the read cache while the database has not changed."""

    def build() -> bytes:
        settings = ctx.settings
        return _PAGE.dump_json(
            list_for(ctx.engine, settings.home_code, caller, query, home_name=settings.home_name)
        )

    key = ("list", caller.role, caller.partner_id, query)
    return await read_cache.answer(ctx.reads, key, build)


async def view_answer(ctx: Context, caller: Caller, exchange_id: str) -> read_cache.Answer:
    """``view`` as JSON, from the read cache while the database has not changed."""
    key = ("exchange", caller.role, caller.partner_id, exchange_id)

    def build() -> bytes:
        settings = ctx.settings
        return _EXCHANGE.dump_json(
            view(ctx.engine, settings.home_code, caller, exchange_id, home_name=settings.home_name)
        )

    return await read_cache.answer(ctx.reads, key, build)
