"""Matching that does not create duplicates, and who may upload where, in the service layer.

Issue 14: the same RUSMARC file (records without ISBN and without 003) imported twice made 30
new records; the line "Светильник Сибири" missed the record "Светильник Сибири : Жизнеописание…",
whose author is only in 700. The records here are the real ones of that report:
loge-gh/rusmarc's TEST1.ISO in ``../shared/marc-corpus`` (81 RUSMARC records in Windows-1251,
30 of them without ISBN, none with 003; record 6 is "Светильник Сибири").
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pymarc
import pytest
from sqlmodel import Session, col, select

import marc
from services.exchange.models import BatchKey, Exchange, ExchangeLine, ImportOutcome, MarcBatch
from services.exchange.problems import Problem
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import imports, matching, upload_access
from services.exchange.service.import_sources import source_of
from services.exchange.service.keys import ACQUISITIONS, CATALOGUER, Caller
from services.exchange.storage.db import session_scope
from tests.fast.conftest import HOME_CODE, STAFF, Database, insert_exchange, new_batch, new_partner
from tests.support import build_record
from workflows.exchange.types import ACCEPTED, PROPOSED, RECEIVED, SHIPPED

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "marc-corpus"
TEST1 = CORPUS / "loge-gh-rusmarc" / "TEST1.ISO"

needs_corpus = pytest.mark.skipif(
    not TEST1.is_file(),
    reason="../shared/marc-corpus (with loge-gh-rusmarc/TEST1.ISO) is absent: conformance "
    "files are not part of a user's clone",
)


def _rusmarc() -> list[marc.ReadRecord]:
    items = list(marc.read_records(TEST1))
    assert all(isinstance(item, marc.ReadRecord) for item in items)
    return [item for item in items if isinstance(item, marc.ReadRecord)]


def _svetilnik() -> marc.ReadRecord:
    return _rusmarc()[5]


BARE = "001:RU\\NLR\\bibl\\64495|светильник сибири"  # record 6's 001, of no known source


def _ctl(keys: list[str]) -> set[str]:
    return {key for key in keys if key.startswith(matching.CONTROL)}


def _isil() -> str:
    return f"RU-T{uuid.uuid4().hex[:6].upper()}"


# --- keys ------------------------------------------------------------------------------------


@needs_corpus
def test_003_the_partners_isil_and_the_converters_035_are_one_control_number_key() -> None:
    item, isil = _svetilnik(), _isil()
    converted = marc.to_marc21_record(item.record, item.dialect, source_isil=isil)
    assert converted["003"].data == isil and converted["035"]["a"].startswith(f"({isil})")
    plain = marc.to_marc21_record(item.record, item.dialect)
    assert plain.get("003") is None and plain.get("035") is None
    only_035 = marc.to_marc21_record(item.record, item.dialect, source_isil=isil)
    only_035.remove_fields("003")

    by_003 = _ctl(matching.record_keys(converted))
    by_partner = _ctl(matching.record_keys(plain, isil))
    by_035 = _ctl(matching.record_keys(only_035))
    assert by_003 == by_partner == by_035 == {f"ctl:{isil}|RU\\NLR\\bibl\\64495"}
    assert _ctl(matching.record_keys(plain)) == set(), "no source: no control-number key"
    assert BARE in matching.record_keys(plain)


def test_a_control_number_is_normalised_like_a_system_number() -> None:
    record = build_record(1)
    record["001"].data = "ocm00012345"
    record.add_field(pymarc.Field(tag="003", data="OCoLC"))
    assert _ctl(matching.record_keys(record)) == {"ctl:OCoLC|12345"}
    assert matching.control_key(" ", "12") is None and matching.control_key("X", "") is None


@needs_corpus
def test_review_keys_are_stored_but_never_merge() -> None:
    item = _svetilnik()
    record = marc.to_marc21_record(item.record, item.dialect)
    keys = matching.record_keys(record)
    tay = next(key for key in keys if key.startswith(matching.TITLE_AUTHOR_YEAR))
    assert tay == "tay:светильник сибири|титов|1999"
    assert matching.identity_keys(keys) == [], "review keys make no duplicates in a file"

    one = matching.match_catalogue(keys, {tay: {41}})
    assert (one.proposed, one.candidates, one.points) == (
        "multi_match",
        [41],
        ["title_author_year"],
    )
    assert one.review_only and "41" in (one.reason or "")
    bare = matching.match_catalogue(keys, {BARE: {7}})
    assert (bare.proposed, bare.points) == ("multi_match", ["control_number_only"])
    # With a known source, its 001 alone says nothing: that source's key found nothing.
    sourced = matching.record_keys(record, "RU-XXX")
    assert matching.match_catalogue(sourced, {BARE: {7}}).proposed == "create"
    both = matching.match_catalogue(sourced, {"ctl:RU-XXX|RU\\NLR\\bibl\\64495": {3}, tay: {9}})
    assert (both.proposed, both.candidates, both.points) == ("merge", [3], ["control_number"])


def test_review_keys_are_asked_only_for_a_record_without_isbn_or_issn() -> None:
    record = build_record(1, title="Babad Tanah Jawi", isbn="9786028021443")
    record.add_field(
        pymarc.Field(
            tag="100",
            indicators=pymarc.Indicators("1", " "),
            subfields=[pymarc.Subfield("a", "Olthof, W. L.")],
        )
    )
    keys = matching.record_keys(record)
    tay = "tay:babad tanah jawi|olthof|2026"
    assert not any(key.startswith(matching.REVIEW_PREFIXES) for key in keys)
    assert matching.match_catalogue([*keys, tay], {tay: {5}}).proposed == "create", (
        "a new ISBN is another edition: review keys are not asked"
    )
    record.remove_fields("020")
    keys = matching.record_keys(record)
    assert tay in keys and "001:test000001|babad tanah jawi" in keys
    assert matching.match_catalogue(keys, {tay: {5}}).candidates == [5]


# --- lines -----------------------------------------------------------------------------------


@needs_corpus
def test_a_line_matches_the_title_proper_and_the_author_from_700() -> None:
    item = _svetilnik()
    record = marc.to_marc21_record(item.record, item.dialect)
    assert not record.get_fields("100", "110", "111") and record.get_fields("700")
    index = marc.index_record(record)
    assert index.author == "Титов, Федор Иванович"
    assert index.title_proper == "Светильник Сибири"

    def line(title: str, **fields: object) -> matching.LineTarget:
        row = {"id": str(uuid.uuid4()), "exchange_id": "x", "position": 1, "quantity": 1}
        return matching.LineTarget.of(ExchangeLine.model_validate(row | {"title": title} | fields))

    keys = matching.record_keys(record)
    offered = line("Светильник Сибири", author="Титов, Ф. И.", year=1999)
    other = line("Светильник Сибири", year=1913)  # the year both know disagrees
    assert matching.match_line([other, offered], keys, index) == offered.line_id
    assert matching.match_line([other], keys, index) is None
    assert matching.match_line([line("СВЕТИЛЬНИК СИБИРИ.")], keys, index) is not None


# --- where the source comes from -------------------------------------------------------------


def _batch(db: Database, batch_id: str) -> MarcBatch:
    with Session(db.engine) as session:
        batch = session.get(MarcBatch, batch_id)
        assert batch is not None
        return batch


def test_the_partner_of_an_exchange_it_sends_is_the_source_of_its_records(
    database: Database, tmp_path: Path
) -> None:
    isil = _isil()
    partner, caller = new_partner(database, isil=isil)
    bare, bare_caller = new_partner(database)
    line = [LineIn(title="Kamus", quantity=1)]
    incoming, _ = insert_exchange(database, caller, "incoming", line)
    outgoing, _ = insert_exchange(database, caller, "outgoing", line)
    without_isil, _ = insert_exchange(database, bare_caller, "incoming", line)
    path = tmp_path / "one.mrc"
    path.write_bytes(build_record(1).as_marc())

    def agency(exchange_id: str | None, uploaded_by: str = STAFF.actor) -> str | None:
        batch_id = new_batch(database, path, exchange_id=exchange_id, uploaded_by=uploaded_by)
        with Session(database.engine) as session:
            return source_of(session, _batch(database, batch_id)).control_agency

    assert agency(incoming) == isil
    assert agency(incoming, uploaded_by=partner.code) == isil
    assert agency(without_isil) == f"partner:{bare.code}"
    assert agency(outgoing) is None, "our own records go out in an outgoing exchange"
    assert agency(None) is None


def _identity_by_position(db: Database, batch_id: str) -> dict[int, set[str]]:
    with Session(db.engine) as session:
        rows = session.exec(
            select(BatchKey.position, BatchKey.key).where(col(BatchKey.batch_id) == batch_id)
        )
        found: dict[int, set[str]] = {}
        for position, key in rows:
            found.setdefault(position, set()).add(key)
        return found


@needs_corpus
def test_the_same_rusmarc_file_staged_by_three_routes_meets_itself(
    database: Database, tmp_path: Path
) -> None:
    """Uploaded by the partner (the converter writes 003 and 035), by staff for the partner's
    exchange (no 003: the partner's ISIL), and as a MARC 21 file with only the 035: every
    record has one control-number key in all three, and none would be created again."""
    isil = _isil()
    partner, caller = new_partner(database, isil=isil, marc_format="rusmarc")
    exchange_id, _ = insert_exchange(database, caller, "incoming", [LineIn(title="x", quantity=1)])
    by_partner = new_batch(database, TEST1, exchange_id=exchange_id, uploaded_by=partner.code)
    by_staff = new_batch(database, TEST1, exchange_id=exchange_id)
    only_035 = tmp_path / "only-035.mrc"
    with only_035.open("wb") as out:
        for item in _rusmarc():
            record = marc.to_marc21_record(item.record, item.dialect, source_isil=isil)
            record.remove_fields("003")
            out.write(marc.to_marc21(record))
    standalone = new_batch(database, only_035)
    for batch_id in (by_partner, by_staff, standalone):
        assert imports.import_whole(database.engine, batch_id).processed == 81

    first = _identity_by_position(database, by_partner)
    assert len(first) == 80 and 34 not in first, "record 34 has record 33's ISBN: a duplicate"
    candidates: dict[str, set[int]] = {}
    for position, found in first.items():
        for key in found:
            candidates.setdefault(key, set()).add(position)
    for batch_id in (by_staff, standalone):
        again = _identity_by_position(database, batch_id)
        assert again.keys() == first.keys()
        for position, found in again.items():
            assert _ctl(list(found)) == _ctl(list(first[position])) != set(), position
            decision = matching.match_catalogue(sorted(found), candidates)
            assert decision.proposed != "create", (position, decision)


def test_records_sharing_only_title_author_and_year_are_not_duplicates_of_each_other(
    database: Database, tmp_path: Path
) -> None:
    def record(n: int) -> bytes:
        r = build_record(n, title="Serat Wedhatama :")
        r["001"].data = f"tay-{uuid.uuid4().hex}"
        r.add_field(
            pymarc.Field(
                tag="700",
                indicators=pymarc.Indicators("0", " "),
                subfields=[pymarc.Subfield("a", "Mangkunegara IV")],
            )
        )
        data: bytes = r.as_marc()
        return data

    path = tmp_path / "two.mrc"
    path.write_bytes(record(1) + record(2))
    batch_id = new_batch(database, path)
    imports.import_whole(database.engine, batch_id)
    with Session(database.engine) as session:
        outcomes = session.exec(
            select(ImportOutcome.outcome).where(col(ImportOutcome.batch_id) == batch_id)
        ).all()
    assert len(outcomes) == 2 and "duplicate" not in outcomes, outcomes


# --- who may upload where --------------------------------------------------------------------


def _staff(role: str) -> Caller:
    return Caller(kind="staff", key_id=f"fast-{role}", party=HOME_CODE, role=role)


def test_the_upload_rule_by_role_direction_and_state() -> None:
    partner = Caller(kind="partner", key_id="k", party="P", role="partner", partner_id=1)
    refusal = upload_access.upload_refusal
    for state in (SHIPPED, RECEIVED, "catalogued"):
        assert refusal(partner, True, state) is None
    for state in (PROPOSED, ACCEPTED):
        found = refusal(partner, True, state)
        assert found is not None and (found.status, found.kind) == (409, "exchange-not-shipped")
        assert found.extra == {"state": state}
    found = refusal(partner, False, SHIPPED)
    assert found is not None and (found.status, found.kind) == (409, "not-the-sender")
    found = refusal(partner, None, None)
    assert found is not None and found.status == 422
    for state in (PROPOSED, SHIPPED):
        assert refusal(_staff(CATALOGUER), False, state) is None
        assert refusal(STAFF, True, state) is None
        found = refusal(_staff(ACQUISITIONS), True, state)
        assert found is not None and (found.status, found.kind) == (403, "role-required")
    assert refusal(_staff(CATALOGUER), None, None) is None


def test_check_upload_reads_the_exchange(database: Database) -> None:
    _partner, caller = new_partner(database)
    _other, stranger = new_partner(database)
    line = [LineIn(title="Kamus", quantity=1)]
    incoming, _ = insert_exchange(database, caller, "incoming", line)
    outgoing, _ = insert_exchange(database, caller, "outgoing", line)

    def refused(who: Caller, exchange_id: str | None) -> tuple[int, str] | None:
        try:
            upload_access.check_upload(database.engine, who, exchange_id)
        except Problem as exc:
            return exc.status, exc.kind
        return None

    assert refused(stranger, incoming) == (404, "not-found")
    assert refused(caller, str(uuid.uuid4())) == (404, "not-found")
    assert refused(caller, outgoing) == (409, "not-the-sender")
    assert refused(caller, incoming) == (409, "exchange-not-shipped")
    with session_scope(database.engine) as session:
        exchange = session.get(Exchange, incoming)
        assert exchange is not None
        exchange.state = SHIPPED
    assert refused(caller, incoming) is None
    assert refused(_staff(CATALOGUER), outgoing) is None
    assert refused(_staff(ACQUISITIONS), outgoing) == (403, "role-required")
