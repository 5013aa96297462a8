"""What our catalogue already holds of the items a partner offers (the holdings check).

Staff select from a partner's list knowing, per item, how many copies we hold and how sure
that is. The keys are the MARC import's (``service/matching.py``, one place for the rules),
looked up in ``record_key``:

- exact: the item's ISBN (ISBN-10 and -13 alike), ISSN, or control number: a 035-style
  "(agency)number", or a bare number, which is the offering partner's own (its ISIL, else
  ``partner:CODE``, as the import keys a partner's 001);
- possible: its normalised title proper, author's surname and year (the import's review key
  ``tay:``), asked only when nothing exact was found. The import stores that key only for
  records without ISBN or ISSN, so "possible" finds the records that could be this item
  without a standard number to tell; a catalogue record with another ISBN is another
  edition and is not counted.

``held_copies`` is the sum of the holdings of the records found (each record once), exact
beating possible; ``held_record_id`` is the first record found (the lowest id of the first
point that found any), so staff can open it. The look-ups are in bulk: one query per chunk of
keys for all the items of a list (a list can have 5,000 items), never one per item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

import marc
from services.exchange.models import CatalogueRecord, Partner, RecordKey
from services.exchange.offer_models import OfferItem, OfferList
from services.exchange.service.import_sources import control_agency
from services.exchange.service.matching import (
    CONTROL,
    ISBN,
    ISSN,
    SYSTEM,
    control_key,
    review_keys,
)

EXACT, POSSIBLE = "exact", "possible"
_CHUNK = 500
_TITLE_END = (" : ", " / ", " = ", " ; ")


def _title_proper(title: str) -> str:
    """The title before its subtitle or statement of responsibility, as ISBD punctuates."""
    cut = min((i for i in (title.find(end) for end in _TITLE_END) if i > 0), default=len(title))
    return title[:cut]


def exact_keys(item: OfferItem, agency: str | None) -> list[str]:
    """The item's identity keys, in the import's order of points."""
    keys: list[str] = []
    isbn = marc.normalise_isbn(item.isbn) if item.isbn else None
    if isbn:
        keys.append(ISBN + isbn)
    issn = marc.normalise_issn(item.issn) if item.issn else None
    if issn:
        keys.append(ISSN + issn)
    number = (item.control_number or "").strip()
    if number:
        system = marc.normalise_system_number(number)
        if system and system.startswith("("):
            keys.append(SYSTEM + system)
            source, _, rest = system[1:].partition(")")
            if source and rest:
                keys.append(f"{CONTROL}{source}|{rest}")
        elif agency:
            key = control_key(agency, number)
            if key:
                keys.append(key)
    return keys


def possible_keys(item: OfferItem) -> list[str]:
    """The item's title + author + year key, made as the import makes a record's."""
    if not (item.title and item.author and item.year):
        return []
    index = marc.RecordIndex(
        control_number=None,
        title=item.title,
        isbn=None,
        issn=None,
        author=item.author,
        year=str(item.year),
        title_proper=_title_proper(item.title),
    )
    return review_keys(index, None)


def _records_by_key(session: Session, keys: Iterable[str]) -> dict[str, set[int]]:
    wanted = sorted(set(keys))
    found: dict[str, set[int]] = defaultdict(set)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.execute(
            select(col(RecordKey.key), col(RecordKey.record_id)).where(
                col(RecordKey.key).in_(chunk)
            )
        )
        for key, record_id in rows:
            found[key].add(record_id)
    return found


def _holdings(session: Session, ids: Iterable[int]) -> dict[int, int]:
    wanted = sorted(set(ids))
    held: dict[int, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.execute(
            select(col(CatalogueRecord.id), col(CatalogueRecord.holdings)).where(
                col(CatalogueRecord.id).in_(chunk)
            )
        )
        held.update({record_id: holdings for record_id, holdings in rows if record_id})
    return held


def _agency(session: Session, items: list[OfferItem]) -> str | None:
    """Whose bare control numbers the items carry: the offering partner's (incoming lists)."""
    offer_list = session.get(OfferList, items[0].list_id)
    if offer_list is None or offer_list.partner_id is None:
        return None
    partner = session.get(Partner, offer_list.partner_id)
    return control_agency(partner) if partner is not None else None


def _first(keys: list[str], by_key: dict[str, set[int]]) -> list[int]:
    """The records the keys find: those of the first key that finds any first, in id order."""
    ordered: list[int] = []
    for key in keys:
        for record_id in sorted(by_key.get(key, ())):
            if record_id not in ordered:
                ordered.append(record_id)
    return ordered


def check_items(session: Session, items: list[OfferItem]) -> None:
    """Fill ``held_copies``, ``held_match`` and ``held_record_id`` of each item (added to the
    session; the caller commits). Items of one list; nothing held gives 0 and None."""
    if not items:
        return
    agency = _agency(session, items)
    exact = {id(item): exact_keys(item, agency) for item in items}
    by_key = _records_by_key(session, (k for keys in exact.values() for k in keys))
    unmatched = [item for item in items if not _first(exact[id(item)], by_key)]
    possible = {id(item): possible_keys(item) for item in unmatched}
    by_key.update(_records_by_key(session, (k for keys in possible.values() for k in keys)))
    found: dict[int, tuple[str, list[int]]] = {}
    for item in items:
        records = _first(exact[id(item)], by_key)
        if records:
            found[id(item)] = (EXACT, records)
        elif records := _first(possible.get(id(item), []), by_key):
            found[id(item)] = (POSSIBLE, records)
    holdings = _holdings(session, (r for _, records in found.values() for r in records))
    for item in items:
        match, records = found.get(id(item), (None, []))
        item.held_match = match
        item.held_copies = sum(holdings.get(r, 0) for r in records)
        item.held_record_id = records[0] if records else None
        session.add(item)
