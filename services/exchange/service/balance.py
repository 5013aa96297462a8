"""The balance with a partner, counted in its agreement's model, and what a proposal does to it.

An agreement chooses how the two sides keep count (``Agreement.balance_model``): ``blanket``
keeps no balance against the partner (the figures are shown for the yearly review, the balance
is null and nothing is ever warned about), ``pieces`` counts copies, ``titles`` titles and
``value`` declared values, brought into the agreement's currency with the rate staff recorded
for the year of each ledger entry (``exchange_rate``). An amount in a currency with no rate
for its year is not guessed: it is listed in ``unconverted`` and left out until a rate is
recorded. The balance is sent minus received: positive when we sent more.

Everything is read from the ledger (``LedgerEntry``, one row per completed exchange and
currency), so a year's balance does not change once the year is over, except by a rate
recorded later. Both the API and the pages call these functions: one place for each rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final, Literal, cast

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.balance_models import ExchangeRate
from services.exchange.models import Agreement, Exchange, ExchangeLine, LedgerEntry, Partner
from services.exchange.problems import not_found
from services.exchange.schemas.reports import (
    BalanceModel,
    BalanceOut,
    BalancePreviewOut,
    Flow,
    ModelFigures,
    QuotaOut,
)
from services.exchange.service import agreements
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from workflows.errors import N_
from workflows.exchange.types import LineSpec

OUTGOING = "outgoing"
INCOMING = "incoming"
BLANKET: Final = "blanket"
PIECES: Final = "pieces"
TITLES: Final = "titles"
VALUE: Final = "value"
Unit = Literal["copies", "titles", "value"]
UNITS: dict[str, Unit | None] = {BLANKET: None, PIECES: "copies", TITLES: "titles", VALUE: "value"}
# Exchanges under way: not in the ledger yet, but they will be (a preview counts them).
OPEN_STATES = ("proposed", "accepted", "shipped", "received", "catalogued")
CENT = Decimal("0.01")
UNKNOWN_CURRENCY = "?"


@dataclass(frozen=True, slots=True)
class Counting:
    """How an agreement counts: its model, the value model's currency, the tolerance."""

    model: BalanceModel
    currency: str | None
    tolerance: Decimal | None

    @property
    def unit(self) -> Unit | None:
        return UNITS[self.model]


def counting(agreement: Agreement | None) -> Counting:
    """An agreement's way of counting; without one (or with an unknown model), pieces."""
    if agreement is None or agreement.balance_model not in UNITS:
        return Counting(PIECES, None, None)
    model = cast(BalanceModel, agreement.balance_model)
    currency = agreement.currency if model == VALUE else None
    return Counting(model, currency, agreement.tolerance)


def agreement_for_year(session: Session, partner_id: int, year: int) -> Agreement | None:
    """The agreement that counts for a year: the one valid at its end, else at its start."""
    return agreements.valid_on(session, partner_id, date(year, 12, 31)) or agreements.valid_on(
        session, partner_id, date(year, 1, 1)
    )


class Rates:
    """The recorded rates into one currency, read once per balance."""

    def __init__(self, session: Session, to_currency: str | None) -> None:
        self.to_currency = to_currency
        self._rates: dict[tuple[int, str], Decimal] = {}
        if to_currency is not None:
            rows = session.scalars(
                select(ExchangeRate).where(col(ExchangeRate.to_currency) == to_currency)
            )
            self._rates = {(r.year, r.currency): r.rate for r in rows}

    def convert(self, year: int, currency: str, amount: Decimal) -> Decimal | None:
        if self.to_currency is None:
            return None
        if currency == self.to_currency:
            return amount
        rate = self._rates.get((year, currency))
        return None if rate is None else (amount * rate).quantize(CENT)


def convert(
    session: Session, year: int, currency: str, to_currency: str, amount: Decimal
) -> Decimal | None:
    """``amount`` of ``currency`` in ``to_currency`` at the rate recorded for ``year``: the
    amount itself for the same currency, None when no rate was recorded."""
    if currency == to_currency:
        return amount
    rate = session.scalars(
        select(col(ExchangeRate.rate)).where(
            col(ExchangeRate.year) == year,
            col(ExchangeRate.currency) == currency,
            col(ExchangeRate.to_currency) == to_currency,
        )
    ).first()
    return None if rate is None else (amount * rate).quantize(CENT)


@dataclass(slots=True)
class Tally:
    """Sent and received in the model's unit, and the values no rate could convert."""

    sent: Decimal = Decimal(0)
    received: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def add(self, direction: str, amount: Decimal) -> None:
        if direction == OUTGOING:
            self.sent += amount
        else:
            self.received += amount

    def leave_out(self, currency: str, amount: Decimal) -> None:
        key = currency or UNKNOWN_CURRENCY
        self.unconverted[key] = self.unconverted.get(key, Decimal(0)) + amount

    @property
    def balance(self) -> Decimal:
        return self.sent - self.received

    def figures(self, how: Counting) -> ModelFigures:
        return ModelFigures(
            sent=self.sent,
            received=self.received,
            balance=None if how.model == BLANKET else self.balance,
            unconverted=dict(sorted(self.unconverted.items())),
        )


def _count(
    tally: Tally,
    how: Counting,
    rates: Rates,
    direction: str,
    year: int,
    titles: int,
    copies: int,
    currency: str,
    value: Decimal | None,
) -> None:
    """Add one amount (a ledger entry, an open exchange's line, a previewed line) in the model.

    The blanket model shows copies: it keeps no balance, but staff still see what moved.
    """
    if how.model == TITLES:
        tally.add(direction, Decimal(titles))
    elif how.model != VALUE:
        tally.add(direction, Decimal(copies))
    elif value is not None:
        converted = rates.convert(year, currency, value) if currency else None
        if converted is None:
            tally.leave_out(currency, value)
        else:
            tally.add(direction, converted)


def _tally(entries: Iterable[LedgerEntry], how: Counting, rates: Rates) -> Tally:
    tally = Tally()
    for e in entries:
        _count(tally, how, rates, e.direction, e.year, e.titles, e.copies, e.currency, e.value)
    return tally


def flow(entries: Sequence[LedgerEntry]) -> Flow:
    """Exchanges, titles, copies, declared values and purchase costs as the ledger holds them."""
    value: dict[str, Decimal] = {}
    cost: dict[str, Decimal] = {}
    for e in entries:
        key = e.currency or UNKNOWN_CURRENCY
        if e.value is not None:
            value[key] = value.get(key, Decimal(0)) + e.value
        if e.purchase_cost is not None:
            cost[key] = cost.get(key, Decimal(0)) + e.purchase_cost
    return Flow(
        exchanges=len({e.exchange_id for e in entries if e.exchange_id is not None}),
        titles=sum(e.titles for e in entries),
        copies=sum(e.copies for e in entries),
        value=value,
        purchase_cost=cost,
    )


def within(how: Counting, running: Decimal | None) -> bool | None:
    """Whether a running balance is within the tolerance; None when none is kept or set."""
    if how.model == BLANKET or how.tolerance is None or running is None:
        return None
    return abs(running) <= how.tolerance


def partner_balance(session: Session, partner: Partner, year: int) -> BalanceOut:
    """The balance with ``partner`` for ``year`` and running through it, in the model of the
    agreement that counts for the year. No caller check: the caller checked visibility."""
    assert partner.id is not None
    entries = list(
        session.scalars(
            select(LedgerEntry).where(
                col(LedgerEntry.partner_id) == partner.id, col(LedgerEntry.year) <= year
            )
        )
    )
    agreement = agreement_for_year(session, partner.id, year)
    how = counting(agreement)
    rates = Rates(session, how.currency)
    this_year = [e for e in entries if e.year == year]
    sent = flow([e for e in this_year if e.direction == OUTGOING])
    received = flow([e for e in this_year if e.direction == INCOMING])
    running = _tally(entries, how, rates)
    return BalanceOut(
        partner=partner.code,
        year=year,
        sent=sent,
        received=received,
        balance_copies=sent.copies - received.copies,
        balance_titles=sent.titles - received.titles,
        quota=QuotaOut(
            yearly=agreement.yearly_quota if agreement else None,
            sent=sent.copies,
            received=received.copies,
        ),
        model=how.model,
        unit=how.unit,
        currency=how.currency,
        tolerance=how.tolerance,
        year_figures=_tally(this_year, how, rates).figures(how),
        running=running.figures(how),
        within_tolerance=within(how, running.balance if how.model != BLANKET else None),
    )


def _open_copies(direction: str, line: ExchangeLine) -> int:
    """What an exchange under way will most likely move: what arrived, else what was accepted,
    else what was offered (we send what was accepted; they are counted at what arrived)."""
    if direction == OUTGOING:
        return line.accepted_quantity if line.accepted_quantity is not None else line.quantity
    for copies in (line.received, line.accepted_quantity):
        if copies is not None:
            return copies
    return line.quantity


def _open_exchanges(session: Session, partner_id: int, tally: Tally, how: Counting) -> None:
    """Add the exchanges under way (not in the ledger yet) at this year's rates."""
    rates = Rates(session, how.currency)
    year = datetime.now(UTC).year
    rows = session.execute(
        select(Exchange.direction, ExchangeLine)
        .join(ExchangeLine, col(ExchangeLine.exchange_id) == col(Exchange.id))
        .where(col(Exchange.partner_id) == partner_id, col(Exchange.state).in_(OPEN_STATES))
    )
    for direction, line in rows:
        copies = _open_copies(direction, line)
        if copies > 0:
            value = line.unit_value * copies if line.unit_value is not None else None
            _count(tally, how, rates, direction, year, 1, copies, line.currency or "", value)


def _detail(how: Counting, before: Decimal, after: Decimal) -> str:
    unit = how.currency if how.model == VALUE else how.unit
    side = "we would have sent" if after > 0 else "we would have received"
    return (
        f"the balance would go from {before} to {after} {unit}: {side} {abs(after)} more, "
        f"past the tolerance of {how.tolerance}"
    )


def preview(
    engine: Engine,
    caller: Caller,
    code: str,
    direction: Literal["outgoing", "incoming"],
    lines: Sequence[LineSpec],
) -> BalancePreviewOut:
    """What sending (outgoing) or receiving (incoming) ``lines`` would do to the running
    balance, with exchanges under way counted, and whether it would go past the tolerance
    and further from even. Staff only: a partner is told the partner does not exist."""
    if not caller.is_staff:
        raise not_found(N_("partner {code}").format(code=code))
    today = datetime.now(UTC).date()
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        assert partner.id is not None
        agreement = agreements.valid_on(session, partner.id, today) or agreement_for_year(
            session, partner.id, today.year
        )
        how = counting(agreement)
        rates = Rates(session, how.currency)
        before = _tally(
            session.scalars(
                select(LedgerEntry).where(
                    col(LedgerEntry.partner_id) == partner.id,
                    col(LedgerEntry.year) <= today.year,
                )
            ),
            how,
            rates,
        )
        _open_exchanges(session, partner.id, before, how)
        effect = Tally()
        for spec in lines:
            value = Decimal(spec.unit_value) * spec.quantity if spec.unit_value else None
            _count(
                effect,
                how,
                rates,
                direction,
                today.year,
                1,
                spec.quantity,
                spec.currency or "",
                value,
            )
    unconverted = dict(before.unconverted)
    for currency, amount in effect.unconverted.items():
        unconverted[currency] = unconverted.get(currency, Decimal(0)) + amount
    kept = how.model != BLANKET
    now, after = before.balance, before.balance + effect.balance
    warning = (
        kept and how.tolerance is not None and abs(after) > how.tolerance and abs(after) > abs(now)
    )
    return BalancePreviewOut(
        partner=partner.code,
        model=how.model,
        unit=how.unit,
        currency=how.currency,
        tolerance=how.tolerance,
        before=now if kept else None,
        effect=effect.balance if kept else None,
        after=after if kept else None,
        warning=warning,
        detail=_detail(how, now, after) if warning else None,
        unconverted=dict(sorted(unconverted.items())),
    )
