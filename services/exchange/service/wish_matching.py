"""Wish lists matched against what is offered: a published list, or a deposit in the fund.

An offered item meets a wish by the import's rules (``service/matching.py``, one place for
them): the same ISBN (ISBN-10 and ISBN-13 of a book are one), the same ISSN, or else the same
normalised title, with the author's surname when both name one. A title does not match across
standard numbers: an item whose ISBN (ISSN) differs from the wish's is another edition
(another serial). A wish for a range of a serial's volumes or years ("vols 12-18",
"2019-2023", with a hyphen or an en dash) is met only by an item whose year, or a volume
number its title or edition states ("Vol. 15", "т. 15", "Jilid 15"), lies in the range; an
item that states neither does not meet it (the wish asks for particular volumes). A wish
without a range is met by any.

Each match is one ``wish_hit`` row, written once (its unique constraints and ``ON CONFLICT DO
NOTHING``), so matching a list or a deposit again finds only what is new; the counts returned
are the new items per partner (None: ours), which the notices tell ("3 items from your wish
list are offered": ``wishes.notify_list``, ``wishes.notify_deposit``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

import marc
from services.exchange.models import FundItem
from services.exchange.offer_models import (
    OfferItem,
    OfferList,
    OfferListAddressee,
    WishHit,
    WishItem,
)
from services.exchange.service.matching import normalise_title, surname

ISBN_MATCH, ISSN_MATCH, TITLE_MATCH = "isbn", "issn", "title"
_HITS: Table = SQLModel.metadata.tables[str(WishHit.__tablename__)]

# --- the range of a serial ----------------------------------------------------------------

_NUMBER_RANGE = re.compile(r"(?<![0-9])([0-9]{1,6})(?:\s*([-–—])\s*([0-9]{1,6})?)?(?![0-9])")
# A volume number as titles and editions state it, in the languages of our partners.
_VOLUME_MARK = re.compile(
    r"(?:^|(?<=[\s.,;:(\[]))(?:vols?|volume|v|t|tom|том|т|вып|jilid|jld|bd|band)\.?\s*"
    r"([0-9]{1,4})(?:\s*[-–]\s*([0-9]{1,4}))?(?![0-9])",
    re.IGNORECASE,
)
FIRST_YEAR, LAST_YEAR = 1400, 2200
_MAX_SPAN = 500


def _is_year(n: int) -> bool:
    return FIRST_YEAR <= n <= LAST_YEAR


def parse_volumes(text: str | None) -> tuple[int | None, int | None, int | None, int | None]:
    """(volume_from, volume_to, year_from, year_to) of a range as a librarian types it.

    "vols 12-18", "v. 12-18" and "12" are volumes; "2019-2023", "2019-" (open: from 2019)
    and "2019-23" are years (a four-digit number from 1400 to 2200 is a year); an en dash
    is read as a hyphen. Text with both ("vols 12-18 (2019-2023)") gives both; text with no
    number gives none (the wish is for any volume).
    """
    volumes: tuple[int | None, int | None] = (None, None)
    years: tuple[int | None, int | None] = (None, None)
    for found in _NUMBER_RANGE.finditer(text or ""):
        first, dash, last_text = found.groups()
        start = int(first)
        end: int | None = start if not dash else (int(last_text) if last_text else None)
        if _is_year(start):
            if end is not None and end < 100 and len(last_text or "") == 2:
                end = start // 100 * 100 + end  # "2019–23"
            if years == (None, None):
                years = (start, end)
        elif volumes == (None, None):
            volumes = (start, end)
    return volumes[0], volumes[1], years[0], years[1]


def stated_volumes(*texts: str | None) -> set[int]:
    """Volume numbers an item's title or edition states ("Vol. 15", "т. 3-4")."""
    numbers: set[int] = set()
    for text in texts:
        for found in _VOLUME_MARK.finditer(text or ""):
            first = int(found.group(1))
            last = int(found.group(2)) if found.group(2) else first
            if first <= last <= first + _MAX_SPAN:
                numbers.update(range(first, last + 1))
    return numbers


def _within(n: int, low: int | None, high: int | None) -> bool:
    return (low is None or n >= low) and (high is None or n <= high)


@dataclass(frozen=True, slots=True)
class Wish:
    """A wish as matching reads it (a plain copy: the deposits' index outlives sessions)."""

    id: int
    partner_id: int | None
    isbn: str | None  # normalised
    issn: str | None
    title: str | None
    author: str | None
    volume_from: int | None = None
    volume_to: int | None = None
    year_from: int | None = None
    year_to: int | None = None

    @classmethod
    def of(cls, row: WishItem) -> Wish:
        return cls(
            id=row.id or 0,
            partner_id=row.partner_id,
            isbn=marc.normalise_isbn(row.isbn) if row.isbn else None,
            issn=marc.normalise_issn(row.issn) if row.issn else None,
            title=row.title,
            author=row.author,
            volume_from=row.volume_from,
            volume_to=row.volume_to,
            year_from=row.year_from,
            year_to=row.year_to,
        )


def in_range(wish: Wish, year: int | None, volumes: set[int]) -> bool:
    """Whether an item with this year and these volumes meets the wish's range (if it has one)."""
    has_years = wish.year_from is not None or wish.year_to is not None
    has_volumes = wish.volume_from is not None or wish.volume_to is not None
    if not (has_years or has_volumes):
        return True
    if has_years and year is not None and _within(year, wish.year_from, wish.year_to):
        return True
    return has_volumes and any(_within(v, wish.volume_from, wish.volume_to) for v in volumes)


# --- items against wishes -----------------------------------------------------------------

_TITLE_END = re.compile(r"\s+[:/=;]\s")


def title_keys(title: str | None) -> set[str]:
    """The normalised forms of a title a wish may name: the whole, its title proper (before
    " : ", " / ", " = ", " ; "), and what comes before a volume number ("Vol. 15")."""
    if not title:
        return set()
    forms = {title, _TITLE_END.split(title, maxsplit=1)[0]}
    mark = _VOLUME_MARK.search(title)
    if mark is not None and mark.start() > 0:
        forms.add(title[: mark.start()])
    return {key for key in (normalise_title(form) for form in forms) if key}


@dataclass(frozen=True, slots=True)
class Offered:
    """What matching reads of an offered item or a deposit."""

    isbn: str | None
    issn: str | None
    title: str | None
    author: str | None
    year: int | None
    edition: str | None = None


@dataclass(slots=True)
class WishIndex:
    """The wishes of the parties concerned, by normalised ISBN, ISSN and title keys."""

    by_isbn: dict[str, list[Wish]] = field(default_factory=lambda: defaultdict(list))
    by_issn: dict[str, list[Wish]] = field(default_factory=lambda: defaultdict(list))
    by_title: dict[str, list[Wish]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, rows: Iterable[WishItem]) -> WishIndex:
        index = cls()
        for wish in (Wish.of(row) for row in rows):
            if wish.isbn:
                index.by_isbn[wish.isbn].append(wish)
            if wish.issn:
                index.by_issn[wish.issn].append(wish)
            for key in title_keys(wish.title):
                index.by_title[key].append(wish)
        return index

    def matches(self, item: Offered) -> dict[int, tuple[Wish, str]]:
        """The wishes the item meets, by wish id, each with the point that matched first."""
        isbn = marc.normalise_isbn(item.isbn) if item.isbn else None
        issn = marc.normalise_issn(item.issn) if item.issn else None
        volumes = stated_volumes(item.title, item.edition)
        found: dict[int, tuple[Wish, str]] = {}

        def take(wishes: Iterable[Wish], point: str) -> None:
            for wish in wishes:
                if wish.id not in found and in_range(wish, item.year, volumes):
                    found[wish.id] = (wish, point)

        take(self.by_isbn.get(isbn, []) if isbn else [], ISBN_MATCH)
        take(self.by_issn.get(issn, []) if issn else [], ISSN_MATCH)
        author = surname(item.author)
        titled: dict[int, Wish] = {}
        for key in title_keys(item.title):
            for wish in self.by_title.get(key, []):
                titled[wish.id] = wish
        take((w for w in titled.values() if _title_may_match(w, isbn, issn, author)), TITLE_MATCH)
        return found


def _title_may_match(wish: Wish, isbn: str | None, issn: str | None, author: str) -> bool:
    """A title meets a wish unless a standard number or the author says it is another."""
    if isbn and wish.isbn and wish.isbn != isbn:
        return False
    if issn and wish.issn and wish.issn != issn:
        return False
    wanted = surname(wish.author)
    return not (wanted and author and wanted != author)


def _insert_hits(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write the hits; one that exists already (a race, or a second run) is left as it is."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Many rows at once: SQLAlchemy batches them into multi-row statements ("insertmanyvalues")
    # within each database's bound on parameters.
    session.execute(dialect.insert(_HITS).on_conflict_do_nothing(), rows)


def _new_counts(rows: list[dict[str, Any]], item_key: str) -> dict[int | None, int]:
    """New offered items per party (an item meeting two wishes of one party counts once)."""
    items: dict[int | None, set[int]] = defaultdict(set)
    for row in rows:
        items[row["partner_id"]].add(row[item_key])
    return {party: len(ids) for party, ids in items.items()}


def match_list(session: Session, list_id: str) -> dict[int | None, int]:
    """Mark the list's items that its readers wish for; new items per partner (None: ours).

    An outgoing list (ours) meets the wishes of its addressees, an incoming one (a partner's)
    ours. Run when the list is published, in that transaction; again finds only what is new.
    """
    offer_list = session.get(OfferList, list_id)
    if offer_list is None:
        return {}
    query = select(WishItem)
    if offer_list.direction == "outgoing":
        addressees = select(col(OfferListAddressee.partner_id)).where(
            col(OfferListAddressee.list_id) == list_id
        )
        query = query.where(col(WishItem.partner_id).in_(addressees))
    else:
        query = query.where(col(WishItem.partner_id).is_(None))
    index = WishIndex.of(session.scalars(query.order_by(col(WishItem.id))))
    if not (index.by_isbn or index.by_issn or index.by_title):
        return {}
    seen = set(
        session.execute(
            select(col(WishHit.wish_item_id), col(WishHit.offer_item_id)).where(
                col(WishHit.list_id) == list_id
            )
        )
    )
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    items = session.scalars(
        select(OfferItem).where(col(OfferItem.list_id) == list_id).order_by(col(OfferItem.id))
    )
    for item in items:
        offered = Offered(item.isbn, item.issn, item.title, item.author, item.year, item.edition)
        for wish_id, (wish, point) in index.matches(offered).items():
            if (wish_id, item.id) not in seen:
                rows.append(_hit(wish, point, now, offer_item_id=item.id, list_id=list_id))
    _insert_hits(session, rows)
    return _new_counts(rows, "offer_item_id")


# The partners' wishes with a title, indexed once per process and database, and again only
# when they change: uploading a file deposits its lines one by one, each matched in its own
# transaction. Wishes are added and removed, never changed, so their count, highest id and
# newest time say whether the index still holds (SQLite may give a removed newest id again).
_TITLED: dict[str, tuple[tuple[int, int | None, str], WishIndex]] = {}


def _titled_index(session: Session) -> WishIndex:
    titled = (col(WishItem.partner_id).is_not(None), col(WishItem.title).is_not(None))
    count, highest, newest = session.execute(
        select(func.count(), func.max(col(WishItem.id)), func.max(col(WishItem.created_at))).where(
            *titled
        )
    ).one()
    signature = (int(count), highest, str(newest))
    where = str(session.get_bind().engine.url)
    cached = _TITLED.get(where)
    if cached is not None and cached[0] == signature:
        return cached[1]
    index = WishIndex.of(session.scalars(select(WishItem).where(*titled)))
    _TITLED[where] = (signature, index)
    return index


def match_deposit(session: Session, fund_item_id: int) -> dict[int, int]:
    """Mark the deposit for the partners that wish for it; new hits per partner id.

    Run in the deposit's transaction. The wishes with its ISBN or ISSN are read for it; those
    with a title come from an index kept while they do not change (titles are compared
    normalised, in Python).
    """
    item = session.get(FundItem, fund_item_id)
    if item is None:
        return {}
    numbers = [col(WishItem.isbn) == item.isbn] if item.isbn else []
    numbers += [col(WishItem.issn) == item.issn] if item.issn else []
    offered = Offered(item.isbn, item.issn, item.title, item.author, item.year)
    met = _titled_index(session).matches(offered)
    if numbers:
        by_number = session.scalars(
            select(WishItem).where(col(WishItem.partner_id).is_not(None), or_(*numbers))
        )
        met = {**met, **WishIndex.of(by_number).matches(offered)}
    seen = set(
        session.scalars(
            select(col(WishHit.wish_item_id)).where(col(WishHit.fund_item_id) == fund_item_id)
        )
    )
    now = datetime.now(UTC)
    rows = [
        _hit(wish, point, now, fund_item_id=fund_item_id)
        for wish_id, (wish, point) in sorted(met.items())
        if wish_id not in seen
    ]
    _insert_hits(session, rows)
    return {party: n for party, n in _new_counts(rows, "wish_item_id").items() if party}


def _hit(wish: Wish, point: str, now: datetime, **where: object) -> dict[str, Any]:
    return {
        "wish_item_id": wish.id,
        "partner_id": wish.partner_id,
        "offer_item_id": where.get("offer_item_id"),
        "fund_item_id": where.get("fund_item_id"),
        "list_id": where.get("list_id"),
        "match": point,
        "notified": False,
        "created_at": now,
    }


def wished_item_ids(session: Session, list_id: str, partner_id: int | None) -> set[int]:
    """The items of the list on the reader's wish list (``partner_id`` None: ours)."""
    whose = (
        col(WishHit.partner_id).is_(None)
        if partner_id is None
        else col(WishHit.partner_id) == partner_id
    )
    return {
        item_id
        for item_id in session.scalars(
            select(col(WishHit.offer_item_id)).where(col(WishHit.list_id) == list_id, whose)
        )
        if item_id is not None
    }


def hit_counts(session: Session, wish_ids: list[int]) -> dict[int, int]:
    """How many offered items and deposits met each wish."""
    if not wish_ids:
        return {}
    rows = session.execute(
        select(col(WishHit.wish_item_id), func.count())
        .where(col(WishHit.wish_item_id).in_(wish_ids))
        .group_by(col(WishHit.wish_item_id))
    )
    return {wish_id: int(n) for wish_id, n in rows}
