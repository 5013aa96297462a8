"""The exchange's rules as plain functions, continued: the ``actions`` query, the steps that
follow by themselves (catalogued, completed), the notices, and the deadlines.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.fast.rules_support import (
    HOME,
    IN,
    OTHER,
    OUT,
    PARTNER,
    THEM,
    US,
    accepted,
    claim,
    refused,
    state,
)
from workflows.errors import ERR_INVALID_REQUEST
from workflows.exchange import deadlines, rules
from workflows.exchange.types import (
    ACCEPTED,
    CANCELLED,
    CATALOGUED,
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
    Deadlines,
    DecisionInput,
    ExchangeInput,
    ExchangeState,
    LineSpec,
    LostInput,
    ReceiptInput,
    ReviseInput,
    ShipmentInput,
)

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
