"""What every serial module shares: who sees a title, the lock a change takes, the pattern as
``workflows.serial.prediction`` reads it, a year's issues written from it, and the answers.

A partner sees only its own titles (both directions) and their issues; any other title does
not exist for it (404), as an exchange that is not its own. Staff who change anything are
acquisitions staff (or admins), as for exchanges. Changes to a title and its issues take the
title's row lock first, so a receipt, a claim and an edit of the same title are decided one
after the other by the database (``lock_title``), on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.serials import FrequencyIn, IssueOut, NumberingIn, SerialOut
from services.exchange.serial_models import (
    ACTIVE,
    CLAIMED,
    EXPECTED,
    SKIPPED,
    SerialDispatch,
    SerialIssue,
    SerialTitle,
)
from services.exchange.service import audit
from services.exchange.service.keys import ACQUISITIONS, Caller
from services.exchange.service.roles import require_role
from workflows.errors import N_
from workflows.serial import rules
from workflows.serial.prediction import Frequency, Numbering

Locked = TypeVar("Locked", SerialTitle, SerialDispatch)

INCOMING = "incoming"
OUTGOING = "outgoing"
# An issue still awaited: it may be received, claimed or skipped (the workflow's rule).
OPEN_STATES = rules.OPEN_STATES
# An issue a receipt may take (a skipped one that arrives after all is received too).
RECEIVABLE = (EXPECTED, CLAIMED, SKIPPED)

SERIAL_ENTITY = "serial_title"


def today() -> date:
    return datetime.now(UTC).date()


def require_staff_role(caller: Caller) -> None:
    """Staff who change serials are acquisitions staff (or admins): the routes' and pages' rule.
    A partner's key passes (the step decides what a partner may do)."""
    if caller.is_staff:
        require_role(caller, ACQUISITIONS)


def require_staff(caller: Caller) -> None:
    """Acquisitions staff (or admins) only; a partner's key is refused."""
    require_role(caller, ACQUISITIONS)


def serial_not_found(serial_id: int) -> Problem:
    return not_found(N_("serial {serial_id}").format(serial_id=serial_id))


def sees(caller: Caller, title: SerialTitle) -> bool:
    return caller.is_staff or title.partner_id == caller.partner_id


def visible(session: Session, caller: Caller, serial_id: int) -> SerialTitle:
    """The title if the caller may see it; otherwise it does not exist for them."""
    title = session.get(SerialTitle, serial_id)
    if title is None or not sees(caller, title):
        raise serial_not_found(serial_id)
    return title


def lock_row(session: Session, model: type[Locked], row_id: int) -> Locked | None:
    """The row of ``model`` with id ``row_id`` (it must have ``id`` and ``state``), locked for
    the rest of the transaction and read fresh; None when there is none.

    PostgreSQL: ``FOR UPDATE``. SQLite has one writer; a write first (the row, unchanged)
    takes the database's write lock, which makes every read after it current.
    """
    key = col(model.id)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(key == row_id).values(state=col(model.state)))
        return session.get(model, row_id, populate_existing=True)
    return session.scalars(
        select(model)
        .where(key == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def lock_title(session: Session, serial_id: int) -> SerialTitle:
    """The title row, locked for the rest of the transaction, read fresh (``lock_row``)."""
    found = lock_row(session, SerialTitle, serial_id)
    if found is None:
        raise serial_not_found(serial_id)
    return found


def visible_locked(session: Session, caller: Caller, serial_id: int) -> SerialTitle:
    visible(session, caller, serial_id)
    return lock_title(session, serial_id)


def issue_of(session: Session, title: SerialTitle, issue_id: int) -> SerialIssue:
    issue = session.get(SerialIssue, issue_id, populate_existing=True)
    if issue is None or issue.serial_id != title.id:
        raise not_found(N_("issue {issue_id}").format(issue_id=issue_id))
    return issue


def require_active(title: SerialTitle) -> None:
    if title.state != ACTIVE:
        raise Problem(
            409,
            "serial-ended",
            N_("serial {issn} is {state}").format(issn=title.issn, state=title.state),
        )


# --- the pattern ----------------------------------------------------------------------------


def frequency_of(stored: dict[str, Any]) -> Frequency:
    months = stored.get("months")
    return Frequency(
        issues_per_year=int(stored["issues_per_year"]),
        months=tuple(int(m) for m in months) if months is not None else None,
        combined=tuple(tuple(int(n) for n in group) for group in stored.get("combined") or ()),
    )


def numbering_of(stored: dict[str, Any]) -> Numbering:
    return Numbering(
        first_year=int(stored["first_year"]),
        volume_start=stored.get("volume_start"),
        volume_each_year=bool(stored.get("volume_each_year", True)),
        restart_yearly=bool(stored.get("restart_yearly", True)),
        issue_start=int(stored.get("issue_start", 1)),
    )


def stored_pattern(
    frequency: FrequencyIn, numbering: NumberingIn, first_year: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's pattern as the title stores it (the prediction dataclasses' fields)."""
    return frequency.model_dump(), {**numbering.model_dump(), "first_year": first_year}


# --- answers --------------------------------------------------------------------------------


def partner_code(session: Session, partner_id: int) -> str:
    partner = session.get(Partner, partner_id)
    assert partner is not None
    return partner.code


def serial_out(session: Session, title: SerialTitle) -> SerialOut:
    assert title.id is not None
    numbering = {k: v for k, v in title.numbering.items() if k != "first_year"}
    return SerialOut(
        id=title.id,
        partner=partner_code(session, title.partner_id),
        issn=title.issn,
        title=title.title,
        direction=title.direction,  # type: ignore[arg-type]
        frequency=FrequencyIn.model_validate(title.frequency),
        numbering=NumberingIn.model_validate(numbering),
        copies=title.copies,
        first_year=title.first_year,
        claim_after_days=title.claim_after_days,
        second_claim_days=title.second_claim_days,
        unit_value=title.unit_value,
        currency=title.currency,
        state=title.state,  # type: ignore[arg-type]
        confirmed_year=title.confirmed_year,
        ended_on=title.ended_on,
        end_reason=title.end_reason,
        successor_id=title.successor_id,
        note=title.note,
        created_at=title.created_at,
    )


def issue_out(issue: SerialIssue) -> IssueOut:
    return IssueOut.model_validate(issue.model_dump())


def audited(
    session: Session,
    caller: Caller | None,
    title: SerialTitle,
    action: str,
    before: dict[str, Any] | None,
) -> None:
    """One audit entry for the title in the change's own transaction."""
    session.flush()
    audit.changed(session, caller, SERIAL_ENTITY, str(title.id), action, before, title.model_dump())
