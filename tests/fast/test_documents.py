"""The shipment papers' rules on a real database, without HTTP: lines split over parcels
evenly by copies, the 50-year rule in one place, totals in words, our address and signatory
from the settings, and a stored paper reused until what it prints changes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdf
import pytest
from sqlmodel import Session, col, select

from services.exchange.balance_models import ExchangeDocument
from services.exchange.models import Exchange, ExchangeLine
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.partner_contacts import AddressIn, ContactIn
from services.exchange.service import document_content, documents, partner_contacts
from services.exchange.service.document_content import PaperLine
from services.exchange.storage.db import session_scope
from tests.fast.conftest import STAFF, Database, insert_exchange, new_partner, unique_isbn
from workflows.exchange.types import ACCEPTED, SHIPPED


def _line(number: int, copies: int, year: int | None = 2001) -> PaperLine:
    return PaperLine(
        number=number,
        line_id=f"l{number}",
        title=f"Title {number}",
        author="",
        year=year,
        identifier="",
        copies=copies,
        unit_value=Decimal("2.50"),
        currency="USD",
        weight_grams=300,
        received=None,
        damaged=None,
    )


def _text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_lines_are_split_over_parcels_in_order_evenly_by_copies() -> None:
    lines = [_line(1, 3), _line(2, 1), _line(3, 3)]  # 7 copies
    parcels = document_content.split(lines, 3)
    assert [[(p.line_id, p.copies) for p in parcel] for parcel in parcels] == [
        [("l1", 3)],
        [("l2", 1), ("l3", 1)],
        [("l3", 2)],
    ]
    assert [sum(p.copies for p in parcel) for parcel in parcels] == [3, 2, 2]
    assert parcels[2][0].line_total == Decimal("5.00") and parcels[2][0].total_weight == 600
    whole = document_content.split(lines, 1)
    assert whole == [lines]


def test_the_fifty_year_rule() -> None:
    today = date(2026, 3, 1)
    lines = [_line(1, 1, 1976), _line(2, 1, 1975), _line(3, 1, None), _line(4, 1, 1900)]
    flagged = documents.old_lines(lines, today)
    assert [(w.line_id, w.position, w.age) for w in flagged] == [("l2", 2, 51), ("l4", 4, 126)]


def test_totals_in_words_in_each_language() -> None:
    assert document_content.amount_in_words(Decimal("125.50"), "USD", "en") == (
        "one hundred and twenty-five dollars, fifty cents"
    )
    assert document_content.amount_in_words(Decimal("125"), "RUB", "ru").startswith(
        "сто двадцать пять рублей"
    )
    assert document_content.amount_in_words(Decimal("125.50"), "IDR", "id") == (
        "seratus dua puluh lima IDR 50/100"
    )
    lines = [_line(1, 2), _line(2, 1)]
    [total] = document_content.totals(lines, "en")
    assert total.amount == Decimal("7.50") and total.currency == "USD"


def _shipped_exchange(db: Database, parcels: int) -> tuple[str, str]:
    partner, caller = new_partner(db)
    partner_contacts.add_address(
        db.engine,
        STAFF,
        partner.code,
        AddressIn(lines="Russian State Library\nVozdvizhenka 3/5\nMoscow 119019", country="RU"),
    )
    partner_contacts.add_contact(
        db.engine,
        STAFF,
        partner.code,
        ContactIn(name="Anna Ivanova", email="anna@rsl.example", language="ru", role="Head"),
    )
    old_year = date.today().year - 60
    lines = [
        LineIn(title="Sejarah Nasional", isbn=unique_isbn(), year=2010, quantity=3,
               unit_value=Decimal("12.50"), currency="USD", weight_grams=400),
        LineIn(title="Babad Tanah Jawi", year=old_year, quantity=1,
               unit_value=Decimal("40.00"), currency="USD"),
    ]  # fmt: skip
    exchange_id, line_ids = insert_exchange(db, caller, "outgoing", lines)
    with session_scope(db.engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        exchange.state = SHIPPED
        exchange.shipment = {
            "carrier": "Pos Indonesia",
            "tracking": "EE1ID",
            "parcels": parcels,
            "shipped_on": date.today().isoformat(),
        }
        for line_id, accepted in zip(line_ids, (3, 1), strict=True):
            row = session.get(ExchangeLine, line_id)
            assert row is not None
            row.accepted_quantity = accepted
    return exchange_id, line_ids[1]


def _stored(db: Database, exchange_id: str, kind: str) -> list[ExchangeDocument]:
    with Session(db.engine) as session:
        return list(
            session.exec(
                select(ExchangeDocument).where(
                    col(ExchangeDocument.exchange_id) == exchange_id,
                    col(ExchangeDocument.kind) == kind,
                )
            )
        )


def test_papers_of_a_shipment_in_two_parcels(database: Database) -> None:
    db = database
    settings = db.settings.model_copy(
        update={
            "home_address": "Jl. Medan Merdeka Selatan No. 11|Jakarta 10110",
            "signatory_name": "Dr. Siti Rahma",
            "signatory_post": "Head of the Exchange Department",
        }
    )
    exchange_id, old_line = _shipped_exchange(db, parcels=2)

    listed = documents.list_documents(db.engine, settings, STAFF, exchange_id)
    assert listed.languages == ["id", "ru", "en"]
    assert all(d.available for d in listed.documents)
    [customs] = [d for d in listed.documents if d.kind == "customs"]
    assert customs.needed, "Indonesia to Russia crosses a border"
    [packing] = [d for d in listed.documents if d.kind == "packing-list"]
    assert packing.parcels == [0, 1, 2]
    assert [w.line_id for w in listed.age_warnings] == [old_line]

    act, name = documents.document_pdf(
        db.engine, settings, STAFF, exchange_id, "transfer-act", "en"
    )
    assert name.endswith("-transfer-act-en.pdf")
    text = _text(act)
    for expected in (
        "Jl. Medan Merdeka Selatan No. 11",
        "Vozdvizhenka 3/5",
        "Dr. Siti Rahma",
        "Head of the Exchange Department",
        "Anna Ivanova",
        "77.50 USD",
        "seventy-seven dollars, fifty cents",
        "Babad Tanah Jawi",
        "may need an export permit",
    ):
        assert expected in text, (expected, text)
    first, _ = documents.document_pdf(
        db.engine, settings, STAFF, exchange_id, "packing-list", "en", 1
    )
    second, _ = documents.document_pdf(
        db.engine, settings, STAFF, exchange_id, "packing-list", "en", 2
    )
    assert "Sejarah Nasional" in _text(first) and "Babad Tanah Jawi" not in _text(first)
    assert "Babad Tanah Jawi" in _text(second)
    customs_text = _text(
        documents.document_pdf(db.engine, settings, STAFF, exchange_id, "customs", "en")[0]
    )
    assert "1,200" in customs_text and "Indonesia" in customs_text, customs_text

    [kept] = _stored(db, exchange_id, "transfer-act")
    again, _ = documents.document_pdf(db.engine, settings, STAFF, exchange_id, "transfer-act", "en")
    [still] = _stored(db, exchange_id, "transfer-act")
    assert again == act and still.created_at == kept.created_at, "reused, not made again"

    with pytest.raises(Problem) as refused:
        documents.document_pdf(db.engine, settings, STAFF, exchange_id, "customs", "en", 1)
    assert refused.value.status == 422


def test_papers_wait_for_accepted_lines(database: Database) -> None:
    db = database
    _, caller = new_partner(db)
    exchange_id, _ = insert_exchange(db, caller, "incoming", [LineIn(title="T", quantity=1)])
    listed = documents.list_documents(db.engine, db.settings, caller, exchange_id)
    assert not any(d.available for d in listed.documents)
    with pytest.raises(Problem) as refused:
        documents.document_pdf(db.engine, db.settings, caller, exchange_id, "transfer-act", "en")
    assert refused.value.status == 409 and "accepted" in refused.value.detail
    with session_scope(db.engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        exchange.state = ACCEPTED
        exchange.updated_at = datetime.now(UTC)
    listed = documents.list_documents(db.engine, db.settings, caller, exchange_id)
    available = {d.kind for d in listed.documents if d.available}
    assert available == {"transfer-act", "packing-list", "customs"}
    _, other = new_partner(db)
    with pytest.raises(Problem) as hidden:
        documents.list_documents(db.engine, db.settings, other, exchange_id)
    assert hidden.value.status == 404
