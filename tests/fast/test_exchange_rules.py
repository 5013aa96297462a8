"""The exchange's rules as plain functions, without Temporal: who may take each step in which
state, what each refuses (type and message, as callers see them), and the claims steps raise
and settle. ``test_exchange_rules_actions`` has the actions query, the steps that follow by
themselves, and the deadlines.

``test_exchange_workflow`` runs the same rules inside the workflow on a test server.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from tests.fast.rules_support import (
    IN,
    OTHER,
    OUT,
    THEM,
    US,
    accepted,
    claim,
    lines,
    refused,
    state,
)
from workflows.errors import ERR_INVALID_REQUEST, ERR_INVALID_TRANSITION, ERR_NOT_ALLOWED
from workflows.exchange import claims, rules
from workflows.exchange.types import (
    ACCEPTED,
    CLAIM_DAMAGED,
    CLAIM_MISSING,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_RESOLVED,
    CLAIM_WRITTEN_OFF,
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
    DecisionInput,
    LineOffer,
    LineSpec,
    LostInput,
    ReceiptInput,
    ReceivedLine,
    ReviseInput,
    ShipmentInput,
)

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
