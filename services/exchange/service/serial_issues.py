"""A serial title's issues: the year as predicted and edited, receipts, check-in and claims.

Who does what: our staff check in what a partner sends us (incoming titles) and answer the
partner's claims of what we send (outgoing); a partner confirms what it received from us,
claims an issue we owe it, and answers our claims of what it sends. Everyone else's titles do
not exist for a partner (404). Each change takes the title's lock and moves the issue by a
conditional UPDATE, so a receipt and a claim that race are decided by the database; the
workflow's claims (``serial_claims``) use the same conditional UPDATEs.

A year not yet written is predicted and written on reading (by key, as the workflow does),
so staff can look at next year's issues before it starts. Claims made and answered here are
``serial_issue_claims`` (re-exported).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.serials import (
    CheckInIn,
    IssueAddIn,
    IssueEditIn,
    IssueOut,
    ReceiptIn,
    SerialOut,
)
from services.exchange.serial_models import (
    ACTIVE,
    CLAIMED,
    EXPECTED,
    RECEIVED,
    SKIPPED,
    SerialIssue,
    SerialTitle,
)
from services.exchange.service import serial_claims
from services.exchange.service.keys import Caller
from services.exchange.service.serial_access import (
    INCOMING,
    OPEN_STATES,
    OUTGOING,
    RECEIVABLE,
    issue_of,
    issue_out,
    lock_title,
    require_staff,
    require_staff_role,
    serial_out,
    today,
    visible,
)
from services.exchange.service.serial_issue_claims import answer_claim, claim_issue
from services.exchange.service.serial_receipts import receive
from services.exchange.storage.db import session_scope
from workflows.errors import N_

__all__ = [
    "add_issue",
    "answer_claim",
    "check_in",
    "claim_issue",
    "edit_issue",
    "late_issues",
    "list_issues",
    "record_receipt",
]


def _prepare(engine: Engine, title: SerialTitle, year: int) -> None:
    """Write the year's issues if it is one the title runs in (up to next year)."""
    assert title.id is not None
    if title.state == ACTIVE and title.first_year <= year <= today().year + 1:
        serial_claims.ensure_year(engine, title.id, year)


def list_issues(
    engine: Engine, caller: Caller, serial_id: int, year: int | None = None
) -> list[IssueOut]:
    """The title's issues of ``year`` (left out: every year written, this one included)."""
    with Session(engine) as session:
        title = visible(session, caller, serial_id)
        session.expunge(title)
    _prepare(engine, title, year if year is not None else today().year)
    with Session(engine) as session:
        query = select(SerialIssue).where(col(SerialIssue.serial_id) == serial_id)
        if year is not None:
            query = query.where(col(SerialIssue.year) == year)
        issues = session.scalars(
            query.order_by(
                col(SerialIssue.year), col(SerialIssue.expected_on), col(SerialIssue.seq)
            )
        ).all()
        return [issue_out(i) for i in issues]


def late_issues(engine: Engine, caller: Caller, on: date) -> list[tuple[SerialOut, IssueOut]]:
    """Staff: the issues of active titles still awaited after their day (``on``), this year
    and last (a December issue is late in January), the longest awaited first, read in one
    query. A title whose year is not written yet (its run has not reached it) is predicted
    first, as reading its year would; that is the rare case, found by one query a year."""
    require_staff(caller)
    years = (on.year - 1, on.year)
    with Session(engine) as session:
        unwritten: list[tuple[int, int]] = []
        for year in years:
            written = select(SerialIssue.serial_id).where(col(SerialIssue.year) == year)
            missing = session.scalars(
                select(SerialTitle.id).where(
                    col(SerialTitle.state) == ACTIVE,
                    col(SerialTitle.first_year) <= year,
                    col(SerialTitle.id).not_in(written),
                )
            ).all()
            unwritten += [(serial_id, year) for serial_id in missing if serial_id is not None]
    for serial_id, year in unwritten:
        serial_claims.ensure_year(engine, serial_id, year)
    with Session(engine) as session:
        rows = session.exec(
            select(SerialTitle, SerialIssue, Partner)
            .join(SerialIssue, col(SerialIssue.serial_id) == col(SerialTitle.id))
            .join(Partner, col(Partner.id) == col(SerialTitle.partner_id))
            .where(
                col(SerialTitle.state) == ACTIVE,
                col(SerialIssue.year).in_(years),
                col(SerialIssue.year) >= col(SerialTitle.first_year),
                col(SerialIssue.state).in_(OPEN_STATES),
                col(SerialIssue.expected_on) < on,
            )
            .order_by(col(SerialIssue.expected_on), col(SerialTitle.title), col(SerialIssue.id))
        ).all()
        titles: dict[int, SerialOut] = {}
        found = []
        for title, issue, _partner in rows:  # the partner is loaded for ``serial_out``
            assert title.id is not None
            if title.id not in titles:
                titles[title.id] = serial_out(session, title)
            found.append((titles[title.id], issue_out(issue)))
        return found


def _checked_day(day: date) -> date:
    """An expected day within the years a title may run in (its claim day is days later)."""
    if not 1950 <= day.year <= 2099:
        raise Problem(422, "validation-error", N_("expected_on: a day from 1950 to 2099"))
    return day


def _locked(session: Session, caller: Caller, serial_id: int) -> SerialTitle:
    visible(session, caller, serial_id)
    return lock_title(session, serial_id)


def edit_issue(
    engine: Engine, caller: Caller, serial_id: int, issue_id: int, body: IssueEditIn
) -> IssueOut:
    """Staff correct the prediction: skip an issue (or take a skip back), move its expected
    day (its claim day follows), change the copies expected."""
    require_staff(caller)
    with session_scope(engine) as session:
        title = _locked(session, caller, serial_id)
        issue = issue_of(session, title, issue_id)
        if issue.state == RECEIVED:
            raise Problem(
                409,
                "issue-state",
                N_("issue {numbers} is received: it is no longer edited").format(
                    numbers=issue.numbers
                ),
            )
        if body.skip is True:
            issue.state = SKIPPED
        elif body.skip is False and issue.state == SKIPPED:
            issue.state = EXPECTED
        if body.expected_on is not None:
            issue.expected_on = _checked_day(body.expected_on)
            issue.claim_on = body.expected_on + timedelta(days=title.claim_after_days)
        if body.copies_expected is not None:
            issue.copies_expected = body.copies_expected
        issue.edited_by = caller.actor
        issue.updated_at = datetime.now(UTC)
        session.add(issue)
        session.flush()
        return issue_out(issue)


def add_issue(engine: Engine, caller: Caller, serial_id: int, body: IssueAddIn) -> IssueOut:
    """Staff add an issue the prediction does not know (a supplement, an extra number)."""
    require_staff(caller)
    _checked_day(body.expected_on)
    numbers = body.numbers.strip()
    key = f"{body.year}:+{numbers}"[:32]
    with session_scope(engine) as session:
        title = _locked(session, caller, serial_id)
        taken = session.scalars(
            select(SerialIssue.id).where(
                col(SerialIssue.serial_id) == serial_id,
                col(SerialIssue.year) == body.year,
                col(SerialIssue.numbers) == numbers,
            )
        ).first()
        if (
            taken is not None
            or session.scalars(
                select(SerialIssue.id).where(
                    col(SerialIssue.serial_id) == serial_id, col(SerialIssue.key) == key
                )
            ).first()
        ):
            raise Problem(
                409,
                "issue-exists",
                N_("issue {numbers} of {year} exists already").format(
                    numbers=numbers, year=body.year
                ),
            )
        last = session.execute(
            select(func.coalesce(func.max(col(SerialIssue.seq)), 0)).where(
                col(SerialIssue.serial_id) == serial_id, col(SerialIssue.year) == body.year
            )
        ).scalar_one()
        issue = SerialIssue(
            serial_id=serial_id,
            year=body.year,
            seq=int(last) + 1,
            key=key,
            volume=body.volume,
            numbers=numbers,
            expected_on=body.expected_on,
            claim_on=body.expected_on + timedelta(days=title.claim_after_days),
            state=EXPECTED,
            copies_expected=body.copies_expected,
            edited_by=caller.actor,
        )
        session.add(issue)
        session.flush()
        return issue_out(issue)


def _require_receiver(caller: Caller, title: SerialTitle) -> None:
    """Staff check in what the partner sends; the partner confirms what we send it."""
    require_staff_role(caller)
    if not caller.is_staff and title.direction == INCOMING:
        raise Problem(
            403,
            "forbidden",
            N_("you send this title: our staff record its receipt"),
        )


def _receipt(
    session: Session, caller: Caller, title: SerialTitle, issue: SerialIssue, body: ReceiptIn
) -> IssueOut:
    fresh = receive(
        session,
        title,
        issue,
        received_on=body.received_on or today(),
        copies=body.copies,
        damaged=body.damaged,
        duplicate=body.duplicate,
        actor=caller.actor,
    )
    return issue_out(fresh)


def record_receipt(
    engine: Engine, caller: Caller, serial_id: int, issue_id: int, body: ReceiptIn
) -> IssueOut:
    """An issue arrived (a second receipt of it: duplicates); its ledger entry is written once."""
    with session_scope(engine) as session:
        title = _locked(session, caller, serial_id)
        _require_receiver(caller, title)
        return _receipt(session, caller, title, issue_of(session, title, issue_id), body)


def _same_number(numbers: str) -> str:
    """A number as typed or scanned, compared as printed: "5-6", "5 / 6" and "5/6" alike."""
    return "".join(numbers.split()).replace("-", "/").lower()


def check_in(engine: Engine, caller: Caller, body: CheckInIn) -> IssueOut:
    """A receipt by what is printed on the issue: the ISSN and the number (the year and the
    partner narrow it). The oldest open issue that matches is received; an issue received
    already is taken only for a duplicate. Staff check in incoming titles, a partner ours."""
    direction = INCOMING if caller.is_staff else OUTGOING
    with Session(engine) as session:
        query = select(SerialTitle).where(
            col(SerialTitle.issn) == body.issn, col(SerialTitle.direction) == direction
        )
        if not caller.is_staff:
            query = query.where(col(SerialTitle.partner_id) == caller.partner_id)
        if body.partner is not None:
            query = query.join(Partner, col(Partner.id) == col(SerialTitle.partner_id)).where(
                col(Partner.code) == body.partner
            )
        titles = list(session.scalars(query.order_by(col(SerialTitle.id))).all())
        for title in titles:
            session.expunge(title)
    if not titles:
        text = (
            N_("a serial with ISSN {issn} that we receive")
            if caller.is_staff
            else N_("a serial with ISSN {issn} that you receive")
        )
        raise not_found(text.format(issn=body.issn))
    for title in titles:
        _prepare(engine, title, body.year if body.year is not None else today().year)
    wanted = _same_number(body.numbers)
    states = (RECEIVED, *RECEIVABLE) if body.receipt.duplicate else RECEIVABLE
    with session_scope(engine) as session:
        for title in titles:
            assert title.id is not None
            lock_title(session, title.id)
        issues = select(SerialIssue).where(
            col(SerialIssue.serial_id).in_([t.id for t in titles]),
            col(SerialIssue.state).in_(states),
        )
        if body.year is not None:
            issues = issues.where(col(SerialIssue.year) == body.year)
        candidates = [
            i
            for i in session.scalars(
                issues.order_by(
                    col(SerialIssue.year), col(SerialIssue.expected_on), col(SerialIssue.id)
                )
            )
            if _same_number(i.numbers) == wanted
        ]
        # Awaited issues first (expected, claimed), then skipped ones, then received ones.
        rank = {EXPECTED: 0, CLAIMED: 0, SKIPPED: 1, RECEIVED: 2}
        candidates.sort(key=lambda i: rank[i.state])
        if not candidates:
            year = f" ({body.year})" if body.year is not None else ""
            raise not_found(
                N_("an open issue numbered {numbers}{year} of ISSN {issn}").format(
                    numbers=body.numbers, year=year, issn=body.issn
                )
            )
        issue = candidates[0]
        title = next(t for t in titles if t.id == issue.serial_id)
        return _receipt(session, caller, session.merge(title), issue, body.receipt)
