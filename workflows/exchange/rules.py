"""The exchange's rules: who may take which step in which state, what a step's input must be,
and which steps follow by themselves (the claims a step raises or settles are in ``claims``,
the deadlines in ``deadlines``).

Plain functions of the exchange's state (``ExchangeState``), the facts fixed at the proposal
(``ExchangeInput``, for the parties) and a step's input. A refusal raises the
``ApplicationError`` the caller sees: non-retryable, typed from ``workflows.errors``, worded for
people. The validators, the handlers (which ask again under their lock) and the ``actions``
query all ask these, so a page never offers a step the workflow would refuse; and no Temporal
server is needed to test them.

Each step has a ``may_*`` function that answers for a party alone (what ``actions`` asks) and a
``check_*`` function that asks the same, then checks the step's input, in that order. No input
makes them raise anything but such a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ParamSpec

from temporalio.exceptions import ApplicationError

from workflows.errors import ERR_INVALID_REQUEST, ERR_INVALID_TRANSITION, ERR_NOT_ALLOWED, N_
from workflows.exchange.refusals import TURN_REFUSALS, refuse
from workflows.exchange.types import (
    ACCEPTED,
    CATALOGUED,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_SETTLED,
    FINAL_STATES,
    PROPOSED,
    RECEIVED,
    SHIPPED,
    Actor,
    AttachMarcInput,
    AvailableActions,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    ClaimState,
    DecisionInput,
    ExchangeInput,
    ExchangeState,
    LineOffer,
    LostInput,
    ReceiptInput,
    ReviseInput,
    ShipmentInput,
)

_P = ParamSpec("_P")


def allows(check: Callable[_P, object], *args: _P.args, **kwargs: _P.kwargs) -> bool:
    """Whether a rule lets the step through (it raises when it does not)."""
    try:
        check(*args, **kwargs)
    except ApplicationError:
        return False
    return True


# --- the state of a new exchange -----------------------------------------------------------


def offered_lines(lines: list[LineOffer]) -> list[LineOffer]:
    """One entry per line id (the last quantity given), in the order lines were first named."""
    return [LineOffer(k, v) for k, v in {line.line_id: line.quantity for line in lines}.items()]


def proposed_state(inp: ExchangeInput) -> ExchangeState:
    """A run that starts the exchange; ``lifecycle`` is settled by the run's patch check."""
    return ExchangeState(
        state=PROPOSED,
        seq=inp.next_seq - 1,
        offered=offered_lines(inp.lines),
        accepted=[],
        claims=[],
        batches=[],
        batch_uploaders=[],
        records_imported=0,
        reminder_due=True,
        overdue_claims=0,
        shipped_at=None,
        last_claim_at=None,
        lifecycle=False,
    )


# --- whose turn -----------------------------------------------------------------------------


def require_lifecycle(state: ExchangeState) -> None:
    if not state.lifecycle:
        raise refuse(
            N_("this exchange was started before this step existed"), ERR_INVALID_TRANSITION
        )


def require_turn(state: ExchangeState, party: str, by: str, step: str, wanted: str) -> None:
    """Only ``by`` may take the step, and only while the exchange is ``wanted``."""
    whose, when = TURN_REFUSALS[step]
    if party != by:
        raise refuse(whose, ERR_NOT_ALLOWED, by=by)
    if state.state != wanted:
        raise refuse(when, ERR_INVALID_TRANSITION, state=state.state, wanted=wanted)


def may_decide(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_turn(state, party, ex.recipient, "decide", PROPOSED)


def may_revise(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_lifecycle(state)
    require_turn(state, party, ex.sender, "revise", PROPOSED)


def may_ship(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_turn(state, party, ex.sender, "ship", ACCEPTED)


def may_receive(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_turn(state, party, ex.recipient, "receive", SHIPPED)


def may_cancel(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_lifecycle(state)
    if party not in (ex.sender, ex.recipient):
        raise refuse(N_("only the sender or the recipient may cancel"), ERR_NOT_ALLOWED)
    if state.state not in (PROPOSED, ACCEPTED):
        raise refuse(
            N_(
                "cannot cancel an exchange that is {state}: only before shipment; "
                "after it, claims and loss apply"
            ),
            ERR_INVALID_TRANSITION,
            state=state.state,
        )


def may_mark_lost(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    require_lifecycle(state)
    require_turn(state, party, ex.sender, "lost", SHIPPED)
    if state.overdue_claims < 2:
        raise refuse(
            N_("a shipment can be marked lost after two unanswered claims; {n} so far"),
            ERR_INVALID_TRANSITION,
            n=state.overdue_claims,
        )


def may_upload_marc(state: ExchangeState, ex: ExchangeInput, party: str) -> None:
    if party not in (ex.sender, ex.recipient):
        raise refuse(N_("only the sender or the recipient may upload MARC"), ERR_NOT_ALLOWED)
    if state.state in FINAL_STATES:
        raise refuse(N_("the exchange is {state}"), ERR_INVALID_TRANSITION, state=state.state)


def find_claim(state: ExchangeState, claim_no: str) -> ClaimState:
    for claim in state.claims:
        if claim.claim_no == claim_no:
            return claim
    raise refuse(
        N_("there is no claim {claim_no} on this exchange"), ERR_INVALID_REQUEST, claim_no=claim_no
    )


def may_answer(state: ExchangeState, ex: ExchangeInput, party: str, claim_no: str) -> ClaimState:
    """The sender answers an open missing or damaged claim (by resending or writing off)."""
    require_lifecycle(state)
    claim = find_claim(state, claim_no)
    if party != ex.sender:
        raise refuse(N_("only the sender ({by}) answers claims"), ERR_NOT_ALLOWED, by=ex.sender)
    if claim.kind == CLAIM_OVERDUE:
        raise refuse(
            N_("{claim_no} is settled by the recipient's receipt, or by marking the shipment lost"),
            ERR_INVALID_TRANSITION,
            claim_no=claim.claim_no,
        )
    if claim.state != CLAIM_OPEN:
        raise refuse(
            N_("{claim_no} is already {state}"),
            ERR_INVALID_TRANSITION,
            claim_no=claim.claim_no,
            state=claim.state,
        )
    return claim


def may_confirm(state: ExchangeState, ex: ExchangeInput, party: str, claim_no: str) -> ClaimState:
    """The recipient confirms that resent copies arrived."""
    require_lifecycle(state)
    claim = find_claim(state, claim_no)
    if party != ex.recipient:
        raise refuse(
            N_("only the recipient ({by}) confirms resent copies"),
            ERR_NOT_ALLOWED,
            by=ex.recipient,
        )
    if claim.state != CLAIM_RESENT:
        raise refuse(
            N_("{claim_no} is {state}; only resent copies can be confirmed"),
            ERR_INVALID_TRANSITION,
            claim_no=claim.claim_no,
            state=claim.state,
        )
    return claim


# The steps the ``actions`` query lists, by the name pages use.
TURNS: dict[str, Callable[[ExchangeState, ExchangeInput, str], object]] = {
    "decide": may_decide,
    "revise": may_revise,
    "ship": may_ship,
    "receive": may_receive,
    "cancel": may_cancel,
    "lost": may_mark_lost,
    "upload_marc": may_upload_marc,
}


def available_actions(state: ExchangeState, ex: ExchangeInput, party: str) -> AvailableActions:
    """The steps and claims open to ``party`` now: what the ``actions`` query answers."""
    return AvailableActions(
        state=state.state,
        actions=[name for name, may in TURNS.items() if allows(may, state, ex, party)],
        answerable_claims=[
            c.claim_no for c in state.claims if allows(may_answer, state, ex, party, c.claim_no)
        ],
        confirmable_claims=[
            c.claim_no for c in state.claims if allows(may_confirm, state, ex, party, c.claim_no)
        ],
    )


# --- each step's input ----------------------------------------------------------------------


def check_decision(state: ExchangeState, ex: ExchangeInput, d: DecisionInput) -> None:
    may_decide(state, ex, d.actor.party)
    if (d.decline_reason is None) == (d.accept is None):
        raise refuse(N_("give either lines to accept or a reason to decline"), ERR_INVALID_REQUEST)
    if d.decline_reason is not None:
        if not d.decline_reason.strip():
            raise refuse(N_("a decline needs a reason"), ERR_INVALID_REQUEST)
        return
    if not d.accept:
        raise refuse(N_("accept at least one line, or decline with a reason"), ERR_INVALID_REQUEST)
    offered_by_line = {line.line_id: line.quantity for line in state.offered}
    seen: set[str] = set()
    for q in d.accept:
        offered = offered_by_line.get(q.line_id)
        if offered is None:
            raise refuse(
                N_("line {line} is not part of this exchange"), ERR_INVALID_REQUEST, line=q.line_id
            )
        if q.line_id in seen:
            raise refuse(N_("line {line} is listed twice"), ERR_INVALID_REQUEST, line=q.line_id)
        seen.add(q.line_id)
        if not 1 <= q.quantity <= offered:
            raise refuse(
                N_("line {line}: quantity must be between 1 and the {n} offered"),
                ERR_INVALID_REQUEST,
                line=q.line_id,
                n=offered,
            )


def check_revision(state: ExchangeState, ex: ExchangeInput, r: ReviseInput) -> None:
    may_revise(state, ex, r.actor.party)
    if not r.lines:
        raise refuse(N_("a revision keeps at least one line"), ERR_INVALID_REQUEST)


def require_day(day: str | None, name: str) -> None:
    """A day given as text must be one (ISO 8601), as the history's projection reads it."""
    if day is None:
        return
    try:
        date.fromisoformat(day)
    except (TypeError, ValueError):
        raise refuse(
            N_("{name} must be a date (YYYY-MM-DD), not {day}"),
            ERR_INVALID_REQUEST,
            name=name,
            day=repr(day),
        ) from None


def check_shipment(state: ExchangeState, ex: ExchangeInput, s: ShipmentInput) -> None:
    may_ship(state, ex, s.actor.party)
    if not s.carrier.strip():
        raise refuse(N_("name the carrier"), ERR_INVALID_REQUEST)
    if s.parcels is not None and s.parcels < 1:
        raise refuse(N_("parcels must be at least 1"), ERR_INVALID_REQUEST)
    require_day(s.shipped_on, "shipped_on")


def check_receipt(state: ExchangeState, ex: ExchangeInput, r: ReceiptInput) -> None:
    may_receive(state, ex, r.actor.party)
    accepted_by_line = {q.line_id: q.quantity for q in state.accepted}
    seen: set[str] = set()
    for line in r.lines:
        accepted = accepted_by_line.get(line.line_id)
        if accepted is None:
            raise refuse(
                N_("line {line} was not accepted in this exchange"),
                ERR_INVALID_REQUEST,
                line=line.line_id,
            )
        if line.line_id in seen:
            raise refuse(N_("line {line} is listed twice"), ERR_INVALID_REQUEST, line=line.line_id)
        seen.add(line.line_id)
        if not 0 <= line.received <= accepted:
            raise refuse(
                N_("line {line}: received must be between 0 and the {n} accepted"),
                ERR_INVALID_REQUEST,
                line=line.line_id,
                n=accepted,
            )
        if not 0 <= line.damaged <= line.received:
            raise refuse(
                N_("line {line}: damaged cannot exceed the copies received"),
                ERR_INVALID_REQUEST,
                line=line.line_id,
            )
    require_day(r.received_on, "received_on")


def check_cancel(state: ExchangeState, ex: ExchangeInput, c: CancelInput) -> None:
    may_cancel(state, ex, c.actor.party)
    if not c.reason.strip():
        raise refuse(N_("a cancellation needs a reason"), ERR_INVALID_REQUEST)


def check_lost(state: ExchangeState, ex: ExchangeInput, m: LostInput) -> None:
    may_mark_lost(state, ex, m.actor.party)


def check_attach(state: ExchangeState, ex: ExchangeInput, a: AttachMarcInput) -> None:
    may_upload_marc(state, ex, a.actor.party)
    if a.batch_id in state.batches:
        raise refuse(N_("batch {batch} is already attached"), ERR_INVALID_REQUEST, batch=a.batch_id)


def check_answer(state: ExchangeState, ex: ExchangeInput, a: ClaimAnswerInput) -> ClaimState:
    claim = may_answer(state, ex, a.actor.party, a.claim_no)
    if a.action not in ("resend", "write_off"):
        raise refuse(N_("answer with resend or write_off"), ERR_INVALID_REQUEST)
    return claim


def check_confirm(state: ExchangeState, ex: ExchangeInput, c: ClaimConfirmInput) -> ClaimState:
    return may_confirm(state, ex, c.actor.party, c.claim_no)


# --- steps that follow by themselves, and notices -------------------------------------------


def catalogue_due(state: ExchangeState, ex: ExchangeInput) -> bool:
    """What we receive is catalogued once it has arrived and some of its records imported."""
    return state.state == RECEIVED and ex.recipient == ex.home and state.records_imported > 0


def completion_due(state: ExchangeState, ex: ExchangeInput) -> bool:
    """Complete once received (and catalogued, when we receive) with every claim settled."""
    ready = CATALOGUED if ex.recipient == ex.home else RECEIVED
    return state.state == ready and all(c.state in CLAIM_SETTLED for c in state.claims)


def notifies(state: ExchangeState, ex: ExchangeInput, actor: Actor | None) -> bool:
    """The partner hears of a step, unless it took the step itself."""
    if not state.lifecycle or not ex.partner:
        return False
    return actor is None or actor.party != ex.partner


# The notices of the system's own steps that our staff hear of too (``actor`` None): the
# partner was reminded, the proposal expired, a parcel is overdue. Not "completed" or
# "marc_ready": staff took or saw the step that led to them.
STAFF_SYSTEM_EVENTS = frozenset({"reminder", "expiry", "claim"})


def tells_staff(state: ExchangeState, ex: ExchangeInput, actor: Actor | None, event: str) -> bool:
    """Our staff hear of every step the partner takes (its proposal, decision, shipment,
    receipt, claim answers, cancellation...) and of the system's reminders, expiries and
    overdue claims; never of their own steps."""
    if not state.lifecycle or not ex.partner:
        return False
    if actor is None:
        return event in STAFF_SYSTEM_EVENTS
    return actor.party == ex.partner


def announces_import(state: ExchangeState, ex: ExchangeInput, batch_id: str, imported: int) -> bool:
    """Imported records are news to the partner unless the partner uploaded them."""
    uploader = dict(zip(state.batches, state.batch_uploaders, strict=False)).get(batch_id, "")
    return bool(imported) and uploader != ex.partner
