"""The database side of the serial exchange workflow: a year's issues, claims, the review.

Everything here is safe to run twice (an activity's retry): a year's issues are written by
their key (``serial_id``, ``key``), a claim is one conditional UPDATE of the issue (the state
and the claim count it was read with), written in the same transaction as its notice, keyed
``serial-claim:{issue_id}:{n}``; and a retry on the same day answers the notices of that day's
claims again, so their deliveries are started even when the first attempt's answer was lost.
A receipt and a claim that race are decided by the database: a receipt committed first makes
the claim's UPDATE match no row (nothing is claimed, no notice); a claim committed first is
followed by the receipt's own conditional UPDATE (claimed -> received).

The rules themselves (when a claim is due) are ``workflows.serial.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.models import Notice, Partner
from services.exchange.serial_models import SerialIssue, SerialTitle
from services.exchange.service import serial_notices
from services.exchange.service.list_notices import notice_row
from services.exchange.storage.db import session_scope
from workflows.serial import rules
from workflows.serial.prediction import Frequency, Numbering, predict
from workflows.serial.types import (
    ACTIVE,
    CLAIMED,
    ENDED,
    EVENT_CLAIM,
    EVENT_REVIEW,
    EXPECTED,
    INCOMING,
    NOT_CONFIRMED,
)


def claim_key(issue_id: int, n: int) -> str:
    return f"serial-claim:{issue_id}:{n}"


def review_key(serial_id: int, year: int, partner: str | None = None) -> str:
    """The staff's reminder; with ``partner``, the partner's question whether it goes on."""
    base = f"serial-review:{serial_id}:{year}"
    return f"{base}:{partner}" if partner else base


def pattern(title: SerialTitle) -> tuple[Frequency, Numbering]:
    """The title's frequency and numbering as ``prediction`` takes them (JSON lists as
    tuples; the numbering's first year is the title's)."""
    f: dict[str, Any] = dict(title.frequency)
    months = f.get("months")
    frequency = Frequency(
        issues_per_year=int(f["issues_per_year"]),
        months=tuple(int(m) for m in months) if months is not None else None,
        combined=tuple(tuple(int(n) for n in group) for group in f.get("combined") or ()),
    )
    n: dict[str, Any] = {k: v for k, v in dict(title.numbering).items() if k != "first_year"}
    return frequency, Numbering(first_year=title.first_year, **n)


def _title(session: Session, serial_id: int) -> SerialTitle:
    title = session.get(SerialTitle, serial_id)
    if title is None:
        raise LookupError(f"there is no serial title {serial_id}")
    return title


def ensure_year(engine: Engine, serial_id: int, year: int) -> int:
    """Write the year's predicted issues that are not there yet (by key); how many were new.
    A title that no longer runs gets no new year."""
    for attempt in (1, 2):
        try:
            with session_scope(engine) as session:
                title = _title(session, serial_id)
                if title.state != ACTIVE:
                    return 0
                frequency, numbering = pattern(title)
                expected = predict(frequency, numbering, year, title.claim_after_days)
                keys = [e.key for e in expected]
                there = set(
                    session.exec(
                        select(SerialIssue.key).where(
                            col(SerialIssue.serial_id) == serial_id, col(SerialIssue.key).in_(keys)
                        )
                    )
                )
                new = [e for e in expected if e.key not in there]
                for e in new:
                    session.add(
                        SerialIssue(
                            serial_id=serial_id,
                            year=e.year,
                            seq=e.seq,
                            key=e.key,
                            volume=e.volume,
                            numbers=e.number_label,
                            expected_on=e.expected_on,
                            claim_on=e.claim_on,
                            state=EXPECTED,
                            copies_expected=title.copies,
                        )
                    )
                return len(new)
        except IntegrityError:  # written meanwhile (a reading of the year, say): read again
            if attempt == 2:
                raise
    return 0


def _open_issues(session: Session, serial_id: int) -> list[SerialIssue]:
    """The title's issues still awaited, of every year (December's are claimed next year)."""
    return list(
        session.exec(
            select(SerialIssue)
            .where(
                col(SerialIssue.serial_id) == serial_id,
                col(SerialIssue.state).in_(rules.OPEN_STATES),
                col(SerialIssue.claims) < rules.MAX_CLAIMS,
            )
            .order_by(col(SerialIssue.claim_on), col(SerialIssue.id))
        )
    )


def _next_claim(title: SerialTitle, issue: SerialIssue) -> date | None:
    return rules.next_claim_day(
        issue.state, issue.claims, issue.claim_on, issue.last_claimed_on, title.second_claim_days
    )


def next_due(session: Session, title: SerialTitle) -> date | None:
    """The earliest day a claim of the title is due: incoming and active titles only (we never
    claim from ourselves: an outgoing title's partner claims through the API)."""
    if title.state != ACTIVE or title.direction != INCOMING or title.id is None:
        return None
    days = [d for i in _open_issues(session, title.id) if (d := _next_claim(title, i)) is not None]
    return min(days, default=None)


@dataclass(frozen=True)
class PreparedYear:
    state: str
    direction: str
    next_due: date | None
    inserted: int


def prepare_year(engine: Engine, serial_id: int, year: int) -> PreparedYear:
    inserted = ensure_year(engine, serial_id, year)
    with Session(engine) as session:
        title = _title(session, serial_id)
        return PreparedYear(title.state, title.direction, next_due(session, title), inserted)


def claim_once(
    engine: Engine, title: SerialTitle, issue: SerialIssue, n: int, today: date, party: str
) -> int | None:
    """Claim ``issue`` as it was read (its state and claims); the notice's id, or None when it
    changed meanwhile (received, skipped, answered, claimed by another attempt)."""
    assert issue.id is not None and title.id is not None
    with session_scope(engine) as session:
        changed = session.execute(
            update(SerialIssue)
            .where(
                col(SerialIssue.id) == issue.id,
                col(SerialIssue.state) == issue.state,
                col(SerialIssue.claims) == issue.claims,
                col(SerialIssue.claim_on) == issue.claim_on,
            )
            .values(
                state=CLAIMED,
                claims=n,
                last_claimed_on=today,
                updated_at=datetime.now(UTC),
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        params = serial_notices.claim_params(title, issue, n)
        notice = notice_row(
            party=party,
            event=EVENT_CLAIM,
            key=claim_key(issue.id, n),
            note=serial_notices.claim_note(params),
            note_id=EVENT_CLAIM,
            note_params=params,
            serial_id=title.id,
        )
        session.add(notice)
        session.flush()
        return notice.id


@dataclass(frozen=True)
class ClaimsResult:
    notice_ids: list[int] = field(default_factory=list)
    next_due: date | None = None
    state: str = ACTIVE
    claimed: int = 0


def _partner_code(session: Session, title: SerialTitle) -> str:
    partner = session.get(Partner, title.partner_id)
    if partner is None:
        raise LookupError(f"serial title {title.id}: its partner is gone")
    return partner.code


def claim_due_issues(engine: Engine, serial_id: int, today: date) -> ClaimsResult:
    """Claim every issue of the title due by ``today``; the notices of today's claims (those
    of an earlier attempt today included), the next day a claim is due and the title's state."""
    with Session(engine) as session:
        title = _title(session, serial_id)
        if title.state != ACTIVE or title.direction != INCOMING:
            return ClaimsResult(state=title.state)
        party = _partner_code(session, title)
        due = [
            (issue, n)
            for issue in _open_issues(session, serial_id)
            if (
                n := rules.claim_due(
                    issue.state,
                    issue.claims,
                    issue.claim_on,
                    issue.last_claimed_on,
                    title.second_claim_days,
                    today,
                )
            )
            is not None
        ]
        session.expunge_all()
    claimed = sum(1 for issue, n in due if claim_once(engine, title, issue, n, today, party))
    with Session(engine) as session:
        title = _title(session, serial_id)
        today_keys = [
            claim_key(i.id, i.claims)
            for i in session.exec(
                select(SerialIssue).where(
                    col(SerialIssue.serial_id) == serial_id,
                    col(SerialIssue.last_claimed_on) == today,
                )
            )
            if i.id is not None and i.claims > 0
        ]
        ids = sorted(
            n
            for n in session.exec(select(Notice.id).where(col(Notice.key).in_(today_keys)))
            if n is not None
        )
        return ClaimsResult(ids, next_due(session, title), title.state, claimed)


def _notice(
    session: Session,
    *,
    party: str,
    key: str,
    note: str,
    params: dict[str, Any],
    serial_id: int,
) -> int | None:
    """One review notice by its key, in ``session``; the id of the one written before."""
    found = session.exec(select(Notice.id).where(col(Notice.key) == key)).first()
    if found is not None:
        return found
    notice = notice_row(
        party=party,
        event=EVENT_REVIEW,
        key=key,
        note=note,
        note_id=EVENT_REVIEW,
        note_params=params,
        serial_id=serial_id,
    )
    session.add(notice)
    session.flush()
    return notice.id


def remind_review(engine: Engine, serial_id: int, year: int, home: str) -> list[int]:
    """Remind staff to confirm the title for the next year (and ask the partner of an incoming
    title whether it goes on); nothing for a title confirmed already or no longer running."""
    for attempt in (1, 2):
        try:
            with session_scope(engine) as session:
                title = _title(session, serial_id)
                if title.state != ACTIVE or rules.goes_on(title.state, title.confirmed_year, year):
                    return []
                code = _partner_code(session, title)
                params = {
                    "title": title.title,
                    "issn": title.issn,
                    "year": year,
                    "next_year": year + 1,
                    "partner": code,
                    "direction": title.direction,
                }
                note = (
                    f"Yearly review: confirm {title.title} ({title.issn}) with {code} for "
                    f"{year + 1}, or it ends on {rules.year_end(year).isoformat()}"
                )
                ids = [
                    _notice(
                        session,
                        party=home,
                        key=review_key(serial_id, year),
                        note=note,
                        params=params,
                        serial_id=serial_id,
                    )
                ]
                if title.direction == INCOMING:
                    asked = (
                        f"Do you go on sending {title.title} ({title.issn}) in {year + 1}? "
                        "Tell us if you no longer send it"
                    )
                    ids.append(
                        _notice(
                            session,
                            party=code,
                            key=review_key(serial_id, year, code),
                            note=asked,
                            params=params,
                            serial_id=serial_id,
                        )
                    )
                return [i for i in ids if i is not None]
        except IntegrityError:  # the same reminder written meanwhile: read it
            if attempt == 2:
                raise
    return []


def close_year(engine: Engine, serial_id: int, year: int) -> tuple[str, int | None]:
    """At the end of ``year``: (state, next year) of a confirmed title; an active title not
    confirmed for the next year ends now (reason ``not_confirmed``), by a conditional UPDATE
    (a confirmation that commits first wins)."""
    with session_scope(engine) as session:
        title = _title(session, serial_id)
        if rules.goes_on(title.state, title.confirmed_year, year):
            return title.state, year + 1
        if title.state != ACTIVE:
            return title.state, None
        changed = session.execute(
            update(SerialTitle)
            .where(
                col(SerialTitle.id) == serial_id,
                col(SerialTitle.state) == ACTIVE,
                col(SerialTitle.confirmed_year) == title.confirmed_year
                if title.confirmed_year is not None
                else col(SerialTitle.confirmed_year).is_(None),
            )
            .values(
                state=ENDED,
                end_reason=NOT_CONFIRMED,
                ended_on=rules.year_end(year),
                updated_at=datetime.now(UTC),
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            again = _title(session, serial_id)
            session.refresh(again)
            if rules.goes_on(again.state, again.confirmed_year, year):
                return again.state, year + 1
            return again.state, None
        return ENDED, None
