"""What the exchange's history says of a step, in the words staff and partners read.

Plain functions of the state, the deadlines and a step's input or result, so the workflow's
handlers only choose and record; a note goes to the history (``record_step``) and, for the
steps the partner hears of, into the notice. Changing a sentence changes no command: old runs
replay with the new words.
"""

from __future__ import annotations

from workflows.exchange.types import (
    CLAIM_WRITTEN_OFF,
    ClaimAnswerInput,
    ClaimState,
    Deadlines,
    ExchangeState,
    LineQuantity,
    ReceivedLine,
    ShipmentInput,
)
from workflows.importing.types import ImportBatchResult


def proposal(state: ExchangeState) -> str:
    return f"{len(state.offered)} lines offered"


def acceptance(state: ExchangeState, lines: list[LineQuantity]) -> str:
    copies = sum(q.quantity for q in lines)
    return f"{len(lines)} of {len(state.offered)} lines, {copies} copies"


def shipment(s: ShipmentInput) -> str:
    return s.carrier + (f", tracking {s.tracking}" if s.tracking else "")


def receipt(state: ExchangeState, lines: list[ReceivedLine]) -> str:
    copies = sum(line.received for line in lines)
    damaged = sum(line.damaged for line in lines)
    expected = sum(q.quantity for q in state.accepted)
    return f"{copies} of {expected} copies received" + (f", {damaged} damaged" if damaged else "")


def claim_answer(updated: ClaimState, a: ClaimAnswerInput) -> tuple[str, str]:
    """The notice's note, and the history's (which keeps the sender's own words)."""
    written_off = updated.state == CLAIM_WRITTEN_OFF
    note = f"{updated.claim_no}: " + ("written off" if written_off else "resent")
    return note, note + (f" ({a.note})" if a.note else "")


def resent_arrived(claim: ClaimState) -> str:
    return f"{claim.claim_no}: resent copies arrived"


def loss(state: ExchangeState, note: str | None) -> str:
    return note or f"no receipt after {state.overdue_claims} claims"


def reminder(d: Deadlines) -> str:
    return f"a decision is due by {d.respond_by}"


def expiry(d: Deadlines) -> str:
    return f"no decision by {d.respond_by}"


def overdue(state: ExchangeState, claim: ClaimState) -> str:
    return f"receipt overdue: claim {state.overdue_claims} ({claim.claim_no})"


def imported(batch_id: str, result: ImportBatchResult) -> str:
    if result.error is not None:
        return f"batch {batch_id} failed: {result.error}"
    return (
        f"batch {batch_id}: {result.imported} of {result.total} records imported, "
        f"{result.rejected} rejected"
    )


def catalogued(state: ExchangeState) -> str:
    return f"{state.records_imported} records in the catalogue"
