"""The year's statistics: exchanges, titles, copies and value each way, by material and
language, per partner and for all partners, with the balance, open claims and losses.

One place for the counts that the API (``GET /api/v1/reports/yearly``), the statistics page
and the yearly report (CSV and PDF, ``statistics_report``) show, so the three never disagree.
They are counted from the lines of the exchanges completed in the year (the ledger's year,
``completed_on``), as the ledger counts them: copies shipped for ours, copies received for
theirs, a title being a line that moved at least one copy. The lines are read rather than the
ledger because the ledger keeps neither the material nor the language. The balance is the
balance module's (``balance.partner_balance``): the one place of each agreement's model.

Serial issues (issue 16) are material ``serial`` too, counted from their ledger entries
(``ledger_entry.serial_issue_id``, written once when an issue is received: by us for what a
partner sends, by the partner's confirmation of our dispatch for what we send) in the
entry's year, the issue's year, so that the statistics and the balance count the same
issues. A serial title counts once a year and way however many of its issues came; serial
titles state no language (``und``) and are no exchange.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from services.exchange.models import (
    Claim,
    Exchange,
    ExchangeEvent,
    ExchangeLine,
    LedgerEntry,
    Partner,
)
from services.exchange.problems import Problem
from services.exchange.schemas.statistics import (
    MATERIALS,
    BalancePoint,
    Counts,
    Figures,
    Losses,
    PartnerFigures,
    Split,
    YearCounts,
    YearlyOut,
)
from services.exchange.serial_models import SerialIssue
from services.exchange.service import balance
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from workflows.errors import N_

CHART_YEARS = 5  # the chosen year and the four before it
OUTGOING = "outgoing"
UNDETERMINED = "und"  # ISO 639-2 for "not stated"


def material(line: ExchangeLine) -> str:
    """A serial issue has an ISSN and no ISBN; everything else counts as a book."""
    return "serial" if line.issn and not line.isbn else "book"


def moved(direction: str, line: ExchangeLine) -> int:
    """The copies the line moved: shipped (accepted) for ours, received for theirs."""
    copies = line.accepted_quantity if direction == OUTGOING else line.received
    return max(copies or 0, 0)


@dataclass
class _Tally:
    """Counts being added up; ``exchanges`` and ``serials`` are sets so that an exchange
    counts once and a serial title once a year."""

    exchanges: set[str] = field(default_factory=set)
    serials: set[int] = field(default_factory=set)
    titles: int = 0
    copies: int = 0
    value: dict[str, Decimal] = field(default_factory=dict)
    purchase_cost: dict[str, Decimal] = field(default_factory=dict)

    def add(self, exchange_id: str, line: ExchangeLine | None, copies: int) -> None:
        self.exchanges.add(exchange_id)
        if line is None or copies <= 0:
            return
        self.titles += 1
        self.copies += copies
        currency = line.currency or "?"
        if line.unit_value is not None:
            self.value[currency] = self.value.get(currency, Decimal(0)) + line.unit_value * copies
        if line.purchase_cost is not None:
            cost = line.purchase_cost * copies
            self.purchase_cost[currency] = self.purchase_cost.get(currency, Decimal(0)) + cost

    def add_serial(self, serial_id: int, copies: int, currency: str, value: Decimal | None) -> None:
        """A serial issue's ledger entry: its title (once), its copies and value."""
        if copies <= 0:
            return
        self.serials.add(serial_id)
        self.copies += copies
        if value is not None:
            currency = currency or "?"
            self.value[currency] = self.value.get(currency, Decimal(0)) + value

    def out(self) -> Counts:
        return Counts(
            exchanges=len(self.exchanges),
            titles=self.titles + len(self.serials),
            copies=self.copies,
            value=dict(sorted(self.value.items())),
            purchase_cost=dict(sorted(self.purchase_cost.items())),
        )


@dataclass
class _Ways:
    sent: _Tally = field(default_factory=_Tally)
    received: _Tally = field(default_factory=_Tally)

    def way(self, direction: str) -> _Tally:
        return self.sent if direction == OUTGOING else self.received


@dataclass
class _Counter:
    """Everything counted for one partner, or for all."""

    year: _Ways = field(default_factory=_Ways)
    material: dict[str, _Ways] = field(default_factory=lambda: defaultdict(_Ways))
    language: dict[str, _Ways] = field(default_factory=lambda: defaultdict(_Ways))
    years: dict[int, _Ways] = field(default_factory=lambda: defaultdict(_Ways))
    open_claims: int = 0
    lost_exchanges: set[str] = field(default_factory=set)
    lost_copies: int = 0
    written_off_claims: int = 0
    written_off_copies: int = 0

    def figures(self, first: int, last: int) -> Figures:
        def splits(parts: dict[str, _Ways], order: Iterable[str]) -> list[Split]:
            return [
                Split(key=key, sent=parts[key].sent.out(), received=parts[key].received.out())
                for key in order
                if key in parts
            ]

        languages = sorted(
            self.language, key=lambda k: (k == UNDETERMINED, -_copies(self.language[k]), k)
        )
        return Figures(
            sent=self.year.sent.out(),
            received=self.year.received.out(),
            by_material=splits(self.material, MATERIALS),
            by_language=splits(self.language, languages),
            open_claims=self.open_claims,
            losses=Losses(
                lost_exchanges=len(self.lost_exchanges),
                lost_copies=self.lost_copies,
                written_off_claims=self.written_off_claims,
                written_off_copies=self.written_off_copies,
            ),
            years=[
                YearCounts(
                    year=y, sent=self.years[y].sent.out(), received=self.years[y].received.out()
                )
                for y in range(first, last + 1)
            ],
        )


def _copies(ways: _Ways) -> int:
    return ways.sent.copies + ways.received.copies


def _bounds(first: int, last: int) -> tuple[datetime, datetime]:
    return datetime(first, 1, 1, tzinfo=UTC), datetime(last + 1, 1, 1, tzinfo=UTC)


def _count_lines(
    session: Session, counters: dict[int, _Counter], first: int, year: int, partner_id: int | None
) -> None:
    """The completed exchanges' lines of the range, into each partner's counter."""
    query = (
        select(Exchange, ExchangeLine)
        .outerjoin(ExchangeLine, col(ExchangeLine.exchange_id) == col(Exchange.id))
        .where(
            col(Exchange.completed_on) >= date(first, 1, 1),
            col(Exchange.completed_on) <= date(year, 12, 31),
        )
        .order_by(col(Exchange.id), col(ExchangeLine.position))
        .execution_options(yield_per=1000)
    )
    if partner_id is not None:
        query = query.where(col(Exchange.partner_id) == partner_id)
    for exchange, line in session.exec(query):
        assert exchange.completed_on is not None
        counter = counters[exchange.partner_id]
        copies = moved(exchange.direction, line) if line is not None else 0
        counter.years[exchange.completed_on.year].way(exchange.direction).add(
            exchange.id, line, copies
        )
        if exchange.completed_on.year != year:
            continue
        counter.year.way(exchange.direction).add(exchange.id, line, copies)
        if line is None or copies <= 0:
            continue
        counter.material[material(line)].way(exchange.direction).add(exchange.id, line, copies)
        language = line.language or UNDETERMINED
        counter.language[language].way(exchange.direction).add(exchange.id, line, copies)


def _count_serials(
    session: Session, counters: dict[int, _Counter], first: int, year: int, partner_id: int | None
) -> None:
    """The serial issues counted in the ledger in the range (each entry's year), into each
    partner's counter as material ``serial`` of no stated language."""
    query = (
        core_select(
            col(LedgerEntry.partner_id),
            col(LedgerEntry.year),
            col(LedgerEntry.direction),
            col(SerialIssue.serial_id),
            col(LedgerEntry.copies),
            col(LedgerEntry.currency),
            col(LedgerEntry.value),
        )
        .join(SerialIssue, col(SerialIssue.id) == col(LedgerEntry.serial_issue_id))
        .where(col(LedgerEntry.year) >= first, col(LedgerEntry.year) <= year)
        .execution_options(yield_per=1000)
    )
    if partner_id is not None:
        query = query.where(col(LedgerEntry.partner_id) == partner_id)
    for owner, entry_year, direction, serial_id, copies, currency, value in session.execute(query):
        counter = counters[owner]
        tallies = [counter.years[entry_year].way(direction)]
        if entry_year == year:
            tallies += [
                counter.year.way(direction),
                counter.material["serial"].way(direction),
                counter.language[UNDETERMINED].way(direction),
            ]
        for tally in tallies:
            tally.add_serial(serial_id, copies, currency, value)


def _count_claims(
    session: Session, counters: dict[int, _Counter], year: int, partner_id: int | None
) -> None:
    """Claims raised by the end of the year and open now; claims written off in the year;
    shipments marked lost in the year with the copies they carried."""
    start, end = _bounds(year, year)
    claims = (
        core_select(
            col(Exchange.partner_id),
            col(Claim.state),
            col(Claim.copies),
            col(Claim.raised_at),
            col(Claim.settled_at),
        )
        .join(Exchange, col(Exchange.id) == col(Claim.exchange_id))
        .where(col(Claim.state).in_(("open", "written_off")))
    )
    lost = (
        core_select(col(Exchange.partner_id), col(Exchange.id))
        .join(ExchangeEvent, col(ExchangeEvent.exchange_id) == col(Exchange.id))
        .where(
            col(ExchangeEvent.state) == "lost",
            col(ExchangeEvent.at) >= start,
            col(ExchangeEvent.at) < end,
        )
        .distinct()
    )
    if partner_id is not None:
        claims = claims.where(col(Exchange.partner_id) == partner_id)
        lost = lost.where(col(Exchange.partner_id) == partner_id)
    for owner, state, copies, raised_at, settled_at in session.execute(claims):
        counter = counters[owner]
        if state == "open" and raised_at < end:
            counter.open_claims += 1
        elif state == "written_off" and settled_at is not None and start <= settled_at < end:
            counter.written_off_claims += 1
            counter.written_off_copies += copies
    lost_ids = {exchange_id: owner for owner, exchange_id in session.execute(lost)}
    if not lost_ids:
        return
    carried = session.execute(
        core_select(
            col(ExchangeLine.exchange_id),
            func.sum(
                func.coalesce(col(ExchangeLine.accepted_quantity), col(ExchangeLine.quantity))
            ),
        )
        .where(col(ExchangeLine.exchange_id).in_(list(lost_ids)))
        .group_by(col(ExchangeLine.exchange_id))
    )
    copies_of = {exchange_id: int(total or 0) for exchange_id, total in carried}
    for exchange_id, owner in lost_ids.items():
        counters[owner].lost_exchanges.add(exchange_id)
        counters[owner].lost_copies += copies_of.get(exchange_id, 0)


def _history(session: Session, partner: Partner, first: int, year: int) -> list[BalancePoint]:
    points = []
    for y in range(first, year + 1):
        out = balance.partner_balance(session, partner, y)
        points.append(
            BalancePoint(
                year=y,
                model=out.model,
                unit=out.unit,
                balance=out.running.balance if out.running is not None else None,
                tolerance=out.tolerance,
                quota=out.quota.yearly,
            )
        )
    return points


def _total(counters: Iterable[_Counter]) -> _Counter:
    """All partners together: each tally's sums (exchange ids never repeat across partners)."""
    total = _Counter()
    for c in counters:
        pairs = [(total.year, c.year)]
        pairs += [(total.material[k], w) for k, w in c.material.items()]
        pairs += [(total.language[k], w) for k, w in c.language.items()]
        pairs += [(total.years[k], w) for k, w in c.years.items()]
        for into, ways in pairs:
            _merge(into.sent, ways.sent)
            _merge(into.received, ways.received)
        total.open_claims += c.open_claims
        total.lost_exchanges |= c.lost_exchanges
        total.lost_copies += c.lost_copies
        total.written_off_claims += c.written_off_claims
        total.written_off_copies += c.written_off_copies
    return total


def _merge(into: _Tally, tally: _Tally) -> None:
    into.exchanges |= tally.exchanges
    into.serials |= tally.serials
    into.titles += tally.titles
    into.copies += tally.copies
    for mine, theirs in ((into.value, tally.value), (into.purchase_cost, tally.purchase_cost)):
        for currency, amount in theirs.items():
            mine[currency] = mine.get(currency, Decimal(0)) + amount


def _active(counter: _Counter, year: int) -> bool:
    ways = counter.years.get(year)
    busy = ways is not None and any(t.exchanges or t.serials for t in (ways.sent, ways.received))
    return busy or bool(counter.open_claims or counter.lost_exchanges or counter.written_off_claims)


def yearly(engine: Engine, caller: Caller, year: int, partner: str | None) -> YearlyOut:
    """The year's statistics for all partners, or for one (then with its balance history).

    Staff only: the figures name every partner. A partner code that does not exist is a 404.
    """
    if not caller.is_staff:
        raise Problem(403, "staff-only", N_("the yearly statistics are for staff keys only"))
    first = year - CHART_YEARS + 1
    with Session(engine) as session:
        chosen = visible_partner(session, caller, partner) if partner else None
        chosen_id = chosen.id if chosen is not None else None
        counters: dict[int, _Counter] = defaultdict(_Counter)
        _count_lines(session, counters, first, year, chosen_id)
        _count_serials(session, counters, first, year, chosen_id)
        _count_claims(session, counters, year, chosen_id)
        if chosen is not None:
            assert chosen.id is not None
            counters[chosen.id]
            shown = [chosen]
        else:
            ids = [pid for pid, c in counters.items() if _active(c, year)]
            found = select(Partner).where(col(Partner.id).in_(ids)).order_by(col(Partner.name))
            shown = list(session.exec(found)) if ids else []
        rows = [
            PartnerFigures(
                partner=p.code,
                name=p.name,
                country=p.country,
                balance=balance.partner_balance(session, p, year),
                balance_history=_history(session, p, first, year) if chosen is not None else [],
                **dict(counters[p.id or 0].figures(first, year)),
            )
            for p in shown
        ]
    # All partners: the quiet ones of this year count in the earlier years of the charts.
    total = _total(counters.values())
    return YearlyOut(
        year=year,
        first_year=first,
        partner=chosen.code if chosen is not None else None,
        total=total.figures(first, year),
        partners=rows,
    )


def partner_choices(engine: Engine) -> list[tuple[str, str]]:
    """Every partner's code and name, by name: the page's partner selector."""
    with Session(engine) as session:
        found = session.execute(
            core_select(col(Partner.code), col(Partner.name)).order_by(col(Partner.name))
        )
        return [(code, name) for code, name in found]
