"""The balance ledger and the annual report (the balance itself: ``service.balance``).

Ledger entries are written once per completed exchange (in the same transaction as the
``complete`` step), so the balance is a sum over rows that never change afterwards.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, extract
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, ExchangeLine, LedgerEntry, Partner
from services.exchange.schemas.reports import BalanceOut
from services.exchange.service import balance as balance_model
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller

OUTGOING = "outgoing"
INCOMING = "incoming"


def ledger_entries(
    exchange: Exchange, lines: list[ExchangeLine], completed_on: date
) -> list[LedgerEntry]:
    """What the exchange moved: copies shipped for ours, copies received for theirs.

    One entry per currency: the declared values (unit value x copies) and, apart from them,
    what the copies bought to send cost (purchase cost x copies), each in the line's currency.
    """
    moved = [
        (
            line,
            (line.accepted_quantity or 0)
            if exchange.direction == OUTGOING
            else (line.received or 0),
        )
        for line in lines
    ]
    moved = [(line, copies) for line, copies in moved if copies > 0]
    by_currency: dict[str, _Moved] = {}
    for line, copies in moved:
        priced = line.unit_value is not None or line.purchase_cost is not None
        currency = (line.currency or "") if priced else ""
        group = by_currency.setdefault(currency, _Moved())
        group.titles += 1
        group.copies += copies
        if line.unit_value is not None:
            group.value = (group.value or Decimal(0)) + line.unit_value * copies
        if line.purchase_cost is not None:
            group.cost = (group.cost or Decimal(0)) + line.purchase_cost * copies
    if not by_currency:
        by_currency[""] = _Moved()
    return [
        LedgerEntry(
            exchange_id=exchange.id,
            partner_id=exchange.partner_id,
            year=completed_on.year,
            direction=exchange.direction,
            titles=group.titles,
            copies=group.copies,
            currency=currency,
            value=group.value,
            purchase_cost=group.cost,
        )
        for currency, group in sorted(by_currency.items())
    ]


@dataclass(slots=True)
class _Moved:
    titles: int = 0
    copies: int = 0
    value: Decimal | None = None
    cost: Decimal | None = None


def balance(engine: Engine, caller: Caller, code: str, year: int) -> BalanceOut:
    """The balance with a partner in a year and running through it, in its agreement's model
    (``service.balance``); a partner reads only its own."""
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        return balance_model.partner_balance(session, partner, year)


REPORT_COLUMNS = [
    "exchange_id",
    "partner",
    "direction",
    "state",
    "proposed_on",
    "completed_on",
    "line",
    "title",
    "isbn",
    "issn",
    "author",
    "year",
    "offered",
    "accepted",
    "received",
    "damaged",
    "unit_value",
    "currency",
    # Added later, so at the end: a reader that counts columns still finds the others.
    "exchange_number",
    "partner_name",
]


def exchanges_csv(engine: Engine, year: int) -> Iterator[str]:
    """One row per exchange line of the exchanges proposed in ``year``, for the annual report."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    yield _drain(buffer)
    with Session(engine) as session:
        rows = session.execute(
            select(Exchange, Partner, ExchangeLine)
            .join(Partner, col(Partner.id) == col(Exchange.partner_id))
            .join(ExchangeLine, col(ExchangeLine.exchange_id) == col(Exchange.id))
            .where(extract("year", col(Exchange.created_at)) == year)
            .order_by(col(Exchange.created_at), col(Exchange.id), col(ExchangeLine.position))
            .execution_options(yield_per=500)
        )
        for exchange, partner, line in rows:
            writer.writerow(
                [
                    exchange.id,
                    partner.code,
                    exchange.direction,
                    exchange.state,
                    exchange.created_at.date().isoformat(),
                    exchange.completed_on.isoformat() if exchange.completed_on else "",
                    line.position,
                    line.title,
                    line.isbn or "",
                    line.issn or "",
                    line.author or "",
                    line.year or "",
                    line.quantity,
                    _blank(line.accepted_quantity),
                    _blank(line.received),
                    _blank(line.damaged),
                    _blank(line.unit_value),
                    line.currency or "",
                    exchange.number or "",
                    partner.name,
                ]
            )
            yield _drain(buffer)


def table_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """A list exported as the pages show it: UTF-8 with a byte-order mark (so that Excel reads
    Cyrillic rightly), the header row, then each row, streamed as it is written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    yield _drain(buffer)
    for row in rows:
        writer.writerow([_blank(value) for value in row])
        yield _drain(buffer)


def _blank(value: object) -> object:
    return "" if value is None else value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
