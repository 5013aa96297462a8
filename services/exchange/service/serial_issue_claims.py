"""Claims of serial issues made and answered through the API and the pages.

A partner claims an issue of a title we send it once it is due (at most twice); our staff are
told by a notice keyed ``serial-claim:{issue_id}:{n}``, as the workflow keys the claims it makes
of what we receive. The sender answers a claim (the partner for what it sends, our staff for
what we send) by the rules of ``workflows.serial.rules.apply_answer``: "sent on ..." and "not
yet published" move the claim day on, "will not be published" skips the issue, "ceased" ends
the title and skips what is still awaited of it. Both take the title's lock and move the issue
by a conditional UPDATE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlmodel import col

from services.exchange.problems import Problem
from services.exchange.schemas.serials import ClaimAnswerIn, IssueOut
from services.exchange.serial_models import (
    CEASED,
    CLAIMED,
    SKIPPED,
    SerialIssue,
)
from services.exchange.service import audit, serial_claims, serial_notices
from services.exchange.service.keys import Caller
from services.exchange.service.serial_access import (
    OPEN_STATES,
    OUTGOING,
    audited,
    issue_of,
    issue_out,
    partner_code,
    require_staff_role,
    today,
    visible_locked,
)
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.serial import rules

__all__ = ["answer_claim", "claim_issue"]

# The words of the refusals of ``rules.partner_claim_refusal``.
_REFUSALS = {
    rules.NOT_OPEN: N_("issue {numbers} is {state}"),
    rules.CLAIMED_TWICE: N_("issue {numbers} was claimed twice already"),
    rules.NOT_DUE: N_("issue {numbers} is expected by {day}: it cannot be claimed yet"),
}


def claim_issue(
    engine: Engine,
    caller: Caller,
    serial_id: int,
    issue_id: int,
    *,
    home: str | None = None,
    told: list[int] | None = None,
) -> IssueOut:
    """A partner claims an issue of a title we send it, once it is due (at most twice; our
    staff are told by a notice whose id is appended to ``told``)."""
    if caller.is_staff:
        raise Problem(
            403,
            "forbidden",
            N_("a partner claims what we send; what we receive is claimed on its own"),
        )
    day = today()
    with session_scope(engine) as session:
        title = visible_locked(session, caller, serial_id)
        if title.direction != OUTGOING:
            raise Problem(403, "forbidden", N_("you send this title: it is not claimed from us"))
        issue = issue_of(session, title, issue_id)
        refusal = rules.partner_claim_refusal(issue.state, issue.claims, issue.expected_on, day)
        if refusal is not None:
            raise Problem(
                409,
                refusal,
                _REFUSALS[refusal].format(
                    numbers=issue.numbers, state=issue.state, day=issue.expected_on.isoformat()
                ),
            )
        n = issue.claims + 1
        done = session.execute(
            update(SerialIssue)
            .where(
                col(SerialIssue.id) == issue.id,
                col(SerialIssue.state) == issue.state,
                col(SerialIssue.claims) == issue.claims,
            )
            .values(state=CLAIMED, claims=n, last_claimed_on=day, updated_at=datetime.now(UTC))
        )
        assert done.rowcount == 1  # type: ignore[attr-defined]  # the title's lock is held
        fresh = session.get(SerialIssue, issue_id, populate_existing=True)
        assert fresh is not None
        code = partner_code(session, title.partner_id)
        params = serial_notices.claim_params(title, fresh, n, code)
        out = issue_out(fresh)
    party = home if home is not None else Settings().home_code
    notice_id = serial_notices.record(
        engine,
        party=party,
        event=serial_notices.CLAIM_EVENT,
        key=serial_claims.claim_key(issue_id, n),
        note=serial_notices.claim_note(params),
        params=params,
        serial_id=serial_id,
    )
    if told is not None and notice_id is not None:
        told.append(notice_id)
    return out


def answer_claim(
    engine: Engine, caller: Caller, serial_id: int, issue_id: int, body: ClaimAnswerIn
) -> IssueOut:
    """The sender answers a claim (the partner for what it sends, our staff for what we send):
    "sent on ..." and "not yet published" move the claim day on, "will not be published"
    skips the issue, "ceased" ends the title and skips what is still awaited of it."""
    require_staff_role(caller)
    day = today()
    with session_scope(engine) as session:
        title = visible_locked(session, caller, serial_id)
        sender_is_staff = title.direction == OUTGOING
        if caller.is_staff != sender_is_staff:
            raise Problem(
                403,
                "forbidden",
                N_("the side that sends the title answers its claims"),
            )
        issue = issue_of(session, title, issue_id)
        if issue.state != CLAIMED:
            raise Problem(
                409,
                "not-claimed",
                N_("issue {numbers} is {state}: only a claimed issue is answered").format(
                    numbers=issue.numbers, state=issue.state
                ),
            )
        effect = rules.apply_answer(
            body.answer,
            claim_on=issue.claim_on,
            sent_on=body.sent_on,
            today=day,
            claim_after_days=title.claim_after_days,
        )
        done = session.execute(
            update(SerialIssue)
            .where(col(SerialIssue.id) == issue.id, col(SerialIssue.state) == CLAIMED)
            .values(
                state=effect.state,
                claim_on=effect.claim_on,
                answer=body.answer,
                answer_note=body.note,
                answered_on=day,
                sent_on=(body.sent_on or day) if body.answer == "sent" else issue.sent_on,
                edited_by=caller.actor,
                updated_at=datetime.now(UTC),
            )
        )
        assert done.rowcount == 1  # type: ignore[attr-defined]  # the title's lock is held
        if effect.title_ceased:
            before = title.model_dump()
            title.state = CEASED
            title.end_reason = "ceased"
            title.ended_on = day
            title.updated_at = datetime.now(UTC)
            session.add(title)
            session.execute(
                update(SerialIssue)
                .where(
                    col(SerialIssue.serial_id) == serial_id,
                    col(SerialIssue.state).in_(OPEN_STATES),
                )
                .values(state=SKIPPED, updated_at=datetime.now(UTC))
            )
            audited(session, caller, title, audit.ENDED, before)
        fresh = session.get(SerialIssue, issue_id, populate_existing=True)
        assert fresh is not None
        return issue_out(fresh)
