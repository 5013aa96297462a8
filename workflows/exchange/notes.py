"""What the exchange's history says of a step, in the words staff and partners read.

Plain functions of the state, the deadlines and a step's input or result, so the workflow's
handlers only choose and record; a note goes to the history (``record_step``) and, for the
steps the partner hears of, into the notice. Changing a sentence changes no command: old runs
replay with the new words.

Each note is a ``Note``: the English text (the API's ``note``, notices and webhooks, which
machines read) and a message id with its values (plain data), from which the pages write the
note in each reader's own language with the language's plural forms
(``services/exchange/web/history_notes.py`` maps the ids to catalog messages). People's own
words (a decline or cancellation reason) are no message: they are kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class Note:
    """A history note: its English text, and the message id and values pages translate."""

    text: str
    id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def proposal(state: ExchangeState) -> Note:
    n = len(state.offered)
    return Note(f"{n} {_plural(n, 'line', 'lines')} offered", "proposal", {"lines": n})


def revision(lines: int) -> Note:
    text = f"{lines} {_plural(lines, 'line', 'lines')} offered now"
    return Note(text, "revision", {"lines": lines})


def acceptance(state: ExchangeState, lines: list[LineQuantity]) -> Note:
    copies = sum(q.quantity for q in lines)
    offered = len(state.offered)
    text = (
        f"{len(lines)} of {offered} {_plural(offered, 'line', 'lines')}, "
        f"{copies} {_plural(copies, 'copy', 'copies')}"
    )
    return Note(text, "acceptance", {"lines": len(lines), "offered": offered, "copies": copies})


def accepted(note: Note) -> Note:
    """The decision notice of an acceptance."""
    return Note(f"accepted {note.text}", "accepted", dict(note.params))


def declined(reason: str) -> Note:
    """The decision notice of a decline (the reason in the recipient's own words)."""
    return Note(f"declined: {reason}", "declined", {"reason": reason})


def shipment(s: ShipmentInput) -> Note:
    text = s.carrier + (f", tracking {s.tracking}" if s.tracking else "")
    return Note(text, "shipment", {"carrier": s.carrier, "tracking": s.tracking or ""})


def receipt(state: ExchangeState, lines: list[ReceivedLine]) -> Note:
    copies = sum(line.received for line in lines)
    damaged = sum(line.damaged for line in lines)
    expected = sum(q.quantity for q in state.accepted)
    text = f"{copies} of {expected} {_plural(expected, 'copy', 'copies')} received" + (
        f", {damaged} damaged" if damaged else ""
    )
    params = {"received": copies, "expected": expected, "damaged": damaged}
    return Note(text, "receipt", params)


def claim_answer(updated: ClaimState, a: ClaimAnswerInput) -> tuple[Note, Note]:
    """The notice's note, and the history's (which keeps the sender's own words)."""
    written_off = updated.state == CLAIM_WRITTEN_OFF
    text = f"{updated.claim_no}: " + ("written off" if written_off else "resent")
    params: dict[str, Any] = {"claim_no": updated.claim_no, "outcome": updated.state}
    history = text + (f" ({a.note})" if a.note else "")
    return Note(text, "claim_answer", params), Note(
        history, "claim_answer", {**params, "note": a.note or ""}
    )


def resent_arrived(claim: ClaimState) -> Note:
    text = f"{claim.claim_no}: resent copies arrived"
    return Note(text, "resent_arrived", {"claim_no": claim.claim_no})


def loss(state: ExchangeState, note: str | None) -> Note:
    if note:
        return Note(note)  # the sender's own words
    n = state.overdue_claims
    return Note(f"no receipt after {n} {_plural(n, 'claim', 'claims')}", "loss", {"claims": n})


def reminder(d: Deadlines) -> Note:
    return Note(f"a decision is due by {d.respond_by}", "reminder", {"day": d.respond_by})


def expiry(d: Deadlines) -> Note:
    return Note(f"no decision by {d.respond_by}", "expiry", {"day": d.respond_by})


def deadline(name: str, text: str) -> Note:
    """A deadline that cannot be counted (``deadlines.unreckonable``), once per deadline."""
    return Note(text, "deadline", {"deadline": name}) if text else Note(text)


def overdue(state: ExchangeState, claim: ClaimState) -> Note:
    text = f"receipt overdue: claim {state.overdue_claims} ({claim.claim_no})"
    return Note(text, "overdue", {"count": state.overdue_claims, "claim_no": claim.claim_no})


def uploaded(batch_id: str) -> Note:
    return Note(f"batch {batch_id}", "uploaded", {"batch": batch_id})


def imported(batch_id: str, result: ImportBatchResult) -> Note:
    if result.error is not None:
        text = f"batch {batch_id} failed: {result.error}"
        return Note(text, "import_failed", {"batch": batch_id, "error": result.error})
    text = (
        f"batch {batch_id}: {result.imported} of {result.total} "
        f"{_plural(result.total, 'record', 'records')} imported, {result.rejected} rejected"
    )
    params = {
        "batch": batch_id,
        "imported": result.imported,
        "total": result.total,
        "rejected": result.rejected,
    }
    return Note(text, "imported", params)


def catalogued(state: ExchangeState) -> Note:
    n = state.records_imported
    text = f"{n} {_plural(n, 'record', 'records')} in the catalogue"
    return Note(text, "catalogued", {"records": n})


def staged(batch_id: str, result: ImportBatchResult) -> Note:
    """An import now stages its batch: its records wait for a cataloguer's commit."""
    if result.error is not None:
        return imported(batch_id, result)
    text = (
        f"batch {batch_id}: {result.total} {_plural(result.total, 'record', 'records')} "
        f"staged for review, {result.rejected} rejected"
    )
    params = {"batch": batch_id, "total": result.total, "rejected": result.rejected}
    return Note(text, "staged", params)


def committed(batch_id: str, records: int) -> Note:
    text = f"batch {batch_id}: {records} {_plural(records, 'record', 'records')} committed"
    return Note(text, "committed", {"batch": batch_id, "records": records})
