"""The exchange's rules as plain functions, without Temporal: who may take each step in which
state, what each refuses (type and message, as callers see them), the claims steps raise and
settle, the steps that follow by themselves, and the deadlines.

``test_exchange_workflow`` runs the same rules inside the workflow on a test server.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from workflows.errors import ERR_INVALID_REQUEST, ERR_INVALID_TRANSITION, ERR_NOT_ALLOWED
from workflows.exchange import claims, deadlines, rules
from workflows.exchange.types import (
    ACCEPTED,
    CANCELLED,
    CATALOGUED,
    CLAIM_DAMAGED,
    CLAIM_MISSING,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_RESOLVED,
    CLAIM_WRITTEN_OFF,
    COMPLETED,
    FINAL_STATES,
    PROPOSED,
    RECEIVED,
    SHIPPED,
    STATES,
    Actor,
    AttachMarcInput,
    CancelInput,
    ClaimAnswerInput,
    ClaimConfirmInput,
    ClaimState,
    Deadlines,
    DecisionInput,
    ExchangeInput,
    ExchangeState,
    LineOffer,
    LineQuantity,
    LineSpec,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    ShipmentInput,
)

HOME, PARTNER, OTHER = "HOME", "RSL", "OTHER"
# We send (outgoing) or the partner sends to us (incoming).
OUT = ExchangeInput(
    "x", HOME, PARTNER, HOME, [LineOffer("l1", 2), LineOffer("l2", 1)], partner=PARTNER
)
IN = replace(OUT, sender=PARTNER, recipient=HOME)
US, THEM = Actor(HOME, "staff"), Actor(PARTNER, "partner")


def state(st: str = PROPOSED, **fields: Any) -> ExchangeState:
    """An exchange of OUT's lines (l1 x2, l2 x1) in state ``st``, with the lifecycle rules."""
    return replace(rules.proposed_state(OUT), **{"state": st, "lifecycle": True, **fields})


def accepted(st: str = SHIPPED, **fields: Any) -> ExchangeState:
    return state(st, accepted=[LineQuantity("l1", 2), LineQuantity("l2", 1)], **fields)


def claim(no: str, kind: str = CLAIM_DAMAGED, st: str = CLAIM_OPEN) -> ClaimState:
    return ClaimState(no, kind, st, "l1", 1)


def refused(check: Callable[..., object], *args: object) -> tuple[str, str]:
    with pytest.raises(ApplicationError) as error:
        check(*args)
    assert error.value.non_retryable
    assert error.value.type is not None
    return error.value.type, error.value.message


def lines(*pairs: tuple[str, int]) -> list[LineQuantity]:
    return [LineQuantity(line_id, quantity) for line_id, quantity in pairs]


# --- a new exchange -----------------------------------------------------------------------


def test_a_proposal_starts_proposed_with_its_lines_once_each() -> None:
    inp = replace(
        OUT, next_seq=5, lines=[LineOffer("l1", 1), LineOffer("l2", 1), LineOffer("l1", 3)]
    )
    new = rules.proposed_state(inp)
    assert (new.state, new.seq, new.lifecycle, new.reminder_due) == (PROPOSED, 4, False, True)
    assert new.offered == [LineOffer("l1", 3), LineOffer("l2", 1)]
    assert new.accepted == new.claims == new.batches == [] and new.overdue_claims == 0


# --- decision -------------------------------------------------------------------------------


def test_the_recipient_accepts_or_declines_a_proposal() -> None:
    rules.check_decision(state(), OUT, DecisionInput(THEM, accept=lines(("l1", 2), ("l2", 1))))
    rules.check_decision(state(), OUT, DecisionInput(THEM, accept=lines(("l1", 1))))
    rules.check_decision(state(), OUT, DecisionInput(THEM, decline_reason="no room"))
    rules.check_decision(state(), IN, DecisionInput(US, decline_reason="no room"))


@pytest.mark.parametrize(
    ("decision", "kind", "message"),
    [
        (DecisionInput(US, decline_reason="x"), ERR_NOT_ALLOWED,
         "only the recipient (RSL) may decide on this exchange"),
        (DecisionInput(THEM), ERR_INVALID_REQUEST,
         "give either lines to accept or a reason to decline"),
        (DecisionInput(THEM, accept=lines(("l1", 1)), decline_reason="x"), ERR_INVALID_REQUEST,
         "give either lines to accept or a reason to decline"),
        (DecisionInput(THEM, decline_reason=" "), ERR_INVALID_REQUEST, "a decline needs a reason"),
        (DecisionInput(THEM, accept=[]), ERR_INVALID_REQUEST,
         "accept at least one line, or decline with a reason"),
        (DecisionInput(THEM, accept=lines(("l9", 1))), ERR_INVALID_REQUEST,
         "line l9 is not part of this exchange"),
        (DecisionInput(THEM, accept=lines(("l1", 1), ("l1", 1))), ERR_INVALID_REQUEST,
         "line l1 is listed twice"),
        (DecisionInput(THEM, accept=lines(("l1", 3))), ERR_INVALID_REQUEST,
         "line l1: quantity must be between 1 and the 2 offered"),
        (DecisionInput(THEM, accept=lines(("l2", 0))), ERR_INVALID_REQUEST,
         "line l2: quantity must be between 1 and the 1 offered"),
    ],
)  # fmt: skip
def test_a_decision_is_refused(decision: DecisionInput, kind: str, message: str) -> None:
    assert refused(rules.check_decision, state(), OUT, decision) == (kind, message)


def test_a_decision_comes_only_while_proposed() -> None:
    decision = DecisionInput(THEM, decline_reason="x")
    assert refused(rules.check_decision, state(ACCEPTED), OUT, decision) == (
        ERR_INVALID_TRANSITION,
        "cannot decide on an exchange that is accepted (it must be proposed)",
    )


# --- revision, shipment, receipt ------------------------------------------------------------


def test_the_sender_revises_a_proposal_in_a_lifecycle_run() -> None:
    revision = ReviseInput(US, [LineSpec("Babad", 1)])
    rules.check_revision(state(), OUT, revision)
    assert refused(rules.check_revision, state(), OUT, replace(revision, lines=[])) == (
        ERR_INVALID_REQUEST,
        "a revision keeps at least one line",
    )
    assert refused(rules.check_revision, state(), OUT, replace(revision, actor=THEM)) == (
        ERR_NOT_ALLOWED,
        "only the sender (HOME) may revise this exchange",
    )
    assert refused(rules.check_revision, state(ACCEPTED), OUT, revision) == (
        ERR_INVALID_TRANSITION,
        "cannot revise an exchange that is accepted (it must be proposed)",
    )
    old_run = replace(state(), lifecycle=False)
    assert refused(rules.check_revision, old_run, OUT, revision) == (
        ERR_INVALID_TRANSITION,
        "this exchange was started before this step existed",
    )


def test_the_sender_records_the_shipment_of_an_accepted_exchange() -> None:
    ship = ShipmentInput(US, carrier="EMS", parcels=1)
    rules.check_shipment(state(ACCEPTED), OUT, ship)
    rules.check_shipment(replace(state(ACCEPTED), lifecycle=False), OUT, ship)
    assert refused(rules.check_shipment, state(ACCEPTED), OUT, replace(ship, carrier=" ")) == (
        ERR_INVALID_REQUEST,
        "name the carrier",
    )
    assert refused(rules.check_shipment, state(ACCEPTED), OUT, replace(ship, parcels=0)) == (
        ERR_INVALID_REQUEST,
        "parcels must be at least 1",
    )
    assert refused(rules.check_shipment, state(ACCEPTED), IN, ship) == (
        ERR_NOT_ALLOWED,
        "only the sender (RSL) may record the shipment of this exchange",
    )
    assert refused(rules.check_shipment, state(PROPOSED), OUT, ship) == (
        ERR_INVALID_TRANSITION,
        "cannot record the shipment of an exchange that is proposed (it must be accepted)",
    )


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ([ReceivedLine("l9", 1)], "line l9 was not accepted in this exchange"),
        ([ReceivedLine("l1", 1), ReceivedLine("l1", 1)], "line l1 is listed twice"),
        ([ReceivedLine("l1", 3)], "line l1: received must be between 0 and the 2 accepted"),
        ([ReceivedLine("l2", -1)], "line l2: received must be between 0 and the 1 accepted"),
        ([ReceivedLine("l1", 1, 2)], "line l1: damaged cannot exceed the copies received"),
        ([ReceivedLine("l1", 1, -1)], "line l1: damaged cannot exceed the copies received"),
    ],
)
def test_a_receipt_is_refused(received: list[ReceivedLine], message: str) -> None:
    receipt = ReceiptInput(THEM, received)
    assert refused(rules.check_receipt, accepted(), OUT, receipt) == (ERR_INVALID_REQUEST, message)


def test_the_recipient_records_the_receipt_of_a_shipped_exchange() -> None:
    rules.check_receipt(accepted(), OUT, ReceiptInput(THEM, [ReceivedLine("l1", 2, 2)]))
    rules.check_receipt(accepted(), OUT, ReceiptInput(THEM, []))
    assert refused(rules.check_receipt, accepted(), OUT, ReceiptInput(US, [])) == (
        ERR_NOT_ALLOWED,
        "only the recipient (RSL) may record the receipt of this exchange",
    )
    assert refused(rules.check_receipt, accepted(RECEIVED), OUT, ReceiptInput(THEM, [])) == (
        ERR_INVALID_TRANSITION,
        "cannot record the receipt of an exchange that is received (it must be shipped)",
    )


# --- cancellation, loss, MARC ---------------------------------------------------------------


def test_either_party_cancels_before_shipment_with_a_reason() -> None:
    for st, actor in itertools.product((PROPOSED, ACCEPTED), (US, THEM)):
        rules.check_cancel(state(st), OUT, CancelInput(actor, "changed our mind"))
    assert refused(rules.check_cancel, state(), OUT, CancelInput(Actor(OTHER, "x"), "why")) == (
        ERR_NOT_ALLOWED,
        "only the sender or the recipient may cancel",
    )
    assert refused(rules.check_cancel, state(SHIPPED), OUT, CancelInput(US, "why")) == (
        ERR_INVALID_TRANSITION,
        "cannot cancel an exchange that is shipped: only before shipment; "
        "after it, claims and loss apply",
    )
    assert refused(rules.check_cancel, state(), OUT, CancelInput(US, "  ")) == (
        ERR_INVALID_REQUEST,
        "a cancellation needs a reason",
    )
    assert refused(
        rules.check_cancel, replace(state(), lifecycle=False), OUT, CancelInput(US, "x")
    )[1] == ("this exchange was started before this step existed")


def test_the_sender_marks_a_shipment_lost_after_two_claims() -> None:
    for count in (0, 1):
        assert refused(rules.check_lost, accepted(overdue_claims=count), OUT, LostInput(US)) == (
            ERR_INVALID_TRANSITION,
            f"a shipment can be marked lost after two unanswered claims; {count} so far",
        )
    rules.check_lost(accepted(overdue_claims=2), OUT, LostInput(US))
    assert refused(rules.check_lost, accepted(overdue_claims=2), OUT, LostInput(THEM)) == (
        ERR_NOT_ALLOWED,
        "only the sender (HOME) may mark as lost this exchange",
    )
    assert refused(rules.check_lost, accepted(RECEIVED, overdue_claims=2), OUT, LostInput(US))[
        0
    ] == (ERR_INVALID_TRANSITION)


def test_either_party_attaches_marc_until_the_exchange_ends() -> None:
    for st in sorted(set(STATES) - FINAL_STATES):
        rules.check_attach(state(st, lifecycle=False), OUT, AttachMarcInput(THEM, "b1"))
    for st in FINAL_STATES:
        assert refused(rules.check_attach, state(st), OUT, AttachMarcInput(US, "b1")) == (
            ERR_INVALID_TRANSITION,
            f"the exchange is {st}",
        )
    assert refused(rules.check_attach, state(), OUT, AttachMarcInput(Actor(OTHER, ""), "b1")) == (
        ERR_NOT_ALLOWED,
        "only the sender or the recipient may upload MARC",
    )
    attached = state(batches=["b1"])
    assert refused(rules.check_attach, attached, OUT, AttachMarcInput(US, "b1")) == (
        ERR_INVALID_REQUEST,
        "batch b1 is already attached",
    )


# --- claims -----------------------------------------------------------------------------------


def test_the_sender_answers_open_missing_and_damaged_claims() -> None:
    open_ = accepted(RECEIVED, claims=[claim("c1"), claim("c2", CLAIM_MISSING)])
    for no, action in itertools.product(("c1", "c2"), ("resend", "write_off")):
        assert rules.check_answer(open_, OUT, ClaimAnswerInput(US, no, action)).claim_no == no
    cases = [
        (open_, ClaimAnswerInput(US, "c3", "resend"), ERR_INVALID_REQUEST,
         "there is no claim c3 on this exchange"),
        (open_, ClaimAnswerInput(THEM, "c1", "resend"), ERR_NOT_ALLOWED,
         "only the sender (HOME) answers claims"),
        (open_, ClaimAnswerInput(US, "c1", "refund"), ERR_INVALID_REQUEST,
         "answer with resend or write_off"),
        (accepted(claims=[claim("c1", CLAIM_OVERDUE)]), ClaimAnswerInput(US, "c1", "resend"),
         ERR_INVALID_TRANSITION,
         "c1 is settled by the recipient's receipt, or by marking the shipment lost"),
        (accepted(RECEIVED, claims=[claim("c1", st=CLAIM_RESENT)]),
         ClaimAnswerInput(US, "c1", "resend"), ERR_INVALID_TRANSITION, "c1 is already resent"),
        (replace(open_, lifecycle=False), ClaimAnswerInput(US, "c1", "resend"),
         ERR_INVALID_TRANSITION, "this exchange was started before this step existed"),
    ]  # fmt: skip
    for st, answer, kind, message in cases:
        assert refused(rules.check_answer, st, OUT, answer) == (kind, message)


def test_the_recipient_confirms_resent_copies() -> None:
    resent = accepted(RECEIVED, claims=[claim("c1", st=CLAIM_RESENT), claim("c2")])
    assert rules.check_confirm(resent, OUT, ClaimConfirmInput(THEM, "c1")).claim_no == "c1"
    assert refused(rules.check_confirm, resent, OUT, ClaimConfirmInput(US, "c1")) == (
        ERR_NOT_ALLOWED,
        "only the recipient (RSL) confirms resent copies",
    )
    assert refused(rules.check_confirm, resent, OUT, ClaimConfirmInput(THEM, "c2")) == (
        ERR_INVALID_TRANSITION,
        "c2 is open; only resent copies can be confirmed",
    )
    assert refused(rules.check_confirm, resent, OUT, ClaimConfirmInput(THEM, "c7"))[0] == (
        ERR_INVALID_REQUEST
    )


def test_a_receipt_raises_claims_for_missing_and_damaged_copies_and_settles_overdue_ones() -> None:
    before = accepted(
        claims=[claim("c1", CLAIM_OVERDUE), claim("c2", CLAIM_OVERDUE, CLAIM_WRITTEN_OFF)]
    )
    got = claims.received_lines(before, ReceiptInput(THEM, [ReceivedLine("l1", 2, damaged=1)]))
    assert got == [ReceivedLine("l1", 2, 1), ReceivedLine("l2", 0, 0)], "unreported: none came"
    assert claims.receipt_claims(before, got) == [
        replace(claim("c1", CLAIM_OVERDUE), state=CLAIM_RESOLVED, note="parcel arrived"),
        ClaimState("c3", CLAIM_DAMAGED, CLAIM_OPEN, "l1", 1),
        ClaimState("c4", CLAIM_MISSING, CLAIM_OPEN, "l2", 1),
    ]
    complete = [ReceivedLine("l1", 2), ReceivedLine("l2", 1)]
    assert claims.receipt_claims(accepted(), complete) == []


def test_claims_are_numbered_after_those_recorded_and_those_pending() -> None:
    two = accepted(claims=[claim("c1"), claim("c2")])
    assert claims.new_claim(two, CLAIM_MISSING, "l2", 1, None).claim_no == "c3"
    assert claims.new_claim(two, CLAIM_MISSING, "l2", 1, None, pending=2).claim_no == "c5"
    overdue = claims.overdue_claim(replace(two, overdue_claims=1))
    assert overdue == ClaimState("c3", CLAIM_OVERDUE, CLAIM_OPEN, None, 0, "claim 1")


def test_answers_and_loss_settle_claims() -> None:
    c1 = claim("c1")
    assert claims.answered_claim(c1, ClaimAnswerInput(US, "c1", "resend", note="by DHL")) == (
        replace(c1, state=CLAIM_RESENT, note="by DHL")
    )
    assert claims.answered_claim(c1, ClaimAnswerInput(US, "c1", "write_off")).state == (
        CLAIM_WRITTEN_OFF
    )
    mixed = accepted(claims=[c1, claim("c2", st=CLAIM_RESOLVED), claim("c3", st=CLAIM_RESENT)])
    assert claims.claims_written_off_by_loss(mixed) == [
        replace(c1, state=CLAIM_WRITTEN_OFF, note="lost"),
        replace(claim("c3"), state=CLAIM_WRITTEN_OFF, note="lost"),
    ]


# --- the actions query ------------------------------------------------------------------------


def _probed(
    st: ExchangeState, ex: ExchangeInput, party: str
) -> tuple[list[str], list[str], list[str]]:
    """What the ``actions`` query answered before the rules were functions: each validator
    run on a well-formed made-up input. The query must answer exactly the same."""
    actor = Actor(party, "")
    probes: dict[str, Callable[[], object]] = {
        "decide": lambda: rules.check_decision(st, ex, DecisionInput(actor, decline_reason="?")),
        "revise": lambda: rules.check_revision(st, ex, ReviseInput(actor, [LineSpec("?", 1)])),
        "ship": lambda: rules.check_shipment(st, ex, ShipmentInput(actor, carrier="?")),
        "receive": lambda: rules.check_receipt(st, ex, ReceiptInput(actor, lines=[])),
        "cancel": lambda: rules.check_cancel(st, ex, CancelInput(actor, reason="?")),
        "lost": lambda: rules.check_lost(st, ex, LostInput(actor)),
        "upload_marc": lambda: rules.check_attach(st, ex, AttachMarcInput(actor, batch_id="")),
    }
    return (
        [name for name, probe in probes.items() if rules.allows(probe)],
        [
            c.claim_no
            for c in st.claims
            if rules.allows(
                rules.check_answer, st, ex, ClaimAnswerInput(actor, c.claim_no, "resend")
            )
        ],
        [
            c.claim_no
            for c in st.claims
            if rules.allows(rules.check_confirm, st, ex, ClaimConfirmInput(actor, c.claim_no))
        ],
    )


def test_actions_answer_as_the_validators_would_in_every_state_for_every_party() -> None:
    claims = [
        claim("c1"),
        claim("c2", CLAIM_OVERDUE),
        claim("c3", st=CLAIM_RESENT),
        claim("c4", st=CLAIM_WRITTEN_OFF),
    ]
    asked = 0
    for st, ex, party, lifecycle, overdue in itertools.product(
        STATES, (OUT, IN), (HOME, PARTNER, OTHER), (True, False), (0, 1, 2)
    ):
        current = accepted(st, claims=claims, lifecycle=lifecycle, overdue_claims=overdue)
        answer = rules.available_actions(current, ex, party)
        assert answer.state == st
        got = (answer.actions, answer.answerable_claims, answer.confirmable_claims)
        assert got == _probed(current, ex, party), (st, ex.sender, party, lifecycle, overdue)
        asked += 1
    assert asked == len(STATES) * 2 * 3 * 2 * 3


@pytest.mark.parametrize(
    ("st", "party", "expected"),
    [
        (PROPOSED, HOME, ["revise", "cancel", "upload_marc"]),
        (PROPOSED, PARTNER, ["decide", "cancel", "upload_marc"]),
        (ACCEPTED, HOME, ["ship", "cancel", "upload_marc"]),
        (ACCEPTED, PARTNER, ["cancel", "upload_marc"]),
        (SHIPPED, HOME, ["upload_marc"]),
        (SHIPPED, PARTNER, ["receive", "upload_marc"]),
        (RECEIVED, HOME, ["upload_marc"]),
        (CATALOGUED, PARTNER, ["upload_marc"]),
        (COMPLETED, HOME, []),
        (CANCELLED, PARTNER, []),
        (PROPOSED, OTHER, []),
    ],
)
def test_actions_of_an_outgoing_exchange(st: str, party: str, expected: list[str]) -> None:
    assert rules.available_actions(state(st), OUT, party).actions == expected


def test_actions_list_the_claims_each_party_can_settle() -> None:
    current = accepted(
        RECEIVED, claims=[claim("c1"), claim("c2", CLAIM_OVERDUE), claim("c3", st=CLAIM_RESENT)]
    )
    ours = rules.available_actions(current, OUT, HOME)
    theirs = rules.available_actions(current, OUT, PARTNER)
    assert (ours.answerable_claims, ours.confirmable_claims) == (["c1"], [])
    assert (theirs.answerable_claims, theirs.confirmable_claims) == ([], ["c3"])
    assert rules.available_actions(accepted(SHIPPED, overdue_claims=2), OUT, HOME).actions == [
        "lost",
        "upload_marc",
    ]
    old_run = rules.available_actions(replace(current, lifecycle=False), OUT, HOME)
    assert old_run.answerable_claims == [] and old_run.actions == ["upload_marc"]


# --- steps that follow by themselves, notices -------------------------------------------------


def test_what_we_receive_is_catalogued_once_records_are_imported() -> None:
    assert rules.catalogue_due(accepted(RECEIVED, records_imported=3), IN)
    assert not rules.catalogue_due(accepted(RECEIVED, records_imported=0), IN)
    assert not rules.catalogue_due(accepted(RECEIVED, records_imported=3), OUT)
    assert not rules.catalogue_due(accepted(SHIPPED, records_imported=3), IN)


def test_an_exchange_completes_when_ready_and_every_claim_is_settled() -> None:
    settled = [claim("c1", st=CLAIM_WRITTEN_OFF), claim("c2", st=CLAIM_RESOLVED)]
    assert rules.completion_due(accepted(RECEIVED, claims=settled), OUT)
    assert not rules.completion_due(accepted(RECEIVED, claims=[*settled, claim("c3")]), OUT)
    assert not rules.completion_due(accepted(RECEIVED, claims=[claim("c3", st=CLAIM_RESENT)]), OUT)
    assert not rules.completion_due(accepted(RECEIVED), IN), "ours must be catalogued first"
    assert rules.completion_due(accepted(CATALOGUED), IN)
    assert not rules.completion_due(accepted(CATALOGUED), OUT)


def test_the_partner_hears_of_steps_it_did_not_take() -> None:
    assert rules.notifies(state(), OUT, US) and rules.notifies(state(), OUT, None)
    assert not rules.notifies(state(), OUT, THEM)
    assert not rules.notifies(replace(state(), lifecycle=False), OUT, US), "old runs: no notices"
    assert not rules.notifies(state(), replace(OUT, partner=""), US)


def test_imported_records_are_news_unless_the_partner_uploaded_them() -> None:
    both = state(batches=["b1", "b2"], batch_uploaders=[PARTNER, HOME])
    assert not rules.announces_import(both, OUT, "b1", imported=4)
    assert rules.announces_import(both, OUT, "b2", imported=4)
    assert not rules.announces_import(both, OUT, "b2", imported=0)
    no_uploaders = state(batches=["b1"])  # runs from before uploaders were recorded
    assert rules.announces_import(no_uploaders, OUT, "b1", imported=1)


# --- deadlines --------------------------------------------------------------------------------

T0 = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def test_a_day_ends_at_midnight_utc() -> None:
    assert deadlines.midnight_after("2026-11-30") == datetime(2026, 12, 1, tzinfo=UTC)


def test_the_reminder_falls_days_before_the_end_of_the_deadline_day() -> None:
    d = Deadlines(respond_by="2026-12-10", reminder_days=3)
    assert deadlines.reminder_at(d) == datetime(2026, 12, 8, tzinfo=UTC)
    assert deadlines.reminder_at(replace(d, reminder_days=0)) is None
    assert deadlines.reminder_at(replace(d, respond_by=None)) is None
    assert not deadlines.reminder_too_late(d, T0)
    assert deadlines.reminder_too_late(d, datetime(2026, 12, 8, tzinfo=UTC))
    assert not deadlines.reminder_too_late(replace(d, reminder_days=0), T0)


def test_the_next_deadline_of_each_state() -> None:
    d = Deadlines(respond_by="2026-12-10", reminder_days=3, receipt_days=60, claim_interval_days=14)
    day = timedelta(days=1)
    assert deadlines.next_deadline(state(), d) == (datetime(2026, 12, 8, tzinfo=UTC), "reminder")
    assert deadlines.next_deadline(state(reminder_due=False), d) == (
        datetime(2026, 12, 11, tzinfo=UTC),
        "expire",
    )
    no_reminder = deadlines.next_deadline(state(), replace(d, reminder_days=0))
    assert no_reminder is not None and no_reminder[1] == "expire"
    assert deadlines.next_deadline(state(), replace(d, respond_by=None)) is None
    shipped = accepted(shipped_at=T0.isoformat())
    assert deadlines.next_deadline(shipped, d) == (T0 + 60 * day, "claim")
    again = replace(shipped, overdue_claims=1, last_claim_at=(T0 + 61 * day).isoformat())
    assert deadlines.next_deadline(again, d) == (T0 + 75 * day, "claim")
    assert deadlines.next_deadline(replace(again, overdue_claims=2), d) is None
    assert deadlines.next_deadline(accepted(ACCEPTED, shipped_at=T0.isoformat()), d) is None
    for st in (ACCEPTED, RECEIVED, *FINAL_STATES):
        assert deadlines.next_deadline(state(st), d) is None


def test_a_timer_acts_only_if_its_deadline_still_stands() -> None:
    d = Deadlines(respond_by="2026-12-10", reminder_days=3)
    at = datetime(2026, 12, 8, tzinfo=UTC)
    assert deadlines.deadline_due(state(), d, "reminder", at)
    assert not deadlines.deadline_due(state(), d, "reminder", at - timedelta(seconds=1))
    assert not deadlines.deadline_due(state(), d, "expire", at), "the reminder comes first"
    assert not deadlines.deadline_due(state(ACCEPTED), d, "reminder", at), "decided meanwhile"


def test_a_deadline_that_cannot_be_counted_is_none_and_noted_once() -> None:
    day = timedelta(days=1)
    for respond_by in ("9999-12-31", "2026-02-30", "soon", ""):
        d = Deadlines(respond_by=respond_by)
        assert deadlines.midnight_after(respond_by) is None
        assert deadlines.reminder_at(d) is None
        assert deadlines.next_deadline(state(), d) == (datetime.min.replace(tzinfo=UTC), "note")
        assert deadlines.deadline_due(state(), d, "note", T0)
        name, note = deadlines.unreckonable(state(), d) or ("", "")
        assert name == "respond_by" and note.startswith(f"the decision deadline {respond_by!r}")
        noted = state(deadline_notes=["respond_by"])
        assert deadlines.next_deadline(noted, d) is None, "noted: the run waits for people"
    # A reminder that cannot be counted is dropped; the expiry stands.
    far = Deadlines(respond_by="2026-12-10", reminder_days=10**9)
    assert deadlines.reminder_at(far) is None and not deadlines.reminder_too_late(far, T0)
    assert deadlines.next_deadline(state(), far) == (datetime(2026, 12, 11, tzinfo=UTC), "expire")
    assert deadlines.unreckonable(state(), far) is None

    for receipt_days in (10**9, 3_000_000, -(10**6)):
        d = Deadlines(receipt_days=receipt_days)
        shipped = accepted(shipped_at=T0.isoformat())
        assert deadlines.next_deadline(shipped, d) == (datetime.min.replace(tzinfo=UTC), "note")
        assert (deadlines.unreckonable(shipped, d) or ("",))[0] == "receipt"
    unread = accepted(shipped_at="yesterday")
    assert (deadlines.unreckonable(unread, Deadlines()) or ("", ""))[1].startswith(
        "the time of the shipment ('yesterday') cannot be read"
    )
    naive = accepted(shipped_at="2026-11-21T09:30:00")  # no offset: UTC
    assert deadlines.next_deadline(naive, Deadlines(receipt_days=60)) == (T0 + 60 * day, "claim")
    second = accepted(overdue_claims=1, shipped_at=T0.isoformat(), last_claim_at=T0.isoformat())
    d = Deadlines(claim_interval_days=10**9)
    assert (deadlines.unreckonable(second, d) or ("",))[0] == "claim_interval"
    # A run started before the lifecycle rules keeps no deadlines at all.
    assert deadlines.next_deadline(state(lifecycle=False), Deadlines(respond_by="x")) is None


def test_a_day_given_as_text_must_be_a_day() -> None:
    ship = ShipmentInput(US, "EMS", shipped_on="2026-13-01")
    assert refused(rules.check_shipment, state(ACCEPTED), OUT, ship) == (
        ERR_INVALID_REQUEST,
        "shipped_on must be a date (YYYY-MM-DD), not '2026-13-01'",
    )
    rules.check_shipment(state(ACCEPTED), OUT, replace(ship, shipped_on="2026-11-21"))
    receipt = ReceiptInput(THEM, [], received_on="\x00")
    assert refused(rules.check_receipt, accepted(), OUT, receipt) == (
        ERR_INVALID_REQUEST,
        "received_on must be a date (YYYY-MM-DD), not '\\x00'",
    )
