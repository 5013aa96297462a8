"""The balance rules, on both databases: each model, the rates, the tolerance, the preview.

The ledger rows are written as the projection writes them (``reports.ledger_entries`` over an
exchange's lines) for chosen years, so that running balances across years can be checked
without waiting for years to pass.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import AuditEntry, Exchange, ExchangeLine, LedgerEntry
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.partners import AgreementIn, PartnerCreated
from services.exchange.service import agreements, balance, exchange_rates, reports
from services.exchange.service.keys import ACQUISITIONS, CATALOGUER, Caller
from services.exchange.service.offer_lines import line_spec
from services.exchange.storage.db import session_scope
from tests.fast.conftest import HOME_CODE, STAFF, Database, insert_exchange, new_partner
from tests.support import AGREEMENT

CATALOGUER_KEY = Caller(kind="staff", key_id="fast-cat", party=HOME_CODE, role=CATALOGUER)
ACQUISITIONS_KEY = Caller(kind="staff", key_id="fast-acq", party=HOME_CODE, role=ACQUISITIONS)


def _agree(db: Database, code: str, signed_on: str, **fields: Any) -> None:
    """A later agreement for the same years: the latest signed is the one that counts."""
    body = AgreementIn.model_validate({**AGREEMENT, "signed_on": signed_on, **fields})
    agreements.create(db.engine, STAFF, code, body)


def _completed(
    db: Database, partner: Caller, direction: str, year: int, lines: list[LineIn]
) -> str:
    """An exchange completed in ``year`` with every offered copy moved, and its ledger rows."""
    exchange_id, _ = insert_exchange(db, partner, direction, lines)
    with session_scope(db.engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        rows = list(
            session.scalars(
                select(ExchangeLine).where(col(ExchangeLine.exchange_id) == exchange_id)
            )
        )
        for line in rows:
            line.accepted_quantity = line.quantity
            line.received = line.quantity
            session.add(line)
        exchange.state = "completed"
        exchange.completed_on = date(year, 6, 30)
        session.add(exchange)
        for entry in reports.ledger_entries(exchange, rows, date(year, 6, 30)):
            session.add(entry)
    return exchange_id


def _partner_with_history(db: Database) -> tuple[PartnerCreated, Caller]:
    """Sent in 2025: 2 titles, 5 copies, 100 USD + 40 EUR declared; received in 2025: 1 title,
    2 copies, 30 USD; sent in 2026: 1 title, 1 copy, 200000 IDR."""
    partner, caller = new_partner(db)
    _completed(
        db,
        caller,
        "outgoing",
        2025,
        [
            LineIn(title="A", quantity=3, unit_value=Decimal("20"), currency="USD"),
            LineIn(title="B", quantity=2, unit_value=Decimal("20"), currency="EUR"),
        ],
    )
    _completed(
        db,
        caller,
        "incoming",
        2025,
        [LineIn(title="C", quantity=2, unit_value=Decimal("15"), currency="USD")],
    )
    _completed(
        db,
        caller,
        "outgoing",
        2026,
        [LineIn(title="D", quantity=1, unit_value=Decimal("200000"), currency="IDR")],
    )
    return partner, caller


def _balance(db: Database, code: str, year: int) -> Any:
    return reports.balance(db.engine, STAFF, code, year)


def test_purchase_cost_is_summed_apart_from_the_declared_value(database: Database) -> None:
    _partner, caller = new_partner(database)
    lines = [
        LineIn(
            title="Subscription",
            quantity=3,
            unit_value=Decimal("10"),
            purchase_cost=Decimal("12.50"),
            currency="USD",
        ),
        LineIn(title="Bought, no value", quantity=2, purchase_cost=Decimal("5"), currency="USD"),
        LineIn(title="Gift", quantity=1),
    ]
    exchange_id = _completed(database, caller, "outgoing", 2026, lines)
    with Session(database.engine) as session:
        entries = session.scalars(
            select(LedgerEntry).where(col(LedgerEntry.exchange_id) == exchange_id)
        )
        got = sorted((e.currency, e.titles, e.copies, e.value, e.purchase_cost) for e in entries)
    assert got == [
        ("", 1, 1, None, None),
        ("USD", 2, 5, Decimal("30.00"), Decimal("47.50")),
    ]
    result = reports.balance(database.engine, STAFF, _partner.code, 2026)
    assert result.sent.value == {"USD": Decimal("30.00")}
    assert result.sent.purchase_cost == {"USD": Decimal("47.50")}


def test_the_line_spec_carries_the_new_fields() -> None:
    line = LineIn(
        title="Kamus",
        quantity=2,
        purchase_cost=Decimal("7.25"),
        currency="USD",
        language="ind",
        weight_grams=850,
    )
    spec = line_spec(line)
    assert (spec.purchase_cost, spec.language, spec.weight_grams) == ("7.25", "ind", 850)


def test_pieces_and_titles_count_the_year_and_run_through_it(database: Database) -> None:
    partner, _caller = _partner_with_history(database)
    first = _balance(database, partner.code, 2025)
    assert (first.model, first.unit, first.currency, first.tolerance) == (
        "pieces",
        "copies",
        None,
        None,
    )
    assert (first.year_figures.sent, first.year_figures.received) == (5, 2)
    assert first.year_figures.balance == 3 and first.running.balance == 3
    assert first.within_tolerance is None, "no tolerance set: nothing to be within"
    second = _balance(database, partner.code, 2026)
    assert (second.year_figures.sent, second.year_figures.received) == (1, 0)
    assert (second.running.sent, second.running.received, second.running.balance) == (6, 2, 4)
    assert (second.balance_copies, second.sent.copies) == (1, 1), "old fields: the year alone"

    _agree(database, partner.code, "2024-02-01", balance_model="titles", tolerance="2")
    titles = _balance(database, partner.code, 2026)
    assert (titles.model, titles.unit, titles.tolerance) == ("titles", "titles", Decimal("2"))
    assert (titles.running.sent, titles.running.received, titles.running.balance) == (3, 1, 2)
    assert titles.within_tolerance is True
    _agree(database, partner.code, "2024-03-01", balance_model="pieces", tolerance="3")
    assert _balance(database, partner.code, 2026).within_tolerance is False, "4 copies > 3"


def test_value_converts_each_entry_at_its_years_rate(database: Database) -> None:
    partner, _caller = _partner_with_history(database)
    _agree(database, partner.code, "2024-02-01", balance_model="value", currency="IDR")
    exchange_rates.put_rate(database.engine, STAFF, 2025, "USD", "IDR", Decimal("15000"))
    exchange_rates.put_rate(database.engine, STAFF, 2026, "USD", "IDR", Decimal("16000"))
    result = _balance(database, partner.code, 2026)
    assert (result.model, result.unit, result.currency) == ("value", "value", "IDR")
    # 2025: 60 USD sent, 30 USD received at 15000; 40 EUR has no rate; 2026: 200000 IDR.
    assert result.running.sent == Decimal("900000.00") + Decimal("200000")
    assert result.running.received == Decimal("450000.00")
    assert result.running.balance == Decimal("650000.00")
    assert result.running.unconverted == {"EUR": Decimal("40.00")}
    assert result.year_figures.sent == 200000 and result.year_figures.unconverted == {}

    exchange_rates.put_rate(database.engine, STAFF, 2025, "EUR", "IDR", Decimal("17000"))
    result = _balance(database, partner.code, 2026)
    assert result.running.unconverted == {}
    assert result.running.balance == Decimal("650000.00") + Decimal("680000.00")
    with Session(database.engine) as session:
        assert balance.convert(session, 2025, "EUR", "IDR", Decimal("2")) == Decimal("34000.00")
        assert balance.convert(session, 2024, "EUR", "IDR", Decimal("2")) is None
        assert balance.convert(session, 2024, "IDR", "IDR", Decimal("2")) == Decimal("2")


def test_blanket_shows_the_figures_and_keeps_no_balance(database: Database) -> None:
    partner, _caller = _partner_with_history(database)
    _agree(database, partner.code, "2024-02-01", balance_model="blanket", tolerance="1")
    result = _balance(database, partner.code, 2026)
    assert (result.model, result.unit, result.within_tolerance) == ("blanket", None, None)
    assert (result.running.sent, result.running.received) == (6, 2)
    assert result.running.balance is None and result.year_figures.balance is None
    preview = balance.preview(
        database.engine,
        STAFF,
        partner.code,
        "outgoing",
        [line_spec(LineIn(title="X", quantity=50))],
    )
    assert (preview.before, preview.after, preview.warning) == (None, None, False)


def test_the_agreement_at_the_years_end_counts(database: Database) -> None:
    partner, _caller = new_partner(database, agreement=False)
    _agree(
        database,
        partner.code,
        "2024-01-10",
        valid_from="2024-01-01",
        valid_to="2025-06-30",
        balance_model="titles",
    )
    _agree(database, partner.code, "2025-06-01", valid_from="2025-07-01", balance_model="blanket")
    assert _balance(database, partner.code, 2024).model == "titles"
    assert _balance(database, partner.code, 2025).model == "blanket"
    lonely, _ = new_partner(database, agreement=False)
    assert _balance(database, lonely.code, 2025).model == "pieces", "no agreement: pieces"


def test_a_preview_counts_open_exchanges_and_warns_past_the_tolerance(database: Database) -> None:
    partner, caller = _partner_with_history(database)  # running: 6 sent, 2 received
    _agree(database, partner.code, "2024-02-01", balance_model="pieces", tolerance="6")
    # Under way: an outgoing proposal of 3 copies, and an incoming one of 1.
    insert_exchange(database, caller, "outgoing", [LineIn(title="Open", quantity=3)])
    insert_exchange(database, caller, "incoming", [LineIn(title="Theirs", quantity=1)])

    small = [line_spec(LineIn(title="S", quantity=2))]
    within = balance.preview(database.engine, STAFF, partner.code, "outgoing", small)
    assert (within.before, within.effect, within.after) == (6, 2, 8)
    assert within.warning is True and within.detail is not None and "8" in within.detail

    one = [line_spec(LineIn(title="S", quantity=1))]
    _agree(database, partner.code, "2024-03-01", balance_model="pieces", tolerance="7")
    calm = balance.preview(database.engine, STAFF, partner.code, "outgoing", one)
    assert (calm.after, calm.warning, calm.detail) == (7, False, None)
    back = balance.preview(
        database.engine, STAFF, partner.code, "incoming", [line_spec(LineIn(title="R", quantity=1))]
    )
    assert (back.effect, back.after, back.warning) == (-1, 5, False)

    _agree(database, partner.code, "2024-04-01", balance_model="pieces", tolerance="2")
    closer = balance.preview(
        database.engine, STAFF, partner.code, "incoming", [line_spec(LineIn(title="R", quantity=1))]
    )
    assert (closer.after, closer.warning) == (5, False), "past it, but nearer to even"

    with pytest.raises(Problem) as refused:
        balance.preview(database.engine, caller, partner.code, "outgoing", small)
    assert refused.value.status == 404


def test_a_value_preview_lists_what_it_cannot_convert(database: Database) -> None:
    partner, _caller = new_partner(database)
    _agree(
        database, partner.code, "2024-02-01", balance_model="value", currency="USD", tolerance="50"
    )
    lines = [
        line_spec(LineIn(title="A", quantity=2, unit_value=Decimal("30"), currency="USD")),
        line_spec(LineIn(title="B", quantity=1, unit_value=Decimal("9"), currency="JPY")),
    ]
    result = balance.preview(database.engine, STAFF, partner.code, "outgoing", lines)
    assert (result.unit, result.currency, result.before, result.after) == (
        "value",
        "USD",
        0,
        Decimal("60"),
    )
    assert result.unconverted == {"JPY": Decimal("9")} and result.warning is True


def test_rates_are_recorded_changed_and_removed_with_an_audit(database: Database) -> None:
    engine = database.engine
    first = exchange_rates.put_rate(engine, ACQUISITIONS_KEY, 2031, "RUB", "IDR", Decimal("190"))
    assert (first.rate, first.recorded_by) == (Decimal("190"), "staff:fast-acq")
    changed = exchange_rates.put_rate(engine, STAFF, 2031, "RUB", "IDR", Decimal("185.5"))
    assert changed.rate == Decimal("185.5") and changed.recorded_by == STAFF.actor
    listed = exchange_rates.list_rates(engine, CATALOGUER_KEY, 2031)
    assert [(r.currency, r.to_currency, r.rate) for r in listed] == [
        ("RUB", "IDR", Decimal("185.500000"))
    ]
    exchange_rates.delete_rate(engine, STAFF, 2031, "RUB", "IDR")
    assert exchange_rates.list_rates(engine, STAFF, 2031) == []
    with pytest.raises(Problem) as missing:
        exchange_rates.delete_rate(engine, STAFF, 2031, "RUB", "IDR")
    assert missing.value.status == 404
    with Session(engine) as session:
        actions = session.scalars(
            select(col(AuditEntry.action))
            .where(
                col(AuditEntry.entity) == "exchange_rate",
                col(AuditEntry.entity_key) == "2031/RUB/IDR",
            )
            .order_by(col(AuditEntry.id))
        ).all()
    assert list(actions) == ["created", "updated", "deleted"]

    _partner, partner_key = new_partner(database)
    for refused_call in (
        lambda: exchange_rates.put_rate(engine, CATALOGUER_KEY, 2031, "RUB", "IDR", Decimal(1)),
        lambda: exchange_rates.put_rate(engine, partner_key, 2031, "RUB", "IDR", Decimal(1)),
        lambda: exchange_rates.list_rates(engine, partner_key, None),
    ):
        with pytest.raises(Problem) as refused:
            refused_call()
        assert refused.value.status == 403
    with pytest.raises(Problem) as same:
        exchange_rates.put_rate(engine, STAFF, 2031, "IDR", "IDR", Decimal(1))
    assert same.value.status == 422


def test_agreements_keep_their_model(database: Database) -> None:
    partner, _caller = new_partner(database, agreement=False)
    _agree(
        database, partner.code, "2024-02-01", balance_model="value", currency="EUR", tolerance="99"
    )
    (stored,) = agreements.list_for(database.engine, STAFF, partner.code)
    assert (stored.balance_model, stored.currency, stored.tolerance) == (
        "value",
        "EUR",
        Decimal("99.00"),
    )
    with Session(database.engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(
                col(AuditEntry.entity) == "agreement", col(AuditEntry.entity_key) == str(stored.id)
            )
        ).one()
    assert entry.after is not None
    assert (entry.after["balance_model"], entry.after["currency"]) == ("value", "EUR")
