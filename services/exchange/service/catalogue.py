"""The catalogue as staff look it up: search, who may see which record, and exports.

One search serves the catalogue page, its exports and ``GET /api/v1/records``: the same
terms find the same records in the same order, whichever way they are read. Identifiers are
compared in their normalised form (the ``record_key`` index the import writes), so an ISBN
is found with or without hyphens, as ISBN-10 or ISBN-13.

Who sees a record (``record_scope``) is one rule for the list, the record and its exports:
staff see the whole catalogue; a partner only the records its own exchanges brought in or
added holdings to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, Select, and_, exists, func, or_, true
from sqlmodel import Session, col, select

import marc
from services.exchange.models import (
    CatalogueRecord,
    Exchange,
    ImportOutcome,
    MarcBatch,
    RecordHistory,
    RecordKey,
)
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.common import Page
from services.exchange.schemas.marc import RecordOut
from services.exchange.service import batch_states as bs
from services.exchange.service.keys import Caller

Sort = Literal["title", "author", "year", "control_number", "newest"]
SORTS: tuple[Sort, ...] = ("title", "author", "year", "control_number", "newest")
_COMPACT = re.compile(r"[\s\-]+")
# What ties a record to a batch: a change the commit made (``record_history``), or what the
# commit did to a record (``applied``), or, for outcomes written before staged imports, the
# outcome itself (they said "created" and "merged").
_BROUGHT_IN = (bs.HISTORY_IMPORTED, bs.HISTORY_MERGED, bs.HISTORY_REPLACED)
_CATALOGUED = (bs.CREATED, bs.MERGED, bs.REPLACED)


def reached_catalogue() -> ColumnElement[bool]:
    """An import outcome that wrote its record to the catalogue (and was not undone)."""
    return and_(
        or_(
            col(ImportOutcome.applied).in_(_CATALOGUED),
            and_(
                col(ImportOutcome.applied).is_(None),
                col(ImportOutcome.outcome).in_(_CATALOGUED),
            ),
        ),
        col(ImportOutcome.undone).is_(None),
    )


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a cataloguer asks the catalogue: every term given must hold (AND)."""

    title: str | None = None
    author: str | None = None
    number: str | None = None  # an ISBN or ISSN, as typed
    control_number: str | None = None
    year: int | None = None
    sort: Sort = "title"
    descending: bool = False

    @property
    def empty(self) -> bool:
        return not (self.title or self.author or self.number or self.control_number or self.year)


@dataclass(frozen=True, slots=True)
class Found:
    """One record in a result list: enough to recognise it."""

    id: int
    title: str | None
    author: str | None
    year: str | None
    isbn: str | None
    issn: str | None
    control_number: str | None
    holdings: int


# --- who sees what ------------------------------------------------------------------------


def record_scope(caller: Caller) -> ColumnElement[bool]:
    """The records a caller may see: all for staff; for a partner, those of its exchanges.

    A record is a partner's when one of its exchanges' batches created it, merged into it or
    replaced it.
    """
    if caller.is_staff:
        return true()
    own_exchanges = select(col(Exchange.id)).where(col(Exchange.partner_id) == caller.partner_id)
    own_batches = select(col(MarcBatch.id)).where(
        col(MarcBatch.exchange_id).in_(own_exchanges), col(MarcBatch.dry_run).is_(False)
    )
    committed = exists(
        select(col(RecordHistory.id)).where(
            col(RecordHistory.record_id) == col(CatalogueRecord.id),
            col(RecordHistory.action).in_(_BROUGHT_IN),
            col(RecordHistory.exchange_id).in_(own_exchanges),
        )
    )
    by_outcome = exists(
        select(col(ImportOutcome.id)).where(
            col(ImportOutcome.record_id) == col(CatalogueRecord.id),
            reached_catalogue(),
            col(ImportOutcome.batch_id).in_(own_batches),
        )
    )
    return or_(col(CatalogueRecord.exchange_id).in_(own_exchanges), committed, by_outcome)


def visible_record(session: Session, caller: Caller, record_id: int) -> CatalogueRecord:
    """The record if the caller may see it; otherwise it does not exist for them."""
    found = session.exec(
        select(CatalogueRecord).where(col(CatalogueRecord.id) == record_id, record_scope(caller))
    ).first()
    if found is None:
        raise not_found(f"catalogue record {record_id}")
    return found


# --- searching ----------------------------------------------------------------------------


def number_keys(text: str) -> list[str]:
    """The ``record_key`` keys an ISBN or ISSN typed any way stands for; [] if it is neither.

    Eight characters without spaces and hyphens are an ISSN; otherwise the first ISBN in the
    text (an ISBN-10 as its ISBN-13), else the first ISSN. An ISSN is tried last because its
    pattern also fits inside a hyphenated ISBN.
    """
    compact = _COMPACT.sub("", text).upper()
    if len(compact) == 8 and (issn := marc.normalise_issn(compact)):
        return [f"issn:{issn}"]
    if isbn := marc.normalise_isbn(text):
        return [f"isbn:{isbn}"]
    issn = marc.normalise_issn(text)
    return [f"issn:{issn}"] if issn else []


def _word_variants(word: str) -> list[str]:
    """A word as typed and in lower, upper and title case.

    PostgreSQL's ILIKE folds case in every script; SQLite's only in ASCII, so "светильник"
    would miss "Светильник" there. Trying the usual cases finds what a person would expect.
    """
    return list(dict.fromkeys((word, word.lower(), word.upper(), word.capitalize())))


def _contains_words(column: Any, text: str) -> list[ColumnElement[bool]]:
    conditions = []
    for word in text.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(*(column.ilike(f"%{variant}%", escape="\\") for variant in _word_variants(escaped)))
        )
    return conditions


def _has_key(keys: list[str]) -> ColumnElement[bool]:
    return exists(
        select(col(RecordKey.id)).where(
            col(RecordKey.record_id) == col(CatalogueRecord.id), col(RecordKey.key).in_(keys)
        )
    )


def _conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.title:
        conditions += _contains_words(col(CatalogueRecord.title), query.title)
    if query.author:
        conditions += _contains_words(col(CatalogueRecord.author), query.author)
    if query.number:
        keys = number_keys(query.number)
        if not keys:
            raise Problem(
                422,
                "validation-error",
                f"number: {query.number!r} is not an ISBN (10 or 13 digits) or an ISSN (8)",
            )
        first = keys[0].partition(":")[2]
        column = CatalogueRecord.isbn if keys[0].startswith("isbn:") else CatalogueRecord.issn
        conditions.append(or_(col(column) == first, _has_key(keys)))
    if query.control_number:
        wanted = query.control_number.strip()
        system = marc.normalise_system_number(wanted)
        by_key = [_has_key([f"sys:{system}"])] if system else []
        conditions.append(or_(col(CatalogueRecord.control_number) == wanted, *by_key))
    if query.year is not None:
        conditions.append(col(CatalogueRecord.year) == str(query.year))
    return conditions


def _ordered(statement: Select[Any], query: SearchQuery) -> Select[Any]:
    """The chosen order (titles and authors without regard to case), empty values last, then
    by id so that pages never overlap."""
    if query.sort == "newest":
        return statement.order_by(col(CatalogueRecord.id).desc())
    column = {
        "title": func.lower(col(CatalogueRecord.title)),
        "author": func.lower(col(CatalogueRecord.author)),
        "year": col(CatalogueRecord.year),
        "control_number": col(CatalogueRecord.control_number),
    }[query.sort]
    direction = column.desc() if query.descending else column.asc()
    return statement.order_by(direction.nulls_last(), col(CatalogueRecord.id))


def _matching(caller: Caller, query: SearchQuery) -> ColumnElement[bool]:
    return and_(record_scope(caller), *_conditions(query))


def search(
    engine: Engine, caller: Caller, query: SearchQuery, *, limit: int, offset: int
) -> tuple[list[Found], int]:
    """A page of the records the query finds, and how many it finds in all."""
    where = _matching(caller, query)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(CatalogueRecord).where(where)).one()
        rows: Iterable[CatalogueRecord] = session.scalars(
            _ordered(select(CatalogueRecord), query).where(where).limit(limit).offset(offset)
        )
        found = [
            Found(
                id=r.id or 0,
                title=r.title,
                author=r.author,
                year=r.year,
                isbn=r.isbn,
                issn=r.issn,
                control_number=r.control_number,
                holdings=r.holdings,
            )
            for r in rows
        ]
    return found, total


def list_records(
    engine: Engine,
    caller: Caller,
    *,
    isbn: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> Page[RecordOut]:
    """``GET /api/v1/records``: title words and an ISBN, in the order records were added."""
    if isbn and marc.normalise_isbn(isbn) is None:
        raise Problem(422, "validation-error", f"isbn: {isbn!r} is not an ISBN")
    query = SearchQuery(title=q, number=isbn, sort="newest")
    where = _matching(caller, query)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(CatalogueRecord).where(where)).one()
        rows = session.exec(
            select(CatalogueRecord)
            .where(where)
            .order_by(col(CatalogueRecord.id))
            .limit(limit)
            .offset(offset)
        )
        items = [RecordOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def check_query(query: SearchQuery) -> None:
    """Refuse a query that cannot be run (an ISBN that is not one) before a download starts."""
    _conditions(query)


def export(engine: Engine, caller: Caller, query: SearchQuery) -> Iterator[bytes]:
    """Every record the query finds, in the page's order, as stored MARC 21 (streamed).

    Call ``check_query`` first: an error inside a started download cannot become a problem.
    """
    statement = _ordered(select(CatalogueRecord.marc), query).where(_matching(caller, query))
    with Session(engine) as session:
        for data in session.scalars(statement.execution_options(yield_per=500)):
            yield bytes(data)


def titles(engine: Engine, caller: Caller, ids: Iterable[int]) -> dict[int, str | None]:
    """The titles of the given records the caller may see (for lists of candidates)."""
    wanted = sorted(set(ids))
    found: dict[int, str | None] = {}
    with Session(engine) as session:
        for start in range(0, len(wanted), 500):
            rows = session.execute(
                select(col(CatalogueRecord.id), col(CatalogueRecord.title)).where(
                    col(CatalogueRecord.id).in_(wanted[start : start + 500]), record_scope(caller)
                )
            )
            found.update({record_id: title for record_id, title in rows})
    return found
