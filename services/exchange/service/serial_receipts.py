"""A serial issue received, and what it counts in the ledger (so in the partner's balance).

The issue moves to received by one conditional UPDATE (from expected, claimed or skipped: an
issue staff skipped that arrives after all is received too); a second receipt of the same
issue counts its copies as duplicates, never as copies again. Its ledger entry is written once
(``ledger_entry.serial_issue_id`` is unique) in the title's direction: the copies received and,
where the title has a unit value, their value in its currency. The title counts once a year as
a title: the entry of the year's first received issue says titles 1, the others 0. The caller
holds the title's lock (``serial_access.lock_title``), so two first issues of a year cannot
both count the title.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from services.exchange.models import LedgerEntry
from services.exchange.problems import Problem
from services.exchange.serial_models import RECEIVED, SerialIssue, SerialTitle
from services.exchange.service import agreements
from services.exchange.service.serial_access import RECEIVABLE
from workflows.errors import N_


def _counted_this_year(session: Session, serial_id: int, year: int) -> bool:
    counted = session.execute(
        select(func.count())
        .select_from(LedgerEntry)
        .join(SerialIssue, col(SerialIssue.id) == col(LedgerEntry.serial_issue_id))
        .where(
            col(SerialIssue.serial_id) == serial_id,
            col(SerialIssue.year) == year,
            col(LedgerEntry.titles) > 0,
        )
    ).scalar_one()
    return int(counted) > 0


def _currency(session: Session, title: SerialTitle, day: date) -> str:
    if title.unit_value is None:
        return ""
    if title.currency:
        return title.currency
    agreement = agreements.valid_on(session, title.partner_id, day)
    return (agreement.currency or "") if agreement is not None else ""


def ledger_entry(session: Session, title: SerialTitle, issue: SerialIssue, copies: int) -> None:
    """The issue's entry in the ledger, written once."""
    assert issue.id is not None and title.id is not None
    exists = session.scalars(
        select(LedgerEntry.id).where(col(LedgerEntry.serial_issue_id) == issue.id)
    ).first()
    if exists is not None or copies <= 0:
        return
    value = title.unit_value * copies if title.unit_value is not None else None
    session.add(
        LedgerEntry(
            exchange_id=None,
            serial_issue_id=issue.id,
            partner_id=title.partner_id,
            year=issue.year,
            direction=title.direction,
            titles=0 if _counted_this_year(session, title.id, issue.year) else 1,
            copies=copies,
            currency=_currency(session, title, issue.received_on or issue.expected_on),
            value=value,
        )
    )
    session.flush()


def receive(
    session: Session,
    title: SerialTitle,
    issue: SerialIssue,
    *,
    received_on: date,
    copies: int,
    damaged: int,
    duplicate: bool,
    actor: str,
) -> SerialIssue:
    """Record a receipt of ``issue`` (the caller checked who may, and holds the title lock)."""
    if damaged > copies:
        raise Problem(422, "validation-error", N_("damaged: at most the copies that arrived"))
    if copies < 1:
        raise Problem(422, "validation-error", N_("copies: at least one copy arrived"))
    now = datetime.now(UTC)
    first = issue.state != RECEIVED  # read before the UPDATE refreshes the same object
    if not first:
        session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.id) == issue.id)
            .values(
                duplicates=col(SerialIssue.duplicates) + copies,
                damaged=col(SerialIssue.damaged) + damaged,
                edited_by=actor,
                updated_at=now,
            )
        )
    elif duplicate:
        raise Problem(
            409,
            "issue-not-received",
            N_("issue {numbers} has not been received: a duplicate needs a first copy").format(
                numbers=issue.numbers
            ),
        )
    else:
        done = session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.id) == issue.id, col(SerialIssue.state).in_(RECEIVABLE))
            .values(
                state=RECEIVED,
                received_on=received_on,
                copies_received=copies,
                damaged=damaged,
                edited_by=actor,
                updated_at=now,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Problem(
                409,
                "issue-state",
                N_("issue {numbers} is {state}").format(numbers=issue.numbers, state=issue.state),
            )
    fresh = session.get(SerialIssue, issue.id, populate_existing=True)
    assert fresh is not None
    if first:
        ledger_entry(session, title, fresh, copies)
    return fresh
