"""The exchange fund: deposited copies beyond those the law keeps, and their reservations.

Counters move only through conditional UPDATEs. A reservation succeeds only if the row still
has enough copies at the moment it is written, so concurrent proposals can never reserve the
same copy, on PostgreSQL (row lock, condition re-checked) and SQLite (one writer) alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Engine, case, func, update
from sqlmodel import Session, col, select

import marc
from services.exchange.models import FundItem, Reservation
from services.exchange.problems import Problem
from services.exchange.schemas.common import Page
from services.exchange.schemas.fund import DepositIn, FundItemOut
from services.exchange.service import audit, wish_matching
from services.exchange.service.list_orders import FUND_COLUMNS
from services.exchange.service.sorting import Sort, order_by
from services.exchange.storage.db import session_scope

if TYPE_CHECKING:
    from services.exchange.service.keys import Caller

HELD = "held"
RELEASED = "released"
CONSUMED = "consumed"


class FundError(Exception):
    """A reservation that cannot be made; ``kind`` is unknown-item or insufficient-copies."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Wanted:
    line_id: str
    position: int
    fund_item_id: int
    copies: int


def _available() -> ColumnElement[int]:
    return (
        col(FundItem.copies_received)
        - col(FundItem.copies_retained)
        - col(FundItem.copies_reserved)
        - col(FundItem.copies_shipped)
    )


def reserve(session: Session, exchange_id: str, wanted: list[Wanted]) -> None:
    """Hold copies for each line, or raise FundError and let the caller roll back."""
    for w in sorted(wanted, key=lambda w: (w.fund_item_id, w.position)):
        result = session.execute(
            update(FundItem)
            .where(col(FundItem.id) == w.fund_item_id, _available() >= w.copies)
            .values(copies_reserved=col(FundItem.copies_reserved) + w.copies)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            item = session.get(FundItem, w.fund_item_id)
            if item is None:
                raise FundError(
                    "unknown-fund-item",
                    f"line {w.position}: record_id {w.fund_item_id} is not in the exchange fund",
                )
            session.refresh(item)
            raise FundError(
                "insufficient-copies",
                f"line {w.position}: {w.copies} copies of '{item.title}' wanted, "
                f"{available_copies(item)} available",
            )
        session.add(
            Reservation(
                fund_item_id=w.fund_item_id,
                exchange_id=exchange_id,
                line_id=w.line_id,
                copies=w.copies,
                state=HELD,
            )
        )


def _held(session: Session, exchange_id: str, line_id: str | None = None) -> list[Reservation]:
    query = select(Reservation).where(
        col(Reservation.exchange_id) == exchange_id, col(Reservation.state) == HELD
    )
    if line_id is not None:
        query = query.where(col(Reservation.line_id) == line_id)
    return list(
        session.scalars(
            query.order_by(col(Reservation.fund_item_id), col(Reservation.id)).with_for_update()
        )
    )


def held_copies(session: Session, exchange_id: str, line_id: str) -> int:
    """Copies held for one line of the exchange (after shipping: for a resend)."""
    return sum(r.copies for r in _held(session, exchange_id, line_id))


def _unreserve(session: Session, item_id: int, copies: int, shipped: int = 0) -> None:
    session.execute(
        update(FundItem)
        .where(col(FundItem.id) == item_id)
        .values(
            copies_reserved=col(FundItem.copies_reserved) - copies,
            copies_shipped=col(FundItem.copies_shipped) + shipped,
        )
    )


def release(
    session: Session,
    exchange_id: str,
    keep: dict[str, int] | None = None,
    line_id: str | None = None,
) -> None:
    """Give back held copies: all of them (of ``line_id`` only, if given), or what exceeds
    ``keep`` (accepted copies per line)."""
    for r in _held(session, exchange_id, line_id):
        kept = min(r.copies, keep.get(r.line_id, 0)) if keep is not None else 0
        if r.copies - kept:
            _unreserve(session, r.fund_item_id, r.copies - kept)
        if kept == 0:
            r.state = RELEASED
        else:
            r.copies = kept
        session.add(r)


def consume(session: Session, exchange_id: str, line_id: str | None = None) -> int:
    """The held copies left in the parcel (of ``line_id`` only, if given): they are no longer
    in the fund. Returns how many."""
    taken = 0
    for r in _held(session, exchange_id, line_id):
        _unreserve(session, r.fund_item_id, r.copies, shipped=r.copies)
        r.state = CONSUMED
        session.add(r)
        taken += r.copies
    return taken


def take_out(session: Session, exchange_id: str, line_id: str, item_id: int, copies: int) -> bool:
    """Copies leave the fund without a hold first, if it still has them: False, and nothing
    changed, if it has fewer."""
    result = session.execute(
        update(FundItem)
        .where(col(FundItem.id) == item_id, _available() >= copies)
        .values(copies_shipped=col(FundItem.copies_shipped) + copies)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        Reservation(
            fund_item_id=item_id,
            exchange_id=exchange_id,
            line_id=line_id,
            copies=copies,
            state=CONSUMED,
        )
    )
    return True


def available_copies(item: FundItem) -> int:
    return max(
        0,
        item.copies_received - item.copies_retained - item.copies_reserved - item.copies_shipped,
    )


def _out(item: FundItem) -> FundItemOut:
    return FundItemOut.model_validate(
        {**item.model_dump(exclude={"marc"}), "copies_available": available_copies(item)}
    )


def deposit(
    engine: Engine, body: DepositIn, retention: int, caller: Caller | None = None
) -> tuple[FundItemOut, bool]:
    """Register deposited copies; the same publication deposited again adds to its record.
    The audit entry (in the same transaction) names the copies and the counters before and
    after."""
    isbn = marc.normalise_isbn(body.isbn) if body.isbn else None
    issn = marc.normalise_issn(body.issn) if body.issn else None
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        match = None
        for column, value in (
            (FundItem.isbn, isbn),
            (FundItem.issn, issn),
            (FundItem.control_number, body.control_number),
        ):
            if value:
                match = session.scalars(
                    select(FundItem).where(col(column) == value).order_by(col(FundItem.id))
                ).first()
                if match is not None:
                    break
        if match is None:
            item = FundItem(
                title=body.title,
                isbn=isbn,
                issn=issn,
                control_number=body.control_number,
                author=body.author,
                publisher=body.publisher,
                year=body.year,
                copies_received=body.copies,
                copies_retained=min(body.copies, retention),
                created_at=now,
                updated_at=now,
            )
            session.add(item)
            session.flush()
            after = audit.snapshot(item, copies_deposited=body.copies)
            key = str(item.id)
            audit.changed(session, caller, audit.DEPOSIT, key, audit.DEPOSITED, after=after)
            wish_matching.match_deposit(session, item.id or 0)  # partners' wishes it meets
            return _out(item), True
        before = audit.snapshot(match)
        total = col(FundItem.copies_received) + body.copies
        session.execute(
            update(FundItem)
            .where(col(FundItem.id) == match.id)
            .values(
                copies_received=total,
                copies_retained=case((total >= retention, retention), else_=total),
                updated_at=now,
            )
        )
        session.refresh(match)
        after = audit.snapshot(match, copies_deposited=body.copies)
        audit.changed(session, caller, audit.DEPOSIT, str(match.id), audit.DEPOSITED, before, after)
        wish_matching.match_deposit(session, match.id or 0)
        return _out(match), False


def list_fund(
    engine: Engine,
    *,
    q: str | None,
    isbn: str | None,
    available_only: bool,
    limit: int,
    offset: int,
    issn: str | None = None,
    sort: Sort | None = None,
) -> Page[FundItemOut]:
    """A page of the fund, by title unless ``sort`` names a column of ``FUND_SORTABLE``."""
    query = select(FundItem)
    if available_only:
        query = query.where(_available() > 0)
    if isbn:
        wanted = marc.normalise_isbn(isbn)
        if wanted is None:
            raise Problem(422, "validation-error", f"isbn: {isbn!r} is not an ISBN")
        query = query.where(col(FundItem.isbn) == wanted)
    if issn:
        wanted = marc.normalise_issn(issn)
        if wanted is None:
            raise Problem(422, "validation-error", f"issn: {issn!r} is not an ISSN")
        query = query.where(col(FundItem.issn) == wanted)
    for word in (q or "").split():
        pattern = f"%{word}%"
        query = query.where(
            col(FundItem.title).ilike(pattern) | col(FundItem.author).ilike(pattern)
        )
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        columns = {**FUND_COLUMNS, "available": _available()}
        ordered = order_by(columns, sort, [col(FundItem.title)], col(FundItem.id))
        rows = session.scalars(query.order_by(*ordered).limit(limit).offset(offset))
        return Page(items=[_out(i) for i in rows], total=total, limit=limit, offset=offset)


_ISSN_TYPED = re.compile(r"(?:ISSN\s*:?\s*)?[0-9]{4}[\s-]?[0-9]{3}[0-9X]", re.IGNORECASE)
_ISBN_PREFIX = re.compile(r"^ISBN(?:[\s-]*1[03])?\s*:?\s*", re.IGNORECASE)
_ISBN_TYPED = re.compile(r"[0-9][0-9\s-]{8,16}[0-9X]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a search box held: an ISBN, an ISSN, or words of the title or author."""

    isbn: str | None = None
    issn: str | None = None
    words: str | None = None


def search_terms(text: str | None) -> SearchTerms:
    """Read a search box as a librarian types into it.

    A box holding only an ISBN (10 or 13 digits, with or without hyphens or spaces, "ISBN"
    before it or not) or only an ISSN (NNNN-NNNX) looks the publication up by that number,
    normalised as deposits store it; anything else is words of the title or author.
    """
    typed = (text or "").strip()
    if not typed:
        return SearchTerms()
    if _ISSN_TYPED.fullmatch(typed):
        issn = marc.normalise_issn(typed)
        if issn is not None:
            return SearchTerms(issn=issn)
    number = _ISBN_PREFIX.sub("", typed)
    if _ISBN_TYPED.fullmatch(number):
        digits = re.sub(r"[^0-9X]", "", number.upper())
        isbn = marc.normalise_isbn(digits) if len(digits) in (10, 13) else None
        if isbn is not None:
            return SearchTerms(isbn=isbn)
    return SearchTerms(words=typed)


def search(
    engine: Engine,
    text: str | None,
    *,
    available_only: bool,
    limit: int,
    offset: int,
    sort: Sort | None = None,
) -> Page[FundItemOut]:
    """The fund as a search box finds it: the fund page and the proposal page both use this."""
    terms = search_terms(text)
    return list_fund(
        engine,
        q=terms.words,
        isbn=terms.isbn,
        issn=terms.issn,
        available_only=available_only,
        limit=limit,
        offset=offset,
        sort=sort,
    )


def items(engine: Engine, ids: list[int]) -> list[FundItemOut]:
    """Fund items by id, in the order asked; unknown ids are left out."""
    with Session(engine) as session:
        found = {
            item.id: _out(item)
            for item in session.scalars(select(FundItem).where(col(FundItem.id).in_(ids)))
        }
    return [found[i] for i in ids if i in found]
