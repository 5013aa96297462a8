"""An exchange's offered lines, written in one place: the rows, and the fund copies they hold.

A proposal writes the first lines and a revision replaces them. Both must store the same
values and hold the same copies, so both call ``write_offer_lines``; each keeps its own
history note and its own answer to a fund that cannot hold the copies (a problem for the API,
a non-retryable error for the workflow).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from services.exchange.models import Exchange, ExchangeLine
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import fund
from services.exchange.service.exchange_queries import OUTGOING
from workflows.exchange.notes import Note
from workflows.exchange.types import LineOffer, LineSpec


def line_spec(line: LineIn) -> LineSpec:
    """A line as the API received it, in the shape the workflow carries (the value as text)."""
    return LineSpec(
        title=line.title,
        quantity=line.quantity,
        isbn=line.isbn,
        issn=line.issn,
        author=line.author,
        year=line.year,
        record_id=line.record_id,
        unit_value=str(line.unit_value) if line.unit_value is not None else None,
        currency=line.currency,
        purchase_cost=str(line.purchase_cost) if line.purchase_cost is not None else None,
        language=line.language,
        weight_grams=line.weight_grams,
    )


def write_offer_lines(
    session: Session, exchange: Exchange, specs: Sequence[LineSpec]
) -> list[LineOffer]:
    """Add the exchange's lines in order (positions from 1) and hold fund copies for the lines
    we send that name a fund item.

    Raises ``fund.FundError`` when the fund cannot hold them; the caller rolls back.
    """
    offers: list[LineOffer] = []
    wanted: list[fund.Wanted] = []
    for position, spec in enumerate(specs, start=1):
        line = ExchangeLine(
            id=str(uuid.uuid4()),
            exchange_id=exchange.id,
            position=position,
            title=spec.title,
            isbn=spec.isbn,
            issn=spec.issn,
            author=spec.author,
            year=spec.year,
            record_id=spec.record_id,
            quantity=spec.quantity,
            unit_value=Decimal(spec.unit_value) if spec.unit_value is not None else None,
            currency=spec.currency,
            purchase_cost=Decimal(spec.purchase_cost) if spec.purchase_cost is not None else None,
            language=spec.language,
            weight_grams=spec.weight_grams,
        )
        session.add(line)
        offers.append(LineOffer(line_id=line.id, quantity=line.quantity))
        if spec.record_id is not None and exchange.direction == OUTGOING:
            wanted.append(fund.Wanted(line.id, position, spec.record_id, spec.quantity))
    session.flush()
    fund.reserve(session, exchange.id, wanted)
    return offers


def offer_note(offers: Sequence[LineOffer], *, revised: bool = False) -> Note:
    """What the history says about an offer (or its revision): how many lines and copies."""
    lines, copies = len(offers), sum(offer.quantity for offer in offers)
    text = f"{lines} {'line' if lines == 1 else 'lines'}, "
    text += f"{copies} {'copy' if copies == 1 else 'copies'}"
    if revised:
        text = f"revised: {text}"
    return Note(text, "revised" if revised else "offer", {"lines": lines, "copies": copies})


def event_note(note: Note) -> dict[str, Any]:
    """A note as the history's columns: the English text, the message id and its values."""
    return {
        "note": note.text,
        "note_id": note.id,
        "note_params": dict(note.params) if note.id else None,
    }
