"""Serial titles: the journals each side sends the other every year, and their lifecycle.

A title is registered per partner and direction (outgoing: we send it; incoming: the partner
does) with the pattern that predicts its issues, checked by ``prediction.check`` (a pattern
that describes no year is refused with the reason). It needs an agreement valid today, as a
proposal does. It ends when a side says so (a partner may say it no longer wants a title it
receives), when it ceased, when it continues under a new name (a successor title with the
same pattern is registered and linked), or when the yearly review does not confirm it. Its
issues still awaited are then skipped: nothing more is claimed.

The routes start or poke the title's workflow after these calls (``serial_runs``): the
database is the truth, the workflow only times things. Issues: ``serial_issues``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.problems import Problem
from services.exchange.schemas.serials import (
    ReviewIn,
    SerialChangeIn,
    SerialEndIn,
    SerialIn,
    SerialOut,
)
from services.exchange.serial_models import (
    CEASED,
    ENDED,
    EXPECTED,
    SerialIssue,
    SerialTitle,
)
from services.exchange.service import agreements, audit, serial_notices
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.service.serial_access import (
    OPEN_STATES,
    OUTGOING,
    SERIAL_ENTITY,
    audited,
    frequency_of,
    lock_title,
    numbering_of,
    partner_code,
    require_active,
    require_staff,
    require_staff_role,
    serial_out,
    stored_pattern,
    today,
    visible,
)
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.serial.prediction import PatternError, check

__all__ = [
    "change_serial",
    "create_serial",
    "end_serial",
    "get_serial",
    "list_serials",
    "review",
    "take_back",
]

# The reasons that say the title itself stopped (the rest: the exchange of it stopped).
CEASING = ("ceased", "renamed")


def _duplicate(title: SerialTitle | None, issn: str, direction: str) -> Problem:
    return Problem(
        409,
        "serial-exists",
        N_("serial {issn} ({direction}) is already registered for this partner").format(
            issn=issn, direction=direction
        ),
        serial_id=title.id if title is not None else None,
    )


def _existing(session: Session, partner_id: int, issn: str, direction: str) -> SerialTitle | None:
    return session.scalars(
        select(SerialTitle).where(
            col(SerialTitle.partner_id) == partner_id,
            col(SerialTitle.issn) == issn,
            col(SerialTitle.direction) == direction,
        )
    ).first()


def create_serial(engine: Engine, caller: Caller, code: str, body: SerialIn) -> SerialOut:
    """Register a title with a partner: staff (acquisitions), or the partner for itself."""
    require_staff_role(caller)
    frequency, numbering = stored_pattern(body.frequency, body.numbering, body.first_year)
    try:
        check(frequency_of(frequency), numbering_of(numbering))
    except PatternError as exc:
        raise Problem(
            422,
            "invalid-pattern",
            N_("the frequency and numbering describe no year of issues: {reason}").format(
                reason=str(exc)
            ),
        ) from exc
    day = today()
    try:
        with session_scope(engine) as session:
            partner = visible_partner(session, caller, code)
            assert partner.id is not None
            agreement = agreements.valid_on(session, partner.id, day)
            if agreement is None:
                raise Problem(
                    409,
                    "no-agreement",
                    N_("there is no material-exchange agreement with {code} valid on {day}").format(
                        code=partner.code, day=day.isoformat()
                    ),
                )
            found = _existing(session, partner.id, body.issn, body.direction)
            if found is not None:
                raise _duplicate(found, body.issn, body.direction)
            currency = body.currency
            if body.unit_value is not None and currency is None:
                currency = agreement.currency
            now = datetime.now(UTC)
            title = SerialTitle(
                partner_id=partner.id,
                issn=body.issn,
                title=body.title,
                direction=body.direction,
                frequency=frequency,
                numbering=numbering,
                copies=body.copies,
                first_year=body.first_year,
                claim_after_days=body.claim_after_days,
                second_claim_days=body.second_claim_days,
                unit_value=body.unit_value,
                currency=currency,
                note=body.note,
                created_by=caller.actor,
                created_at=now,
                updated_at=now,
            )
            session.add(title)
            session.flush()
            audited(session, caller, title, audit.CREATED, None)
            return serial_out(session, title)
    except IntegrityError as exc:  # registered meanwhile by a concurrent request
        raise _duplicate(None, body.issn, body.direction) from exc


def list_serials(
    engine: Engine,
    caller: Caller,
    partner: str | None = None,
    direction: str | None = None,
    state: str | None = None,
    q: str | None = None,
) -> list[SerialOut]:
    """The titles the caller may see: staff all, a partner its own (both directions)."""
    with Session(engine) as session:
        query = select(SerialTitle)
        if partner is not None:
            found = visible_partner(session, caller, partner)
            query = query.where(col(SerialTitle.partner_id) == found.id)
        if not caller.is_staff:
            query = query.where(col(SerialTitle.partner_id) == caller.partner_id)
        if direction is not None:
            query = query.where(col(SerialTitle.direction) == direction)
        if state is not None:
            query = query.where(col(SerialTitle.state) == state)
        if q is not None and q.strip():
            words = q.strip()
            query = query.where(
                or_(
                    col(SerialTitle.issn) == words.upper(),
                    func.lower(col(SerialTitle.title)).contains(words.lower()),
                    col(SerialTitle.issn).contains(words.upper()),
                )
            )
        titles = session.scalars(
            query.order_by(func.lower(col(SerialTitle.title)), col(SerialTitle.id))
        ).all()
        return [serial_out(session, t) for t in titles]


def get_serial(engine: Engine, caller: Caller, serial_id: int) -> SerialOut:
    with Session(engine) as session:
        return serial_out(session, visible(session, caller, serial_id))


def _open_issues(serial_id: int) -> tuple[Any, ...]:
    return (
        col(SerialIssue.serial_id) == serial_id,
        col(SerialIssue.state).in_(OPEN_STATES),
    )


def change_serial(
    engine: Engine, caller: Caller, serial_id: int, body: SerialChangeIn
) -> SerialOut:
    """Staff change a title; a new grace period moves the claim day of the issues not claimed
    yet, new copies change what is expected of the issues still awaited."""
    require_staff(caller)
    with session_scope(engine) as session:
        visible(session, caller, serial_id)
        title = lock_title(session, serial_id)
        before = title.model_dump()
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        for name, value in changes.items():
            setattr(title, name, value)
        title.updated_at = datetime.now(UTC)
        session.add(title)
        session.flush()
        if "claim_after_days" in changes:
            for issue in session.scalars(
                select(SerialIssue).where(
                    col(SerialIssue.serial_id) == serial_id,
                    col(SerialIssue.state) == EXPECTED,
                    col(SerialIssue.claims) == 0,
                    col(SerialIssue.answer).is_(None),
                )
            ):
                issue.claim_on = issue.expected_on + timedelta(days=title.claim_after_days)
                session.add(issue)
        if "copies" in changes:
            session.execute(
                update(SerialIssue)
                .where(*_open_issues(serial_id), col(SerialIssue.year) >= today().year)
                .values(copies_expected=title.copies)
            )
        audited(session, caller, title, audit.UPDATED, before)
        return serial_out(session, title)


def _close(session: Session, title: SerialTitle, state: str, reason: str) -> None:
    """End the title and skip what is still awaited of it (nothing more is claimed)."""
    assert title.id is not None
    day = today()
    title.state = state
    title.end_reason = reason
    title.ended_on = day
    title.updated_at = datetime.now(UTC)
    session.add(title)
    session.execute(
        update(SerialIssue)
        .where(*_open_issues(title.id))
        .values(state="skipped", updated_at=datetime.now(UTC))
    )


def _successor(session: Session, caller: Caller, title: SerialTitle, body: SerialEndIn) -> int:
    """The title that continues the exchange under its new name: the same pattern from this
    year, the same copies and grace period."""
    if body.successor_issn is None or body.successor_title is None:
        raise Problem(
            422,
            "validation-error",
            N_("renamed: give the new title's ISSN and title (successor_issn, successor_title)"),
        )
    if _existing(session, title.partner_id, body.successor_issn, title.direction) is not None:
        raise _duplicate(None, body.successor_issn, title.direction)
    year = today().year
    now = datetime.now(UTC)
    successor = SerialTitle(
        partner_id=title.partner_id,
        issn=body.successor_issn,
        title=body.successor_title,
        direction=title.direction,
        frequency=dict(title.frequency),
        numbering={**title.numbering, "first_year": year},
        copies=title.copies,
        first_year=year,
        claim_after_days=title.claim_after_days,
        second_claim_days=title.second_claim_days,
        unit_value=title.unit_value,
        currency=title.currency,
        confirmed_year=title.confirmed_year,
        note=body.note,
        created_by=caller.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(successor)
    session.flush()
    audited(session, caller, successor, audit.CREATED, None)
    assert successor.id is not None
    return successor.id


def end_serial(
    engine: Engine,
    caller: Caller,
    serial_id: int,
    body: SerialEndIn,
    *,
    home: str | None = None,
    told: list[int] | None = None,
) -> SerialOut:
    """End a title's exchange. A partner may say only that it no longer wants a title it
    receives (``not_wanted`` on our outgoing titles); staff give any reason. ``renamed``
    registers the successor (its id in ``successor_id``); the other side is told by a notice
    (its id appended to ``told``, for the caller to deliver)."""
    require_staff_role(caller)
    if not caller.is_staff and body.reason != "not_wanted":
        raise Problem(
            403,
            "forbidden",
            N_("a partner may end a title only by saying it no longer wants it (not_wanted)"),
        )
    try:
        with session_scope(engine) as session:
            visible(session, caller, serial_id)
            title = lock_title(session, serial_id)
            if not caller.is_staff and title.direction != OUTGOING:
                raise Problem(
                    403,
                    "forbidden",
                    N_("you send this title: tell our staff when it ceases or changes name"),
                )
            require_active(title)
            before = title.model_dump()
            if body.reason == "renamed":
                title.successor_id = _successor(session, caller, title, body)
            _close(session, title, CEASED if body.reason in CEASING else ENDED, body.reason)
            if body.note:
                title.note = body.note
            audited(session, caller, title, audit.ENDED, before)
            out = serial_out(session, title)
            code = partner_code(session, title.partner_id)
    except IntegrityError as exc:
        raise _duplicate(None, body.successor_issn or "", "") from exc
    party = code if caller.is_staff else (home if home is not None else Settings().home_code)
    params = {"title": out.title, "issn": out.issn, "reason": body.reason, "serial_id": out.id}
    notice_id = serial_notices.record(
        engine,
        party=party,
        event=serial_notices.END_EVENT,
        key=f"serial-end:{out.id}:{party}",
        note=serial_notices.end_note(params),
        params=params,
        serial_id=out.id,
    )
    if told is not None and notice_id is not None:
        told.append(notice_id)
    return out


def review(engine: Engine, caller: Caller, serial_id: int, body: ReviewIn) -> SerialOut:
    """The yearly review: staff confirm the exchange for ``body.year`` (with new copies if
    given), or end it (not confirmed). An unconfirmed title ends at the year's end anyway."""
    require_staff(caller)
    with session_scope(engine) as session:
        visible(session, caller, serial_id)
        title = lock_title(session, serial_id)
        require_active(title)
        before = title.model_dump()
        if not body.keep:
            _close(session, title, ENDED, "not_confirmed")
            audited(session, caller, title, audit.ENDED, before)
            return serial_out(session, title)
        if body.year < today().year:
            raise Problem(
                422, "validation-error", N_("year: the year confirmed has already passed")
            )
        title.confirmed_year = max(title.confirmed_year or body.year, body.year)
        if body.copies is not None:
            title.copies = body.copies
            session.execute(
                update(SerialIssue)
                .where(*_open_issues(serial_id), col(SerialIssue.year) >= body.year)
                .values(copies_expected=body.copies)
            )
        title.updated_at = datetime.now(UTC)
        session.add(title)
        audited(session, caller, title, audit.REVIEWED, before)
        return serial_out(session, title)


def take_back(engine: Engine, caller: Caller, serial_id: int) -> None:
    """Undo a registration whose workflow could not be started (the route answers 503), so a
    retry registers it again; the audit trail keeps both steps."""
    with session_scope(engine) as session:
        title = lock_title(session, serial_id)
        before = title.model_dump()
        session.execute(delete(SerialIssue).where(col(SerialIssue.serial_id) == serial_id))
        session.delete(title)
        session.flush()
        actor, name = audit.actor_of(session, caller)
        audit.record(
            session, actor, name, SERIAL_ENTITY, str(serial_id), audit.DELETED, before, None
        )
