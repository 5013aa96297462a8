"""Rules kept in one place and read by several callers: a partner's claim of a serial issue
(the service refuses by it, the portal offers the claim by it), the role check (the routes,
the pages and the service layer refuse alike), and the words of a serial claim's notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.exchange.problems import Problem
from services.exchange.schemas.serials import IssueOut
from services.exchange.serial_models import SerialIssue, SerialTitle
from services.exchange.service import serial_notices
from services.exchange.service.keys import ACQUISITIONS, ADMIN, CATALOGUER, PARTNER_ROLE, Caller
from services.exchange.service.roles import require_role
from services.exchange.web.serial_views import claimable
from workflows.serial import rules
from workflows.serial.types import CLAIMED, EXPECTED, RECEIVED, SKIPPED

DAY = date(2027, 3, 2)


def test_a_partner_claims_an_awaited_issue_from_its_day_at_most_twice() -> None:
    assert rules.partner_claim_refusal(EXPECTED, 0, DAY, DAY - timedelta(days=1)) == rules.NOT_DUE
    assert rules.partner_claim_refusal(EXPECTED, 0, DAY, DAY) is None, "the day itself counts"
    assert rules.partner_claim_refusal(CLAIMED, 1, DAY, DAY) is None, "a second claim"
    assert rules.partner_claim_refusal(CLAIMED, 2, DAY, DAY) == rules.CLAIMED_TWICE
    # answered "sent": expected again, its two claims kept: no third
    assert rules.partner_claim_refusal(EXPECTED, 2, DAY, DAY) == rules.CLAIMED_TWICE
    for state in (RECEIVED, SKIPPED):
        assert rules.partner_claim_refusal(state, 0, DAY, DAY) == rules.NOT_OPEN


def _issue(issue_id: int, state: str, claims: int, expected_on: date) -> IssueOut:
    return IssueOut(
        id=issue_id,
        serial_id=1,
        year=expected_on.year,
        seq=issue_id,
        key=f"{expected_on.year}:{issue_id}",
        volume=None,
        numbers=str(issue_id),
        expected_on=expected_on,
        claim_on=expected_on + timedelta(days=30),
        state=state,  # type: ignore[arg-type]
        copies_expected=1,
        received_on=None,
        copies_received=0,
        damaged=0,
        duplicates=0,
        claims=claims,
        last_claimed_on=None,
        answer=None,
        answer_note=None,
        answered_on=None,
        sent_on=None,
        dispatch_id=None,
    )


def test_the_portal_offers_the_claims_the_service_takes() -> None:
    issues = [
        _issue(1, EXPECTED, 0, DAY),  # due today
        _issue(2, EXPECTED, 0, DAY + timedelta(days=1)),  # tomorrow
        _issue(3, CLAIMED, 1, DAY - timedelta(days=40)),  # a second claim
        _issue(4, CLAIMED, 2, DAY - timedelta(days=90)),  # claimed twice
        _issue(5, RECEIVED, 0, DAY - timedelta(days=10)),
    ]
    assert claimable(issues, DAY) == {1, 3}


def _caller(role: str) -> Caller:
    kind = "partner" if role == PARTNER_ROLE else "staff"
    return Caller(kind=kind, key_id="k", party="X", role=role)  # type: ignore[arg-type]


def test_the_role_rule_lets_admins_and_the_named_roles_through() -> None:
    for role in (ADMIN, ACQUISITIONS):
        assert require_role(_caller(role), ACQUISITIONS).role == role
    with pytest.raises(Problem) as refused:
        require_role(_caller(CATALOGUER), ACQUISITIONS)
    assert (refused.value.status, refused.value.kind) == (403, "role-required")
    assert refused.value.detail == "this action needs the admin or acquisitions role"
    with pytest.raises(Problem) as partner:
        require_role(_caller(PARTNER_ROLE), ACQUISITIONS)
    assert (partner.value.kind, partner.value.detail) == (
        "staff-only",
        "this action needs a staff key",
    )
    assert require_role(_caller(PARTNER_ROLE), ACQUISITIONS, PARTNER_ROLE).role == PARTNER_ROLE


def test_a_claim_reads_alike_whoever_makes_it() -> None:
    title = SerialTitle(title="Acta", issn="1234-5678")  # type: ignore[call-arg]
    issue = SerialIssue(year=2027, volume=3, numbers="2", expected_on=DAY)  # type: ignore[call-arg]
    ours = serial_notices.claim_params(title, issue, 1)
    theirs = serial_notices.claim_params(title, issue, 2, "PARTNER")
    assert "partner" not in ours and theirs["partner"] == "PARTNER"
    assert serial_notices.claim_note(ours) == (
        "First claim: Acta (1234-5678) vol. 3, no. 2 (2027), expected by 2027-03-02, "
        "has not arrived"
    )
    assert serial_notices.claim_note(theirs).startswith("Second claim: Acta (1234-5678) vol. 3,")
