"""Dispatches of the serials we send: what is due out per partner, a parcel, sent, confirmed.

An issue of an outgoing title is due out once its expected day has come (it is published:
our legal-deposit copy is in, or staff entered it) while it is still awaited by the partner
and in no dispatch. Staff gather due issues of one partner into a dispatch (a draft, numbered
``SD-2026-0003``; an issue joins one dispatch only, by a conditional UPDATE), print its
packing list, and mark it sent: the partner is told by a notice. The partner sees its
dispatches once sent (a draft is our work) and confirms receipt, which receives every issue
of it not received yet and writes their ledger entries, as a receipt of each would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from services.exchange.models import Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.serials import DispatchIn, DispatchOut, DueOut
from services.exchange.serial_models import (
    ACTIVE,
    CONFIRMED,
    DRAFT,
    RECEIVED,
    SENT,
    SerialDispatch,
    SerialIssue,
    SerialTitle,
)
from services.exchange.service import numbering, serial_claims, serial_notices
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.service.serial_access import (
    OPEN_STATES,
    OUTGOING,
    issue_out,
    lock_row,
    lock_title,
    require_staff,
    require_staff_role,
    today,
)
from services.exchange.service.serial_receipts import receive
from services.exchange.storage.db import session_scope
from workflows.errors import N_

__all__ = [
    "confirm_dispatch",
    "create_dispatch",
    "due_out",
    "get_dispatch",
    "list_dispatches",
    "mark_sent",
]

DISPATCH_SERIES = "SD"


def _outgoing_titles(session: Session, partner_id: int) -> list[SerialTitle]:
    return list(
        session.scalars(
            select(SerialTitle)
            .where(
                col(SerialTitle.partner_id) == partner_id,
                col(SerialTitle.direction) == OUTGOING,
            )
            .order_by(col(SerialTitle.id))
        )
    )


def due_out(engine: Engine, caller: Caller, code: str) -> DueOut:
    """Our issues owed to the partner: expected by today, still awaited, in no dispatch."""
    require_staff(caller)
    day = today()
    with Session(engine) as session:
        partner = visible_partner(session, caller, code)
        assert partner.id is not None
        titles = _outgoing_titles(session, partner.id)
        session.expunge_all()
    for title in titles:
        if title.state == ACTIVE and title.id is not None and title.first_year <= day.year:
            serial_claims.ensure_year(engine, title.id, day.year)
    with Session(engine) as session:
        issues = session.scalars(
            select(SerialIssue)
            .where(
                col(SerialIssue.serial_id).in_([t.id for t in titles]),
                col(SerialIssue.state).in_(OPEN_STATES),
                col(SerialIssue.dispatch_id).is_(None),
                col(SerialIssue.expected_on) <= day,
            )
            .order_by(
                col(SerialIssue.serial_id), col(SerialIssue.year), col(SerialIssue.expected_on)
            )
        ).all()
        return DueOut(partner=code, issues=[issue_out(i) for i in issues])


def _dispatch_not_found(dispatch_id: int) -> Problem:
    return not_found(N_("serial dispatch {dispatch_id}").format(dispatch_id=dispatch_id))


def _visible(session: Session, caller: Caller, dispatch_id: int) -> SerialDispatch:
    """The dispatch if the caller may see it: staff all, a partner its own once sent."""
    dispatch = session.get(SerialDispatch, dispatch_id, populate_existing=True)
    if dispatch is None or (
        not caller.is_staff
        and (dispatch.partner_id != caller.partner_id or dispatch.state == DRAFT)
    ):
        raise _dispatch_not_found(dispatch_id)
    return dispatch


def _out(session: Session, dispatch: SerialDispatch) -> DispatchOut:
    assert dispatch.id is not None
    partner = session.get(Partner, dispatch.partner_id)
    assert partner is not None
    issues = session.scalars(
        select(SerialIssue)
        .where(col(SerialIssue.dispatch_id) == dispatch.id)
        .order_by(col(SerialIssue.serial_id), col(SerialIssue.year), col(SerialIssue.expected_on))
    ).all()
    return DispatchOut(
        id=dispatch.id,
        number=dispatch.number,
        partner=partner.code,
        state=dispatch.state,  # type: ignore[arg-type]
        sent_on=dispatch.sent_on,
        confirmed_on=dispatch.confirmed_on,
        issues=[issue_out(i) for i in issues],
        created_at=dispatch.created_at,
    )


def _lock(session: Session, dispatch_id: int) -> SerialDispatch:
    """The dispatch row, locked for the transaction (``serial_access.lock_row``)."""
    found = lock_row(session, SerialDispatch, dispatch_id)
    if found is None:
        raise _dispatch_not_found(dispatch_id)
    return found


def _wrong_state(dispatch: SerialDispatch) -> Problem:
    return Problem(
        409,
        "dispatch-state",
        N_("dispatch {number} is {state}").format(
            number=dispatch.number or dispatch.id, state=dispatch.state
        ),
    )


def create_dispatch(engine: Engine, caller: Caller, body: DispatchIn) -> DispatchOut:
    """A draft dispatch of the partner's due issues named; 409 if one of them is not ours to
    send it, not awaited, or in another dispatch already."""
    require_staff(caller)
    wanted = sorted(set(body.issues))
    with session_scope(engine) as session:
        partner = visible_partner(session, caller, body.partner)
        assert partner.id is not None
        titles = {t.id: t for t in _outgoing_titles(session, partner.id)}
        now = datetime.now(UTC)
        dispatch = SerialDispatch(
            partner_id=partner.id, state=DRAFT, created_by=caller.actor, created_at=now
        )
        session.add(dispatch)
        session.flush()
        issues = session.scalars(select(SerialIssue).where(col(SerialIssue.id).in_(wanted))).all()
        found = {i.id: i for i in issues}
        for issue_id in wanted:
            issue = found.get(issue_id)
            if issue is None or issue.serial_id not in titles:
                raise Problem(
                    409,
                    "not-due-out",
                    N_("issue {issue_id} is not one we send to {code}").format(
                        issue_id=issue_id, code=partner.code
                    ),
                    issue_id=issue_id,
                )
        taken = session.execute(
            update(SerialIssue)
            .where(
                col(SerialIssue.id).in_(wanted),
                col(SerialIssue.dispatch_id).is_(None),
                col(SerialIssue.state).in_(OPEN_STATES),
            )
            .values(dispatch_id=dispatch.id, updated_at=now)
        )
        if taken.rowcount != len(wanted):  # type: ignore[attr-defined]
            raise Problem(
                409,
                "not-due-out",
                N_("an issue named is received already or in another dispatch"),
            )
        dispatch.number = (
            f"{DISPATCH_SERIES}-{now.year}-"
            f"{numbering.next_number(session, DISPATCH_SERIES, now.year):04d}"
        )
        session.add(dispatch)
        session.flush()
        return _out(session, dispatch)


def list_dispatches(
    engine: Engine, caller: Caller, partner: str | None = None
) -> list[DispatchOut]:
    with Session(engine) as session:
        query = select(SerialDispatch)
        if partner is not None:
            found = visible_partner(session, caller, partner)
            query = query.where(col(SerialDispatch.partner_id) == found.id)
        if not caller.is_staff:
            query = query.where(
                col(SerialDispatch.partner_id) == caller.partner_id,
                col(SerialDispatch.state) != DRAFT,
            )
        rows = session.scalars(query.order_by(col(SerialDispatch.id).desc())).all()
        return [_out(session, d) for d in rows]


def get_dispatch(engine: Engine, caller: Caller, dispatch_id: int) -> DispatchOut:
    with Session(engine) as session:
        return _out(session, _visible(session, caller, dispatch_id))


def mark_sent(
    engine: Engine,
    caller: Caller,
    dispatch_id: int,
    sent_on: date | None = None,
    *,
    told: list[int] | None = None,
) -> DispatchOut:
    """The parcel went out: its issues say so, and the partner is told (the notice's id is
    appended to ``told`` for the caller to deliver)."""
    require_staff(caller)
    day = sent_on or today()
    with session_scope(engine) as session:
        _visible(session, caller, dispatch_id)
        dispatch = _lock(session, dispatch_id)
        if dispatch.state != DRAFT:
            raise _wrong_state(dispatch)
        dispatch.state = SENT
        dispatch.sent_on = day
        session.add(dispatch)
        session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.dispatch_id) == dispatch_id)
            .values(sent_on=day, updated_at=datetime.now(UTC))
        )
        session.flush()
        out = _out(session, dispatch)
    params = {
        "dispatch": out.number or str(out.id),
        "dispatch_id": out.id,
        "issues": len(out.issues),
        "sent_on": day.isoformat(),
    }
    notice_id = serial_notices.record(
        engine,
        party=out.partner,
        event=serial_notices.DISPATCH_EVENT,
        key=f"serial-dispatch:{out.id}:sent",
        note=serial_notices.dispatch_note(params),
        params=params,
        serial_id=out.issues[0].serial_id if out.issues else None,
    )
    if told is not None and notice_id is not None:
        told.append(notice_id)
    return out


def confirm_dispatch(engine: Engine, caller: Caller, dispatch_id: int) -> DispatchOut:
    """The partner received the parcel (staff may record it on its behalf): every issue of
    it not received yet is received with the copies expected, and counted in the ledger."""
    require_staff_role(caller)
    day = today()
    with session_scope(engine) as session:
        _visible(session, caller, dispatch_id)
        dispatch = _lock(session, dispatch_id)
        if dispatch.state != SENT:
            raise _wrong_state(dispatch)
        issues = session.scalars(
            select(SerialIssue)
            .where(col(SerialIssue.dispatch_id) == dispatch_id)
            .order_by(col(SerialIssue.serial_id), col(SerialIssue.id))
        ).all()
        for serial_id in sorted({i.serial_id for i in issues}):
            lock_title(session, serial_id)
        for issue in issues:
            if issue.state == RECEIVED:
                continue
            title = session.get(SerialTitle, issue.serial_id)
            assert title is not None
            receive(
                session,
                title,
                issue,
                received_on=day,
                copies=issue.copies_expected,
                damaged=0,
                duplicate=False,
                actor=caller.actor,
            )
        dispatch.state = CONFIRMED
        dispatch.confirmed_on = day
        session.add(dispatch)
        session.flush()
        return _out(session, dispatch)
