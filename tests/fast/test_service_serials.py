"""Serial exchanges through the service layer, on SQLite and PostgreSQL, without HTTP.

A title registered (its pattern checked, its ISSN normalised, one per partner and direction),
its year predicted on reading, issues received (damaged, duplicates) with their ledger entries
as the balance reads them (the title once a year, copies per issue, value where set), checked
in by ISSN and number, claimed by the partner and answered by us (and the other way round, the
workflow's claim activity called directly), ended by either side, reviewed, and dispatched.
The same paths over HTTP with the real workflow are ``tests/test_api_serials.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import AuditEntry, LedgerEntry, Notice
from services.exchange.problems import Problem
from services.exchange.schemas.serials import (
    CheckInIn,
    ClaimAnswerIn,
    DispatchIn,
    IssueAddIn,
    IssueEditIn,
    IssueOut,
    ReceiptIn,
    ReviewIn,
    SerialChangeIn,
    SerialEndIn,
    SerialIn,
    SerialOut,
)
from services.exchange.serial_models import SerialIssue
from services.exchange.service import (
    reports,
    serial_claims,
    serial_dispatches,
    serial_issues,
    serials,
)
from services.exchange.service.keys import CATALOGUER, Caller
from tests.fast.conftest import HOME_CODE, STAFF, Database, new_partner

TODAY = datetime.now(UTC).date()
LAST_YEAR = TODAY.year - 2  # a year whose issues are all claimed by now, whatever the month


def unique_issn() -> str:
    """A valid ISSN no other test uses (check-in looks titles up by ISSN)."""
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _body(**fields: Any) -> SerialIn:
    return SerialIn.model_validate(
        {
            "issn": unique_issn(),
            "title": "Vestnik Biblioteki",
            "direction": "incoming",
            "frequency": {"issues_per_year": 12},
            "first_year": LAST_YEAR,
            "claim_after_days": 30,
            **fields,
        }
    )


def _title(db: Database, code: str, **fields: Any) -> SerialOut:
    return serials.create_serial(db.engine, STAFF, code, _body(**fields))


def _issues(db: Database, serial_id: int, year: int = LAST_YEAR) -> list[IssueOut]:
    return serial_issues.list_issues(db.engine, STAFF, serial_id, year)


def _receipt(**fields: Any) -> ReceiptIn:
    return ReceiptIn.model_validate({"received_on": TODAY.isoformat(), **fields})


def _ledger(db: Database, issue_ids: list[int]) -> list[LedgerEntry]:
    with Session(db.engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(col(LedgerEntry.serial_issue_id).in_(issue_ids))
                .order_by(col(LedgerEntry.serial_issue_id))
            )
        )


def _refused(status: int, call: Any, *args: Any, **kwargs: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    assert caught.value.status == status, caught.value.detail
    return caught.value


def test_a_title_is_registered_with_its_pattern_checked(database: Database) -> None:
    partner, own = new_partner(database)
    made = _title(database, partner.code, issn="2434561x")
    assert made.issn == "2434-561X" and made.partner == partner.code and made.state == "active"
    assert made.frequency.issues_per_year == 12 and made.numbering.restart_yearly is True
    with Session(database.engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(
                col(AuditEntry.entity) == "serial_title", col(AuditEntry.entity_key) == str(made.id)
            )
        ).one()
        assert entry.action == "created" and entry.after is not None
    # The same ISSN and direction again: 409; the other direction is another exchange.
    again = _refused(409, _title, database, partner.code, issn="2434-561X")
    assert again.kind == "serial-exists"
    other = _title(database, partner.code, issn="2434-561X", direction="outgoing")
    assert other.direction == "outgoing"
    # A pattern that describes no year: 422 with the reason.
    bad = _refused(
        422, _title, database, partner.code, frequency={"issues_per_year": 4, "months": [3, 6]}
    )
    assert "2 months given for 4 issues a year" in bad.detail
    # No agreement: 409, as for a proposal.
    lonely, _ = new_partner(database, agreement=False)
    assert _refused(409, _title, database, lonely.code).kind == "no-agreement"
    # A partner registers only for itself; another partner's code does not exist for it.
    theirs = serials.create_serial(database.engine, own, partner.code, _body())
    assert theirs.partner == partner.code
    stranger, _ = new_partner(database)
    _refused(404, serials.create_serial, database.engine, own, stranger.code, _body())
    # A cataloguer does not change the register.
    cataloguer = Caller(kind="staff", key_id="cat", party=HOME_CODE, role=CATALOGUER)
    _refused(403, serials.create_serial, database.engine, cataloguer, partner.code, _body())


def test_a_partner_sees_only_its_own_titles(database: Database) -> None:
    first, first_key = new_partner(database)
    second, second_key = new_partner(database)
    mine = _title(database, first.code, title="Acta Bibliothecaria")
    theirs = _title(database, second.code)
    listed = serials.list_serials(database.engine, first_key)
    assert [t.id for t in listed] == [mine.id]
    _refused(404, serials.get_serial, database.engine, first_key, theirs.id)
    _refused(404, serial_issues.list_issues, database.engine, first_key, theirs.id, LAST_YEAR)
    _refused(404, serials.list_serials, database.engine, first_key, second.code)
    assert serials.get_serial(database.engine, second_key, theirs.id).id == theirs.id
    # Staff filter and search.
    found = serials.list_serials(database.engine, STAFF, q="bibliothecaria")
    assert mine.id in [t.id for t in found] and theirs.id not in [t.id for t in found]
    by_issn = serials.list_serials(database.engine, STAFF, q=theirs.issn)
    assert [t.id for t in by_issn] == [theirs.id]
    both = serials.list_serials(database.engine, STAFF, partner=first.code, direction="incoming")
    assert [t.id for t in both] == [mine.id]


def test_a_year_is_predicted_on_reading_and_written_once(database: Database) -> None:
    partner, _ = new_partner(database)
    made = _title(
        database,
        partner.code,
        frequency={"issues_per_year": 6, "combined": [[5, 6]]},
        numbering={"volume_start": 10},
        copies=2,
    )
    issues = _issues(database, made.id)
    assert [i.numbers for i in issues] == ["1", "2", "3", "4", "5/6"]
    assert {i.volume for i in issues} == {10} and {i.copies_expected for i in issues} == {2}
    assert issues[0].claim_on == issues[0].expected_on + timedelta(days=30)
    assert [i.id for i in _issues(database, made.id)] == [i.id for i in issues]
    following = _issues(database, made.id, LAST_YEAR + 1)
    assert {i.volume for i in following} == {11} and len(following) == 5
    # Staff correct it: a skipped number, a moved day, an extra supplement.
    skipped = serial_issues.edit_issue(
        database.engine, STAFF, made.id, issues[1].id, IssueEditIn(skip=True)
    )
    assert skipped.state == "skipped"
    moved_to = date(LAST_YEAR, 7, 15)
    moved = serial_issues.edit_issue(
        database.engine, STAFF, made.id, issues[2].id, IssueEditIn(expected_on=moved_to)
    )
    assert moved.expected_on == moved_to and moved.claim_on == moved_to + timedelta(days=30)
    extra = serial_issues.add_issue(
        database.engine,
        STAFF,
        made.id,
        IssueAddIn(year=LAST_YEAR, numbers="Suppl.", expected_on=date(LAST_YEAR, 12, 31)),
    )
    assert extra.seq == 6 and extra.state == "expected"
    body = IssueAddIn(year=LAST_YEAR, numbers="Suppl.", expected_on=date(LAST_YEAR, 12, 31))
    _refused(409, serial_issues.add_issue, database.engine, STAFF, made.id, body)


def test_receipts_count_the_title_once_a_year_and_copies_per_issue(database: Database) -> None:
    partner, own = new_partner(database)
    made = _title(database, partner.code, copies=2, unit_value="4.50", currency="EUR")
    first, second = _issues(database, made.id)[:2]
    got = serial_issues.record_receipt(
        database.engine, STAFF, made.id, first.id, _receipt(copies=2, damaged=1)
    )
    assert got.state == "received" and got.copies_received == 2 and got.damaged == 1
    serial_issues.record_receipt(database.engine, STAFF, made.id, second.id, _receipt(copies=1))
    # A second receipt of the same issue: duplicates, not copies; no second ledger entry.
    again = serial_issues.record_receipt(
        database.engine, STAFF, made.id, first.id, _receipt(copies=1)
    )
    assert again.copies_received == 2 and again.duplicates == 1
    entries = _ledger(database, [first.id, second.id])
    assert [(e.titles, e.copies, e.direction) for e in entries] == [
        (1, 2, "incoming"),
        (0, 1, "incoming"),
    ]
    assert [e.value for e in entries] == [Decimal("9.00"), Decimal("4.50")]
    assert {e.currency for e in entries} == {"EUR"} and {e.year for e in entries} == {LAST_YEAR}
    balance = reports.balance(database.engine, STAFF, partner.code, LAST_YEAR)
    assert balance.received.copies == 3 and balance.received.titles == 1
    # The partner sends this title: our staff check it in, not the partner.
    third = _issues(database, made.id)[2]
    _refused(403, serial_issues.record_receipt, database.engine, own, made.id, third.id, _receipt())
    _refused(
        422,
        serial_issues.record_receipt,
        database.engine,
        STAFF,
        made.id,
        third.id,
        _receipt(copies=1, damaged=2),
    )
    # A duplicate of an issue not received yet is refused.
    _refused(
        409,
        serial_issues.record_receipt,
        database.engine,
        STAFF,
        made.id,
        third.id,
        _receipt(duplicate=True),
    )


def test_check_in_by_issn_and_number_takes_the_oldest_open_issue(database: Database) -> None:
    partner, _ = new_partner(database)
    made = _title(database, partner.code, frequency={"issues_per_year": 4})
    older = _issues(database, made.id)
    _issues(database, made.id, LAST_YEAR + 1)
    body = CheckInIn.model_validate({"issn": made.issn.replace("-", ""), "numbers": " 2 "})
    got = serial_issues.check_in(database.engine, STAFF, body)
    assert got.id == older[1].id and got.state == "received"
    newer = serial_issues.check_in(database.engine, STAFF, body)
    assert newer.year == LAST_YEAR + 1 and newer.numbers == "2"
    missing = CheckInIn.model_validate({"issn": made.issn, "numbers": "9"})
    problem = _refused(404, serial_issues.check_in, database.engine, STAFF, missing)
    assert "9" in problem.detail and made.issn in problem.detail
    unknown = CheckInIn.model_validate({"issn": unique_issn(), "numbers": "1"})
    assert "ISSN" in _refused(404, serial_issues.check_in, database.engine, STAFF, unknown).detail
    # The number of an issue received already is a duplicate only when said so.
    twice = CheckInIn.model_validate(
        {"issn": made.issn, "numbers": "1", "year": LAST_YEAR, "receipt": {"copies": 1}}
    )
    serial_issues.check_in(database.engine, STAFF, twice)
    _refused(404, serial_issues.check_in, database.engine, STAFF, twice)
    dup = CheckInIn.model_validate(
        {"issn": made.issn, "numbers": "1", "year": LAST_YEAR, "receipt": {"duplicate": True}}
    )
    assert serial_issues.check_in(database.engine, STAFF, dup).duplicates == 1


def test_a_partner_claims_what_we_send_and_our_staff_answer(database: Database) -> None:
    partner, own = new_partner(database)
    made = _title(database, partner.code, direction="outgoing")
    issue = _issues(database, made.id)[0]
    told: list[int] = []
    claimed = serial_issues.claim_issue(
        database.engine, own, made.id, issue.id, home=HOME_CODE, told=told
    )
    assert claimed.state == "claimed" and claimed.claims == 1 and claimed.last_claimed_on == TODAY
    with Session(database.engine) as session:
        notice = session.get(Notice, told[0])
        assert notice is not None and notice.party == HOME_CODE
        assert notice.event == "serial_claim" and notice.key == f"serial-claim:{issue.id}:1"
        assert notice.serial_id == made.id
    # Staff do not claim, and the partner does not answer its own claim.
    _refused(403, serial_issues.claim_issue, database.engine, STAFF, made.id, issue.id)
    answer = ClaimAnswerIn.model_validate({"answer": "sent", "sent_on": TODAY.isoformat()})
    _refused(403, serial_issues.answer_claim, database.engine, own, made.id, issue.id, answer)
    sent = serial_issues.answer_claim(database.engine, STAFF, made.id, issue.id, answer)
    assert sent.state == "expected" and sent.answer == "sent" and sent.sent_on == TODAY
    assert sent.claim_on == TODAY + timedelta(days=30) and sent.claims == 1
    again = serial_issues.claim_issue(database.engine, own, made.id, issue.id, home=HOME_CODE)
    assert again.claims == 2
    assert _refused(
        409, serial_issues.claim_issue, database.engine, own, made.id, issue.id
    ).kind == ("claimed-twice")
    # An issue not yet due is not claimed; nor is an answer given to an unclaimed one.
    future = _title(database, partner.code, direction="outgoing", first_year=TODAY.year + 1)
    early = _issues(database, future.id, TODAY.year + 1)[0]
    _refused(409, serial_issues.claim_issue, database.engine, own, future.id, early.id)
    _refused(409, serial_issues.answer_claim, database.engine, STAFF, future.id, early.id, answer)


def test_our_claims_of_what_we_receive_are_answered_by_the_partner(database: Database) -> None:
    partner, own = new_partner(database)
    made = _title(database, partner.code)
    issues = _issues(database, made.id)
    done = serial_claims.claim_due_issues(database.engine, made.id, TODAY)
    assert done.claimed == 12 and len(done.notice_ids) == 12
    later = ClaimAnswerIn.model_validate({"answer": "not_yet_published"})
    _refused(403, serial_issues.answer_claim, database.engine, STAFF, made.id, issues[0].id, later)
    moved = serial_issues.answer_claim(database.engine, own, made.id, issues[0].id, later)
    assert moved.state == "expected" and moved.claim_on == TODAY + timedelta(days=30)
    never = ClaimAnswerIn.model_validate({"answer": "will_not_be_published"})
    gone = serial_issues.answer_claim(database.engine, own, made.id, issues[1].id, never)
    assert gone.state == "skipped"
    ceased = ClaimAnswerIn.model_validate({"answer": "ceased", "note": "last number was 2"})
    serial_issues.answer_claim(database.engine, own, made.id, issues[2].id, ceased)
    title = serials.get_serial(database.engine, STAFF, made.id)
    assert title.state == "ceased" and title.end_reason == "ceased" and title.ended_on == TODAY
    states = {i.numbers: i.state for i in _issues(database, made.id)}
    assert states["1"] == "skipped" and states["12"] == "skipped"


def test_either_side_ends_an_exchange_and_a_renamed_title_goes_on(database: Database) -> None:
    partner, own = new_partner(database)
    outgoing = _title(database, partner.code, direction="outgoing")
    incoming = _title(database, partner.code)
    assert {i.state for i in _issues(database, outgoing.id)} == {"expected"}
    not_wanted = SerialEndIn(reason="not_wanted")
    told: list[int] = []
    _refused(403, serials.end_serial, database.engine, own, incoming.id, not_wanted)
    _refused(
        403, serials.end_serial, database.engine, own, outgoing.id, SerialEndIn(reason="ceased")
    )
    ended = serials.end_serial(
        database.engine, own, outgoing.id, not_wanted, home=HOME_CODE, told=told
    )
    assert ended.state == "ended" and ended.end_reason == "not_wanted"
    assert {i.state for i in _issues(database, outgoing.id)} == {"skipped"}
    with Session(database.engine) as session:
        notice = session.get(Notice, told[0])
        assert notice is not None and notice.party == HOME_CODE and notice.event == "serial_ended"
    _refused(409, serials.end_serial, database.engine, own, outgoing.id, not_wanted)
    _refused(
        422, serials.end_serial, database.engine, STAFF, incoming.id, SerialEndIn(reason="renamed")
    )
    renamed = SerialEndIn.model_validate(
        {"reason": "renamed", "successor_issn": unique_issn(), "successor_title": "Novyi Vestnik"}
    )
    old = serials.end_serial(database.engine, STAFF, incoming.id, renamed, home=HOME_CODE)
    assert old.state == "ceased" and old.successor_id is not None
    new = serials.get_serial(database.engine, STAFF, old.successor_id)
    assert new.title == "Novyi Vestnik" and new.first_year == TODAY.year
    assert new.frequency == incoming.frequency and new.state == "active"


def test_the_yearly_review_confirms_or_ends(database: Database) -> None:
    partner, _ = new_partner(database)
    made = _title(database, partner.code, first_year=TODAY.year)
    _issues(database, made.id, TODAY.year + 1)
    kept = serials.review(database.engine, STAFF, made.id, ReviewIn(year=TODAY.year + 1, copies=3))
    assert kept.confirmed_year == TODAY.year + 1 and kept.copies == 3
    assert {i.copies_expected for i in _issues(database, made.id, TODAY.year + 1)} == {3}
    changed = serials.change_serial(
        database.engine, STAFF, made.id, SerialChangeIn(claim_after_days=10)
    )
    assert changed.claim_after_days == 10
    first = _issues(database, made.id, TODAY.year + 1)[0]
    assert first.claim_on == first.expected_on + timedelta(days=10)
    gone = serials.review(
        database.engine, STAFF, made.id, ReviewIn(year=TODAY.year + 1, keep=False)
    )
    assert gone.state == "ended" and gone.end_reason == "not_confirmed"
    with Session(database.engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(
                col(AuditEntry.entity) == "serial_title", col(AuditEntry.entity_key) == str(made.id)
            )
        ).all()
    assert sorted(actions) == ["created", "ended", "reviewed", "updated"]


def test_a_dispatch_is_made_sent_and_confirmed_into_the_ledger(database: Database) -> None:
    partner, own = new_partner(database)
    quarterly = _title(
        database, partner.code, direction="outgoing", frequency={"issues_per_year": 4}, copies=2
    )
    other, other_key = new_partner(database)
    _issues(database, quarterly.id)
    due = serial_dispatches.due_out(database.engine, STAFF, partner.code)
    owed = [i for i in due.issues if i.serial_id == quarterly.id and i.year == LAST_YEAR]
    assert len(owed) == 4 and all(i.expected_on <= TODAY for i in due.issues)
    wanted = [i.id for i in owed]
    made = serial_dispatches.create_dispatch(
        database.engine, STAFF, DispatchIn(partner=partner.code, issues=wanted)
    )
    assert made.state == "draft" and made.number and made.number.startswith("SD-")
    assert sorted(i.id for i in made.issues) == sorted(wanted)
    # In one dispatch only; a draft is not the partner's to see yet.
    _refused(
        409,
        serial_dispatches.create_dispatch,
        database.engine,
        STAFF,
        DispatchIn(partner=partner.code, issues=wanted[:1]),
    )
    _refused(
        409,
        serial_dispatches.create_dispatch,
        database.engine,
        STAFF,
        DispatchIn(partner=other.code, issues=wanted[1:2]),
    )
    _refused(404, serial_dispatches.get_dispatch, database.engine, own, made.id)
    assert serial_dispatches.list_dispatches(database.engine, own) == []
    not_due = serial_dispatches.due_out(database.engine, STAFF, partner.code)
    assert not set(wanted) & {i.id for i in not_due.issues}
    _refused(404, serial_dispatches.confirm_dispatch, database.engine, own, made.id)
    _refused(409, serial_dispatches.confirm_dispatch, database.engine, STAFF, made.id)
    told: list[int] = []
    sent = serial_dispatches.mark_sent(database.engine, STAFF, made.id, TODAY, told=told)
    assert sent.state == "sent" and {i.sent_on for i in sent.issues} == {TODAY}
    with Session(database.engine) as session:
        notice = session.get(Notice, told[0])
        assert notice is not None and notice.party == partner.code
        assert notice.event == "serial_dispatch" and notice.key == f"serial-dispatch:{made.id}:sent"
    _refused(409, serial_dispatches.mark_sent, database.engine, STAFF, made.id)
    _refused(404, serial_dispatches.confirm_dispatch, database.engine, other_key, made.id)
    assert [d.id for d in serial_dispatches.list_dispatches(database.engine, own)] == [made.id]
    confirmed = serial_dispatches.confirm_dispatch(database.engine, own, made.id)
    assert confirmed.state == "confirmed" and confirmed.confirmed_on == TODAY
    assert {(i.state, i.copies_received) for i in confirmed.issues} == {("received", 2)}
    entries = _ledger(database, wanted)
    assert [e.copies for e in entries] == [2, 2, 2, 2] and sum(e.titles for e in entries) == 1
    assert {e.direction for e in entries} == {"outgoing"}
    balance = reports.balance(database.engine, STAFF, partner.code, LAST_YEAR)
    assert balance.sent.copies == 8 and balance.sent.titles == 1
    with Session(database.engine) as session:
        rows = session.scalars(select(SerialIssue).where(col(SerialIssue.id).in_(wanted))).all()
        assert {r.dispatch_id for r in rows} == {made.id}
