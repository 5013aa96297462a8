"""The year's statistics through the service layer on both databases: exchanges completed in
the year counted from their lines by direction, material and language, value per currency,
the balance, open claims and losses; the yearly report's CSV rows; staff only. Serial
issues, written through the serial services (receipts, a dispatch the partner confirms),
count as material ``serial`` in the year of their ledger entries.

The exchanges are written as the API's proposal writes them (``insert_exchange``) and then
brought to their end here, as the workflow's steps would: accepted and received copies set,
``completed_on`` given and the ledger written the way the ``complete`` step writes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import col, select

from services.exchange.models import Claim, Exchange, ExchangeEvent, ExchangeLine
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.serials import DispatchIn, ReceiptIn, SerialIn, SerialOut
from services.exchange.service import (
    reports,
    serial_dispatches,
    serial_issues,
    serials,
    statistics,
    statistics_report,
)
from services.exchange.service.offer_list_pdf import document_lang
from services.exchange.storage.db import session_scope
from tests.fast.conftest import STAFF, Database, insert_exchange, new_partner, unique_isbn
from tests.fast.test_service_serials import unique_issn

YEAR = 2025
TODAY = datetime.now(UTC).date()
SERIAL_YEAR = TODAY.year - 1  # a past year: every issue of it is due out


def _line(title: str, copies: int, **fields: object) -> LineIn:
    return LineIn.model_validate({"title": title, "quantity": copies, **fields})


def _finish(
    db: Database, exchange_id: str, direction: str, moved: list[int], on: date, state: str
) -> None:
    """Copies accepted and moved per line, the state set; a completed one gets its ledger."""
    with session_scope(db.engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        lines = list(
            session.exec(
                select(ExchangeLine)
                .where(col(ExchangeLine.exchange_id) == exchange_id)
                .order_by(col(ExchangeLine.position))
            )
        )
        for line, copies in zip(lines, moved, strict=True):
            line.accepted_quantity = line.quantity
            if direction == "incoming":
                line.received = copies
            else:
                line.accepted_quantity = copies
        exchange.state = state
        at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
        session.add(
            ExchangeEvent(exchange_id=exchange_id, seq=2, at=at, actor="t", step=state, state=state)
        )
        if state == "completed":
            exchange.completed_on = on
            session.add_all(reports.ledger_entries(exchange, lines, on))


def test_a_partners_year_by_direction_material_language_and_value(database: Database) -> None:
    partner, key = new_partner(database)
    sent, _ = insert_exchange(
        database,
        key,
        "outgoing",
        [
            _line("Atlas", 3, isbn=unique_isbn(), language="ind", unit_value="100", currency="IDR"),
            _line("Majalah", 2, issn="0378-5955", language="ind", unit_value="5.5", currency="USD"),
            _line("Not taken", 4, language="eng"),  # accepted at 0: not a title sent
        ],
    )
    _finish(database, sent, "outgoing", [3, 2, 0], date(YEAR, 3, 1), "completed")
    received, _ = insert_exchange(
        database, key, "incoming", [_line("Книга", 2, language="rus"), _line("Без языка", 1)]
    )
    _finish(database, received, "incoming", [2, 1], date(YEAR, 4, 1), "completed")
    earlier, _ = insert_exchange(database, key, "outgoing", [_line("Old", 7)])
    _finish(database, earlier, "outgoing", [7], date(YEAR - 2, 6, 1), "completed")
    lost, _ = insert_exchange(database, key, "outgoing", [_line("Gone", 5)])
    _finish(database, lost, "outgoing", [4], date(YEAR, 8, 1), "lost")
    with session_scope(database.engine) as session:
        raised = datetime(YEAR, 5, 1, tzinfo=UTC)
        session.add_all(
            [
                Claim(exchange_id=received, claim_no="C1", kind="missing", copies=1,
                      state="open", raised_at=raised),
                Claim(exchange_id=lost, claim_no="C2", kind="overdue", copies=4,
                      state="written_off", raised_at=raised,
                      settled_at=datetime(YEAR, 9, 1, tzinfo=UTC)),
            ]
        )  # fmt: skip

    out = statistics.yearly(database.engine, STAFF, YEAR, partner.code)
    assert out.partner == partner.code and (out.first_year, out.year) == (YEAR - 4, YEAR)
    (row,) = out.partners
    assert (row.sent.exchanges, row.sent.titles, row.sent.copies) == (1, 2, 5)
    assert row.sent.value == {"IDR": Decimal("300"), "USD": Decimal("11.0")}
    assert (row.received.exchanges, row.received.titles, row.received.copies) == (1, 2, 3)
    materials = {s.key: (s.sent.copies, s.received.copies) for s in row.by_material}
    assert materials == {"book": (3, 3), "serial": (2, 0)}
    languages = [(s.key, s.sent.copies, s.received.copies) for s in row.by_language]
    assert languages == [("ind", 5, 0), ("rus", 0, 2), ("und", 0, 1)], "und last"
    assert row.open_claims == 1
    assert (row.losses.lost_exchanges, row.losses.lost_copies) == (1, 4)
    assert (row.losses.written_off_claims, row.losses.written_off_copies) == (1, 4)
    assert [(y.year, y.sent.copies, y.received.copies) for y in row.years] == [
        (YEAR - 4, 0, 0),
        (YEAR - 3, 0, 0),
        (YEAR - 2, 7, 0),
        (YEAR - 1, 0, 0),
        (YEAR, 5, 3),
    ]
    assert row.balance is not None and row.balance.sent.copies == 5
    assert row.balance.running is not None and row.balance.running.balance == 7 + 5 - 3
    assert [p.balance for p in row.balance_history] == [0, 0, 7, 7, 9]
    assert out.total.sent == row.sent, "one partner asked for: the total is its figures"

    everyone = statistics.yearly(database.engine, STAFF, YEAR, None)
    mine = next(p for p in everyone.partners if p.partner == partner.code)
    assert mine.sent == row.sent and mine.balance_history == []
    assert everyone.total.sent.copies >= 5 and everyone.total.open_claims >= 1

    lang = document_lang("id", database.settings)
    rows = list(statistics_report.csv_rows(out, lang))
    assert len(rows) == 1 + 2 + 3  # all, the two materials, the three languages
    assert rows[0][:3] == [partner.code, partner.name, "BY"]
    assert rows[0][7] == 5 and rows[0][8] == "300.00 IDR; 11.00 USD"
    assert rows[0][14] == "9" and rows[0][16] == 1


def test_statistics_are_for_staff_and_unknown_partners_are_404(database: Database) -> None:
    _partner, key = new_partner(database)
    with pytest.raises(Problem) as refused:
        statistics.yearly(database.engine, key, YEAR, None)
    assert refused.value.status == 403
    with pytest.raises(Problem) as missing:
        statistics.yearly(database.engine, STAFF, YEAR, "NO-SUCH-PARTNER")
    assert missing.value.status == 404


def _serial(db: Database, code: str, direction: str, per_year: int, **fields: object) -> SerialOut:
    body = {
        "issn": unique_issn(),
        "title": f"Serial {direction}",
        "direction": direction,
        "frequency": {"issues_per_year": per_year},
        "first_year": SERIAL_YEAR,
        "claim_after_days": 30,
        **fields,
    }
    return serials.create_serial(db.engine, STAFF, code, SerialIn.model_validate(body))


def test_serial_issues_count_as_serial_material_as_the_ledger_counts_them(
    database: Database,
) -> None:
    """Issues received from the partner (checked in by us) and issues of our dispatch that the
    partner confirmed count as material ``serial``, a title once a year, value where set."""
    partner, key = new_partner(database)
    book, _ = insert_exchange(database, key, "outgoing", [_line("Atlas", 3, isbn=unique_isbn())])
    _finish(database, book, "outgoing", [3], date(SERIAL_YEAR, 3, 1), "completed")
    theirs = _serial(database, partner.code, "incoming", 12, copies=2, unit_value="4.50",
                     currency="EUR")  # fmt: skip
    first, second, third = serial_issues.list_issues(
        database.engine, STAFF, theirs.id, SERIAL_YEAR
    )[:3]
    for issue, copies in ((first, 2), (second, 1)):
        receipt = ReceiptIn(received_on=TODAY, copies=copies)
        serial_issues.record_receipt(database.engine, STAFF, theirs.id, issue.id, receipt)
    again = ReceiptIn(received_on=TODAY, copies=1)  # a duplicate: no copies again
    serial_issues.record_receipt(database.engine, STAFF, theirs.id, first.id, again)
    assert third.state != "received"
    # A second incoming title, an issue of the year before: in the chart range only.
    older = _serial(database, partner.code, "incoming", 4, first_year=SERIAL_YEAR - 1)
    (old,) = serial_issues.list_issues(database.engine, STAFF, older.id, SERIAL_YEAR - 1)[:1]
    serial_issues.record_receipt(
        database.engine, STAFF, older.id, old.id, ReceiptIn(received_on=TODAY)
    )
    ours = _serial(database, partner.code, "outgoing", 4, copies=2)
    serial_issues.list_issues(database.engine, STAFF, ours.id, SERIAL_YEAR)
    due = serial_dispatches.due_out(database.engine, STAFF, partner.code)
    owed = [i.id for i in due.issues if i.serial_id == ours.id and i.year == SERIAL_YEAR]
    assert len(owed) == 4
    made = serial_dispatches.create_dispatch(
        database.engine, STAFF, DispatchIn(partner=partner.code, issues=owed)
    )
    serial_dispatches.mark_sent(database.engine, STAFF, made.id, TODAY)
    before = statistics.yearly(database.engine, STAFF, SERIAL_YEAR, partner.code).partners[0]
    assert before.sent.copies == 3, "sent, not yet confirmed by the partner: not counted"
    serial_dispatches.confirm_dispatch(database.engine, key, made.id)

    out = statistics.yearly(database.engine, STAFF, SERIAL_YEAR, partner.code)
    (row,) = out.partners
    assert (row.sent.exchanges, row.sent.titles, row.sent.copies) == (1, 2, 3 + 8)
    assert (row.received.exchanges, row.received.titles, row.received.copies) == (0, 1, 3)
    assert row.received.value == {"EUR": Decimal("13.50")}
    materials = {s.key: s for s in row.by_material}
    assert (materials["book"].sent.copies, materials["book"].received.copies) == (3, 0)
    serial = materials["serial"]
    assert (serial.sent.titles, serial.sent.copies, serial.sent.exchanges) == (1, 8, 0)
    assert (serial.received.titles, serial.received.copies) == (1, 3)
    assert serial.received.value == {"EUR": Decimal("13.50")}
    languages = {s.key: (s.sent.copies, s.received.copies) for s in row.by_language}
    assert languages["und"] == (3 + 8, 3), "serial titles state no language"
    years = {y.year: (y.sent.copies, y.received.copies, y.received.titles) for y in row.years}
    assert years[SERIAL_YEAR - 1] == (0, 1, 1) and years[SERIAL_YEAR] == (11, 3, 1)
    assert row.balance is not None
    assert (row.balance.sent.copies, row.balance.received.copies) == (11, 3), "as the balance"

    everyone = statistics.yearly(database.engine, STAFF, SERIAL_YEAR, None)
    mine = next(p for p in everyone.partners if p.partner == partner.code)
    assert mine.sent == row.sent and mine.received == row.received
    only_serials, _ = new_partner(database)  # a partner with serial issues only is shown
    quiet = _serial(database, only_serials.code, "incoming", 1)
    (issue,) = serial_issues.list_issues(database.engine, STAFF, quiet.id, SERIAL_YEAR)
    serial_issues.record_receipt(
        database.engine, STAFF, quiet.id, issue.id, ReceiptIn(received_on=TODAY)
    )
    everyone = statistics.yearly(database.engine, STAFF, SERIAL_YEAR, None)
    shown = next(p for p in everyone.partners if p.partner == only_serials.code)
    assert (shown.received.titles, shown.received.copies) == (1, 1)

    lang = document_lang("en", database.settings)
    rows = list(statistics_report.csv_rows(out, lang))
    serial_row = next(r for r in rows if r[4] == "Serial issues")
    assert serial_row[3] == "Material" and serial_row[5:8] == [0, 1, 8]
    assert serial_row[10:14] == [0, 1, 3, "13.50 EUR"]
