"""What a serial renewal or a selection from a partner's offer list would do to the balance,
counted before staff send it (issue 17: "before a new outgoing proposal, selection or serial
renewal is sent, staff see what it does to the balance, and a warning when it would go past
the tolerance").

Both are counted by ``balance.preview``, the one count the proposal review and the API's
preview use, from lines built here the way the ledger will count them: a renewal as one line
of the title (a serial title counts once a year as a title) with the year's issues times the
copies, valued at the title's unit value; a selection as its items at the copies held, valued
as the partner declared them. The pages only warn: unlike a proposal, neither asks for an
acknowledgement, since a renewal goes on an existing exchange and a selection takes what was
offered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferListOut
from services.exchange.schemas.reports import BalancePreviewOut
from services.exchange.schemas.serials import SerialOut
from services.exchange.service import balance, serial_issues
from services.exchange.service.keys import Caller
from workflows.exchange.types import LineSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenewalPreview:
    """A renewal's year, its issues and copies each, and what they do to the balance."""

    year: int
    issues: int
    copies: int
    preview: BalancePreviewOut


def renewal_line(title: SerialOut, issues: int) -> LineSpec:
    """The renewal as the ledger will count it: the title once, issues x copies copies."""
    return LineSpec(
        title=title.title,
        issn=title.issn,
        quantity=issues * title.copies,
        unit_value=str(title.unit_value) if title.unit_value is not None else None,
        currency=title.currency,
    )


def _preview(
    engine: Engine, caller: Caller, code: str, direction: str, lines: list[LineSpec]
) -> BalancePreviewOut | None:
    """The preview, or None when it cannot be counted (the page shows the form regardless)."""
    try:
        return balance.preview(
            engine,
            caller,
            code,
            "outgoing" if direction == "outgoing" else "incoming",
            lines,
        )
    except Problem as exc:
        log.info("balance preview for %s not counted: %s", code, exc.detail)
        return None


def serial_renewal(
    engine: Engine, caller: Caller, title: SerialOut, year: int
) -> RenewalPreview | None:
    """What confirming an outgoing title for ``year`` adds to the balance: the year's issues
    (as predicted and edited; skipped ones left out) times the copies. None for a title we
    receive, one not running, or a year with no issues written yet."""
    if title.direction != "outgoing" or title.state != "active" or year < title.first_year:
        return None
    issues = [
        i for i in serial_issues.list_issues(engine, caller, title.id, year) if i.state != "skipped"
    ]
    if not issues:
        return None
    line = renewal_line(title, len(issues))
    preview = _preview(engine, caller, title.partner, title.direction, [line])
    if preview is not None and line.unit_value is not None and not line.currency:
        # Valued with no currency of its own: its ledger entries take the agreement's.
        line.currency = preview.currency
        preview = _preview(engine, caller, title.partner, title.direction, [line])
    if preview is None:
        return None
    return RenewalPreview(year, len(issues), title.copies, preview)


def selection_lines(view: OfferListOut) -> list[LineSpec]:
    """Our saved selection from a partner's list, as the exchange it becomes will carry it."""
    return [
        LineSpec(
            title=item.title,
            quantity=item.selected,
            isbn=item.isbn,
            issn=item.issn,
            author=item.author,
            year=item.year,
            unit_value=str(item.unit_value) if item.unit_value is not None else None,
            currency=item.currency,
            language=item.language,
        )
        for item in view.item_list
        if item.selected > 0
    ]


def selection(engine: Engine, caller: Caller, view: OfferListOut) -> BalancePreviewOut | None:
    """What submitting our saved selection from a partner's list adds to the balance (we
    receive it); None for our own lists, a selection already submitted, or nothing held."""
    if view.direction != "incoming" or view.partner is None:
        return None
    if view.selection is not None and view.selection.state != "open":
        return None
    lines = selection_lines(view)
    if not lines:
        return None
    return _preview(engine, caller, view.partner, "incoming", lines)
