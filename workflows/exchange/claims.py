"""The exchange's claims: which claims a step raises, settles or writes off.

Plain functions of the exchange's state (``ExchangeState``) and a step's input, like ``rules``
(which decides whether a step may be taken at all): a claim is numbered after those before it,
and a step's claims replace those with their numbers (``merged``).
"""

from __future__ import annotations

from dataclasses import replace

from workflows.errors import N_
from workflows.exchange.types import (
    CLAIM_DAMAGED,
    CLAIM_MISSING,
    CLAIM_OPEN,
    CLAIM_OVERDUE,
    CLAIM_RESENT,
    CLAIM_RESOLVED,
    CLAIM_SETTLED,
    CLAIM_WRITTEN_OFF,
    ClaimAnswerInput,
    ClaimConfirmInput,
    ClaimState,
    ExchangeState,
    ReceiptInput,
    ReceivedLine,
)


def new_claim(
    state: ExchangeState,
    kind: str,
    line_id: str | None,
    copies: int,
    note: str | None,
    pending: int = 0,
) -> ClaimState:
    """An open claim numbered after the existing ones and ``pending`` not yet recorded."""
    return ClaimState(
        f"c{len(state.claims) + pending + 1}", kind, CLAIM_OPEN, line_id, copies, note
    )


def overdue_claim(state: ExchangeState) -> ClaimState:
    """The claim a passed receipt deadline raises (``overdue_claims`` counts it already)."""
    return new_claim(state, CLAIM_OVERDUE, None, 0, f"claim {state.overdue_claims}")


def received_lines(state: ExchangeState, r: ReceiptInput) -> list[ReceivedLine]:
    """One line per accepted line, in acceptance order; a line not reported arrived empty."""
    reported = {line.line_id: line for line in r.lines}
    return [reported.get(q.line_id, ReceivedLine(q.line_id, 0, 0)) for q in state.accepted]


def receipt_claims(state: ExchangeState, lines: list[ReceivedLine]) -> list[ClaimState]:
    """Missing and damaged copies become claims; overdue claims are resolved by the receipt."""
    claims = [
        replace(c, state=CLAIM_RESOLVED, note=N_("parcel arrived"))
        for c in state.claims
        if c.kind == CLAIM_OVERDUE and c.state not in CLAIM_SETTLED
    ]
    accepted = {q.line_id: q.quantity for q in state.accepted}
    raised: list[ClaimState] = []
    for line in lines:
        missing = accepted[line.line_id] - line.received
        if missing:
            raised.append(new_claim(state, CLAIM_MISSING, line.line_id, missing, None, len(raised)))
        if line.damaged:
            raised.append(
                new_claim(state, CLAIM_DAMAGED, line.line_id, line.damaged, None, len(raised))
            )
    return claims + raised


def answered_claim(claim: ClaimState, a: ClaimAnswerInput) -> ClaimState:
    settled = CLAIM_WRITTEN_OFF if a.action == "write_off" else CLAIM_RESENT
    return replace(claim, state=settled, note=a.note)


def resolved(claim: ClaimState, c: ClaimConfirmInput) -> ClaimState:
    """A resent claim the recipient confirms: the copies arrived."""
    return replace(claim, state=CLAIM_RESOLVED, note=c.note)


def claims_written_off_by_loss(state: ExchangeState) -> list[ClaimState]:
    return [
        replace(c, state=CLAIM_WRITTEN_OFF, note=N_("lost"))  # a data word, shown translated
        for c in state.claims
        if c.state not in CLAIM_SETTLED
    ]


def merged(claims: list[ClaimState], changed: list[ClaimState]) -> list[ClaimState]:
    """Each changed claim replaces the one with its number, or is added after the others."""
    by_no = {c.claim_no: c for c in claims} | {c.claim_no: c for c in changed}
    return list(by_no.values())
