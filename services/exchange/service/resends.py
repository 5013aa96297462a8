"""Resending claimed copies of our outgoing exchanges: they come out of the exchange fund.

When the recipient finds copies missing or damaged, we (the sender) answer the claim by
resending them, and those copies leave the fund as the first parcel's did. The rule is the
fund's own: copies are held before the step, by the same conditional UPDATE that holds a
proposal's copies, so two resends (or a resend and a new proposal) never take the same copy;
a fund without the copies refuses the resend before the workflow hears of it (409
``insufficient-copies``). When the workflow records the answer (``projection``), the held
copies are taken out (``settled``); a step the workflow refused gives them back
(``give_back``); a write-off, or the exchange completing, frees any hold left behind by a step
that never arrived.

Only lines that name a fund item count: a line typed without ``record_id`` was never in the
fund, and what a partner sends us is not ours.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.exchange.models import Claim, Exchange, ExchangeLine, FundItem
from services.exchange.problems import Problem
from services.exchange.service import fund
from services.exchange.service.exchange_queries import OUTGOING
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.exchange.types import CLAIM_OPEN, CLAIM_RESENT, CLAIM_WRITTEN_OFF, ClaimState

log = logging.getLogger(__name__)


NO_COPIES_LEFT = N_(
    "The exchange fund has no copies of this publication left to resend: write the copies "
    "off, or record a deposit first."
)


def _fund_line(
    session: Session, exchange_id: str, line_id: str | None
) -> tuple[Exchange, ExchangeLine] | None:
    """The exchange and its line when the line's copies come from our fund, else None."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is None or exchange.direction != OUTGOING or line_id is None:
        return None
    line = session.get(ExchangeLine, line_id)
    if line is None or line.exchange_id != exchange_id or line.record_id is None:
        return None
    return exchange, line


def hold(engine: Engine, exchange_id: str, claim_no: str) -> bool:
    """Hold the fund copies a resend of this claim will take, before the step is sent.

    True when copies are held for it (now, or by an earlier try of the same step that got no
    answer); False when the claim's copies do not come from the fund, or the claim is no
    longer open (the workflow will say why). Raises a 409 when the fund has too few.
    """
    with session_scope(engine) as session:
        claim = session.exec(
            select(Claim).where(
                col(Claim.exchange_id) == exchange_id, col(Claim.claim_no) == claim_no
            )
        ).first()
        if claim is None or claim.state != CLAIM_OPEN or claim.copies <= 0:
            return False
        found = _fund_line(session, exchange_id, claim.line_id)
        if found is None:
            return False
        _, line = found
        assert line.record_id is not None
        if fund.held_copies(session, exchange_id, line.id) >= claim.copies:
            return True
        fund.release(session, exchange_id, line_id=line.id)  # a smaller hold left behind
        try:
            fund.reserve(
                session,
                exchange_id,
                [fund.Wanted(line.id, line.position, line.record_id, claim.copies)],
            )
        except fund.FundError:
            item = session.get(FundItem, line.record_id)
            available = fund.available_copies(item) if item is not None else 0
            raise Problem(
                409,
                "insufficient-copies",
                NO_COPIES_LEFT,
                claim=claim_no,
                fund_item=line.record_id,
                title=line.title,
                wanted=claim.copies,
                available=available,
            ) from None
        return True


def give_back(engine: Engine, exchange_id: str, claim_no: str) -> None:
    """The step was refused: the copies held for it go back to the fund."""
    with session_scope(engine) as session:
        claim = session.exec(
            select(Claim).where(
                col(Claim.exchange_id) == exchange_id, col(Claim.claim_no) == claim_no
            )
        ).first()
        if claim is not None and claim.state == CLAIM_OPEN and claim.line_id is not None:
            fund.release(session, exchange_id, line_id=claim.line_id)


def settled(session: Session, exchange_id: str, claim: ClaimState) -> None:
    """The workflow recorded a claim's answer (in the projection's transaction): a resend
    takes its copies out of the fund, a write-off frees any copies held for it."""
    found = _fund_line(session, exchange_id, claim.line_id)
    if found is None:
        return
    _, line = found
    assert line.record_id is not None
    if claim.state == CLAIM_WRITTEN_OFF:
        fund.release(session, exchange_id, line_id=line.id)
        return
    if claim.state != CLAIM_RESENT:
        return
    if fund.consume(session, exchange_id, line.id):
        return
    # Answered without a hold (by an older version, or the hold was given back after a step
    # that seemed refused but was taken): take the copies if the fund still has them.
    if not fund.take_out(session, exchange_id, line.id, line.record_id, claim.copies):
        log.warning(
            "exchange %s, %s: %s copies resent, but fund item %s has fewer left",
            exchange_id,
            claim.claim_no,
            claim.copies,
            line.record_id,
        )
