"""Writing workflow steps into the database projection the API lists and searches.

A step's side effects (reservations released or consumed, claims, ledger entries) are
written in the same transaction as its history event, keyed by the workflow's ``seq``: a
retried activity finds the event and writes nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.models import Claim, Exchange, ExchangeEvent, ExchangeLine, Notice, Partner
from services.exchange.service import email_notices, fund, offer_list_closing, reports, resends
from services.exchange.service.offer_lines import event_note, offer_note, write_offer_lines
from services.exchange.storage.db import session_scope
from workflows.exchange.types import (
    CLAIM_SETTLED,
    ClaimState,
    LineOffer,
    NoticeInput,
    RevisionRecord,
    StepRecord,
)

# Steps after which the exchange holds no fund copies: a completed one may still have a
# resend's hold whose step never arrived.
_RELEASING_STEPS = frozenset({"decline", "expire", "cancel", "complete"})


def _already(session: Session, exchange_id: str, seq: int) -> bool:
    return (
        session.exec(
            select(col(ExchangeEvent.id)).where(
                col(ExchangeEvent.exchange_id) == exchange_id, col(ExchangeEvent.seq) == seq
            )
        ).first()
        is not None
    )


def _exchange(session: Session, exchange_id: str, *, lock: bool = False) -> Exchange:
    exchange = session.get(Exchange, exchange_id, with_for_update=lock)
    if exchange is None:
        raise LookupError(f"exchange {exchange_id} is not in the database")
    return exchange


def _lines(session: Session, exchange_id: str) -> list[ExchangeLine]:
    return list(
        session.exec(
            select(ExchangeLine)
            .where(col(ExchangeLine.exchange_id) == exchange_id)
            .order_by(col(ExchangeLine.position))
        )
    )


def apply_step(engine: Engine, rec: StepRecord) -> bool:
    """Apply one step in one transaction; False when this step was already written (a retry)."""
    try:
        with session_scope(engine) as session:
            if _already(session, rec.exchange_id, rec.seq):
                return False
            exchange = _exchange(session, rec.exchange_id, lock=True)
            at = datetime.fromisoformat(rec.at)
            session.add(
                ExchangeEvent(
                    exchange_id=rec.exchange_id,
                    seq=rec.seq,
                    at=at,
                    actor=rec.actor,
                    step=rec.step,
                    state=rec.state,
                    note=rec.note,
                    note_id=rec.note_id,
                    note_params=rec.note_params,
                )
            )
            exchange.state = rec.state
            exchange.updated_at = at
            if rec.decline_reason is not None:
                exchange.decline_reason = rec.decline_reason
            if rec.cancel_reason is not None:
                exchange.cancel_reason = rec.cancel_reason
            if rec.shipment is not None:
                exchange.shipment = asdict(rec.shipment)
            if rec.received_on is not None:
                exchange.received_on = date.fromisoformat(rec.received_on)
            if rec.accepted is not None or rec.received is not None or rec.step == "complete":
                lines = {line.id: line for line in _lines(session, rec.exchange_id)}
                if rec.accepted is not None:
                    accepted = {q.line_id: q.quantity for q in rec.accepted}
                    for line in lines.values():
                        line.accepted_quantity = accepted.get(line.id, 0)
                        session.add(line)
                    fund.release(session, rec.exchange_id, keep=accepted)
                for received in rec.received or []:
                    line = lines[received.line_id]
                    line.received = received.received
                    line.damaged = received.damaged
                    session.add(line)
                if rec.step == "complete":
                    completed = date.fromisoformat(rec.completed_on or rec.at[:10])
                    exchange.completed_on = completed
                    session.flush()
                    for entry in reports.ledger_entries(exchange, list(lines.values()), completed):
                        session.add(entry)
            if rec.step in _RELEASING_STEPS:
                fund.release(session, rec.exchange_id)
                offer_list_closing.return_copies(session, rec.exchange_id)  # back on its list
            elif rec.step == "ship":
                fund.consume(session, rec.exchange_id)
            for claim in rec.claims or []:
                _upsert_claim(session, rec.exchange_id, claim, at)
                if rec.step == "claim_answer":  # resent copies leave the fund
                    resends.settled(session, rec.exchange_id, claim)
            session.add(exchange)
        return True
    except IntegrityError:
        # A concurrent retry of the same step won the race on (exchange_id, seq).
        return False


def _upsert_claim(session: Session, exchange_id: str, c: ClaimState, at: datetime) -> None:
    row = session.exec(
        select(Claim).where(
            col(Claim.exchange_id) == exchange_id, col(Claim.claim_no) == c.claim_no
        )
    ).first()
    if row is None:
        row = Claim(
            exchange_id=exchange_id,
            claim_no=c.claim_no,
            kind=c.kind,
            line_id=c.line_id,
            copies=c.copies,
            state=c.state,
            note=c.note,
            raised_at=at,
        )
    else:
        row.state, row.note = c.state, c.note or row.note
    if c.state in CLAIM_SETTLED:
        row.settled_at = at
    session.add(row)


def apply_revision(engine: Engine, rec: RevisionRecord) -> list[LineOffer]:
    """Replace the offered lines; reservations follow them. Raises FundError (nothing written)."""
    with session_scope(engine) as session:
        if _already(session, rec.exchange_id, rec.seq):
            return [LineOffer(line.id, line.quantity) for line in _lines(session, rec.exchange_id)]
        exchange = _exchange(session, rec.exchange_id, lock=True)
        fund.release(session, rec.exchange_id)
        session.execute(
            delete(ExchangeLine).where(col(ExchangeLine.exchange_id) == rec.exchange_id)
        )
        offers = write_offer_lines(session, exchange, rec.lines)
        at = datetime.fromisoformat(rec.at)
        session.add(
            ExchangeEvent(
                exchange_id=rec.exchange_id,
                seq=rec.seq,
                at=at,
                actor=rec.actor,
                step="revise",
                state=exchange.state,
                **event_note(offer_note(offers, revised=True)),
            )
        )
        exchange.updated_at = at
        session.add(exchange)
        return offers


def record_notice(
    engine: Engine,
    notice: NoticeInput,
    *,
    home: str | None = None,
    home_name: str | None = None,
    staff_email: str | None = None,
    email: bool = False,
) -> tuple[bool, bool]:
    """Keep the notice and put it in the exchange's history.

    Returns (written, deliver): written is False for a retry; deliver says whether a delivery
    has anyone to reach: the partner's webhook, or (with ``email``, when e-mail is set up) an
    address for it (``email_notices.has_recipients``: the partner's contacts that want the
    kind, or for a notice to our staff, ``party == home``, the staff's addresses).
    """
    with Session(engine) as session:
        partner = session.exec(select(Partner).where(col(Partner.code) == notice.party)).first()
        deliver = bool(partner and partner.webhook_url)
        if email and not deliver:
            deliver = email_notices.has_recipients(
                session, notice.party, notice.event, home or "", staff_email
            )
    party_name = partner.name if partner else (home_name if notice.party == home else None)
    try:
        with session_scope(engine) as session:
            if _already(session, notice.exchange_id, notice.seq):
                return False, deliver
            exchange = _exchange(session, notice.exchange_id)
            at = datetime.fromisoformat(notice.at)
            session.add(
                Notice(
                    exchange_id=notice.exchange_id,
                    seq=notice.seq,
                    party=notice.party,
                    event=notice.event,
                    note=notice.note,
                    created_at=at,
                    note_id=notice.note_id,
                    note_params=notice.note_params,
                )
            )
            session.add(
                ExchangeEvent(
                    exchange_id=notice.exchange_id,
                    seq=notice.seq,
                    at=at,
                    actor="system",
                    step="notice",
                    state=exchange.state,
                    note=f"{notice.event} notice for {notice.party}"
                    + (f": {notice.note}" if notice.note else ""),
                    note_id="notice",
                    note_params=_notice_params(notice, party_name),
                )
            )
        return True, deliver
    except IntegrityError:
        return False, deliver


def _notice_params(notice: NoticeInput, party_name: str | None) -> dict[str, Any]:
    """What the pages need to write a notice's history entry in the reader's language: the
    event, the partner (its code, and its name for people to read), and the notice's own note
    (its message id and values, or its text)."""
    return {
        "event": notice.event,
        "party": notice.party,
        "party_name": party_name or notice.party,
        "text": notice.note or "",
        "note_id": notice.note_id,
        "note_params": notice.note_params,
    }
