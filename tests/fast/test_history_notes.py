"""History notes are written in each reader's language, with the language's plural forms.

The workflow's note functions (``workflows.exchange.notes``) make the notes, the projection
writes them as the ``record_step`` and ``notify`` activities do (message id and values beside
the English text), and the pages render the rows read back from the database. Russian has
three forms (1 экземпляр, 2 экземпляра, 5 экземпляров, 21 экземпляр), Indonesian one; numbers
are written in the reader's locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_decimal
from sqlmodel import Session, col, select

from services.exchange.models import ExchangeEvent
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import projection
from services.exchange.web.history_notes import NOTE_IDS, render_note
from services.exchange.web.i18n import Lang
from tests.fast.conftest import Database, insert_exchange, new_partner
from workflows.exchange import notes
from workflows.exchange.commands import note_fields
from workflows.exchange.types import (
    Actor,
    ClaimAnswerInput,
    ClaimState,
    Deadlines,
    ExchangeState,
    LineOffer,
    LineQuantity,
    NoticeInput,
    ReceivedLine,
    ShipmentInput,
    StepRecord,
)
from workflows.importing.types import ImportBatchResult

LANGS = {
    "en": Lang("en", "en_GB", ZoneInfo("UTC")),
    "id": Lang("id", "id_ID", ZoneInfo("UTC")),
    "ru": Lang("ru", "ru_RU", ZoneInfo("UTC")),
}


def _state(offered: int, accepted: list[int] | None = None) -> ExchangeState:
    return ExchangeState(
        state="proposed",
        seq=1,
        offered=[LineOffer(f"l{i}", 30) for i in range(offered)],
        accepted=[LineQuantity(f"l{i}", q) for i, q in enumerate(accepted or [])],
        claims=[],
        batches=[],
        batch_uploaders=[],
        records_imported=0,
        reminder_due=False,
        overdue_claims=0,
        shipped_at=None,
        last_claim_at=None,
    )


def _recorded(db: Database, note: notes.Note, *, notice_event: str | None = None) -> ExchangeEvent:
    """Write the note as the workflow's activities do, and read its history row back."""
    _, caller = new_partner(db)
    exchange_id, _ = insert_exchange(db, caller, "incoming", [LineIn(title="A", quantity=1)])
    at = datetime(2026, 11, 21, 10, 0, tzinfo=UTC).isoformat()
    text, note_id, params = note_fields(note)
    if notice_event is None:
        record = StepRecord(
            exchange_id, 2, "accept", "accepted", "staff:test", at, text, None, None, None
        )
        record.note_id, record.note_params = note_id, params
        assert projection.apply_step(db.engine, record)
    else:
        notice = NoticeInput(exchange_id, 2, "RSL", notice_event, at, text, note_id, params)
        assert projection.record_notice(db.engine, notice)[0]
    with Session(db.engine) as session:
        row = session.exec(
            select(ExchangeEvent).where(
                col(ExchangeEvent.exchange_id) == exchange_id, col(ExchangeEvent.seq) == 2
            )
        ).one()
        session.expunge(row)
    return row


def _rendered(db: Database, note: notes.Note, **kwargs: str) -> dict[str, str]:
    row = _recorded(db, note, **kwargs)
    return {code: render_note(lang, row) for code, lang in LANGS.items()}


@pytest.mark.parametrize(
    ("offered", "accepted", "expected"),
    [
        (
            1,
            [1],
            {
                "en": "1 of 1 line, 1 copy",
                "id": "1 dari 1 judul, 1 eksemplar",
                "ru": "1 из 1 позиции, 1 экземпляр",
            },
        ),
        (
            5,
            [2, 1, 1, 1, 1],
            {
                "en": "5 of 5 lines, 6 copies",
                "id": "5 dari 5 judul, 6 eksemplar",
                "ru": "5 из 5 позиций, 6 экземпляров",
            },
        ),
        (
            21,
            [22],
            {
                "en": "1 of 21 lines, 22 copies",
                "id": "1 dari 21 judul, 22 eksemplar",
                "ru": "1 из 21 позиции, 22 экземпляра",
            },
        ),
    ],
)
def test_an_acceptance_reads_in_each_language(
    database: Database, offered: int, accepted: list[int], expected: dict[str, str]
) -> None:
    lines = [LineQuantity(f"l{i}", q) for i, q in enumerate(accepted)]
    assert _rendered(database, notes.acceptance(_state(offered), lines)) == expected


def test_a_receipt_with_damage_reads_in_each_language(database: Database) -> None:
    state = _state(2, accepted=[20, 1])
    received = [ReceivedLine("l0", 20, 2), ReceivedLine("l1", 1, 0)]
    assert _rendered(database, notes.receipt(state, received)) == {
        "en": "21 of 21 copies received, 2 damaged",
        "id": "21 dari 21 eksemplar diterima, 2 rusak",
        "ru": "получено 21 из 21 экземпляра, 2 повреждены",
    }


def test_a_notice_reads_in_each_language_with_its_own_note(database: Database) -> None:
    acceptance = notes.acceptance(_state(3), [LineQuantity("l0", 2), LineQuantity("l1", 3)])
    rendered = _rendered(database, notes.accepted(acceptance), notice_event="decision")
    assert rendered == {
        "en": "decision notice for RSL: accepted: 2 of 3 lines, 5 copies",
        "id": "pemberitahuan keputusan untuk RSL: diterima: 2 dari 3 judul, 5 eksemplar",
        "ru": "уведомление о решении для RSL: принято: 2 из 3 позиций, 5 экземпляров",
    }


def test_large_counts_are_written_in_the_readers_locale(database: Database) -> None:
    result = ImportBatchResult(
        batch_id="b1", state="completed", total=30000, imported=29998, rejected=2
    )
    rendered = _rendered(database, notes.imported("b1", result))
    for code, lang in LANGS.items():
        for n in (30000, 29998):
            assert format_decimal(n, locale=lang.locale) in rendered[code], (code, rendered)
    assert rendered["ru"].endswith("из 30\xa0000 записей, 2 отклонены")
    assert "30000" not in rendered["id"] and "30.000" in rendered["id"]


def test_a_claim_answer_keeps_the_senders_words(database: Database) -> None:
    claim = ClaimState("c2", "damaged", "written_off", "l0", 1)
    answer = ClaimAnswerInput(Actor("HOME", "staff:1"), "c2", "write_off", "torn cover")
    _, history = notes.claim_answer(claim, answer)
    assert _rendered(database, history) == {
        "en": "c2: written off (torn cover)",
        "id": "c2: dihapuskan (torn cover)",
        "ru": "c2: списано (torn cover)",
    }


def test_peoples_words_and_old_rows_show_as_written(database: Database) -> None:
    assert set(_rendered(database, notes.Note("Tidak sesuai koleksi")).values()) == {
        "Tidak sesuai koleksi"
    }
    old = ExchangeEvent(exchange_id="x", seq=2, actor="system", step="accept", state="accepted")
    old.note = "2 of 3 lines, 5 copies"  # written before notes had message ids
    assert render_note(LANGS["ru"], old) == "2 of 3 lines, 5 copies"


def test_every_note_the_workflow_makes_has_a_renderer() -> None:
    state = _state(2, accepted=[1])
    claim = ClaimState("c1", "overdue", "open")
    made = [
        notes.proposal(state),
        notes.revision(2),
        notes.acceptance(state, state.accepted),
        notes.accepted(notes.acceptance(state, state.accepted)),
        notes.declined("no"),
        notes.shipment(ShipmentInput(Actor("HOME", "s"), "Pos Indonesia", "RR1")),
        notes.receipt(state, [ReceivedLine("l0", 1)]),
        *notes.claim_answer(claim, ClaimAnswerInput(Actor("HOME", "s"), "c1", "resend")),
        notes.resent_arrived(claim),
        notes.loss(state, None),
        notes.reminder(Deadlines(respond_by="2026-12-31")),
        notes.expiry(Deadlines(respond_by="2026-12-31")),
        notes.deadline("respond_by", "the decision deadline cannot be counted"),
        notes.overdue(state, claim),
        notes.uploaded("b1"),
        notes.imported("b1", ImportBatchResult("b1", "completed", 1, 1, 0)),
        notes.imported("b1", ImportBatchResult("b1", "failed", 0, 0, 0, "unreadable file")),
        notes.catalogued(state),
    ]
    assert {note.id for note in made} <= NOTE_IDS
    for note in made:
        row = ExchangeEvent(exchange_id="x", seq=2, actor="system", step="s", state="proposed")
        row.note, row.note_id, row.note_params = note_fields(note)
        ru = render_note(LANGS["ru"], row)
        assert ru and ru != note.text, note
