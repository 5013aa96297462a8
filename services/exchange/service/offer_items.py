"""The items of an offer list, in IFLA's fields for exchange lists, from where they come.

Our items come from the exchange fund: the fund item's own fields, and what its MARC record
(when the deposit kept one) adds: edition (250), place (264 or 260 $a), pages (300 $a),
language (008/35-37, else 041 $a), material type (leader/06-07) and subject class (080 UDC,
else 082 DDC). A partner's items are its lines as it sent them. Both are checked here before a
row is written, so the API and the pages refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymarc
from sqlmodel import Session, col, select

import marc
from marc.description import clean_text
from services.exchange.models import FundItem
from services.exchange.offer_models import OfferItem
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import FundPick, OfferLineIn
from services.exchange.service import fund
from workflows.errors import N_


@dataclass(frozen=True, slots=True)
class MarcDetails:
    """What a fund item's MARC record says beyond the fund's own columns."""

    edition: str | None = None
    place: str | None = None
    pages: str | None = None
    language: str | None = None
    material_type: str | None = None
    subject: str | None = None


def _first(record: pymarc.Record, tags: Sequence[str], code: str) -> str | None:
    for field in record.get_fields(*tags):
        for found_code, value in field.subfields:
            if found_code == code and value.strip():
                return clean_text(value)
    return None


def _place(record: pymarc.Record) -> str | None:
    publication = [f for f in record.get_fields("264") if f.indicator2 == "1"]
    for field in [*publication, *record.get_fields("260")]:
        for code, value in field.subfields:
            if code == "a" and value.strip():
                return clean_text(value.strip("[] "))
    return None


def _language(record: pymarc.Record) -> str | None:
    fixed = record.get("008")
    data = (fixed.data if fixed is not None else None) or ""
    code = data[35:38].strip().lower() if len(data) >= 38 else ""
    if len(code) == 3 and code.isalpha() and code not in ("zxx", "und", "mul"):
        return code
    other = (_first(record, ("041",), "a") or "").lower()
    return other[:3] if len(other) >= 3 and other[:3].isalpha() else None


# Leader/06 (type of record) to the list's material types; language material by leader/07.
_TYPES = {
    "e": "map",
    "f": "map",
    "c": "music",
    "d": "music",
    "j": "music",
    "g": "audiovisual",
    "i": "audiovisual",
    "k": "audiovisual",
}


def _material_type(record: pymarc.Record) -> str | None:
    leader = str(record.leader or "")
    if len(leader) < 8:
        return None
    kind, level = leader[6], leader[7]
    if kind in ("a", "t"):
        return "serial" if level in ("s", "i") else "book"
    return _TYPES.get(kind, "other")


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def marc_details(data: bytes | None) -> MarcDetails:
    """The details of a stored record; an unreadable one adds nothing (the list still works)."""
    if not data:
        return MarcDetails()
    try:
        record = marc.parse_marc21(data)
    except ValueError:
        return MarcDetails()
    return MarcDetails(
        edition=_cut(_first(record, ("250",), "a"), 200),
        place=_cut(_place(record), 200),
        pages=_cut(_first(record, ("300",), "a"), 64),
        language=_language(record),
        material_type=_material_type(record),
        subject=_cut(_first(record, ("080",), "a") or _first(record, ("082",), "a"), 32),
    )


def fund_items(
    session: Session, list_id: str, picks: Sequence[FundPick], start: int
) -> list[OfferItem]:
    """Items from fund picks, positions from ``start``; 422 for an unknown item, a fund item
    named twice or more copies than the fund has free now (nothing is held by this)."""
    ids = [p.fund_item_id for p in picks]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise Problem(
            422,
            "duplicate-item",
            N_("items: fund item {fund_item_id} is named twice").format(fund_item_id=twice[0]),
        )
    found = {
        item.id: item for item in session.scalars(select(FundItem).where(col(FundItem.id).in_(ids)))
    }
    items: list[OfferItem] = []
    for position, pick in enumerate(picks, start=start):
        fund_item = found.get(pick.fund_item_id)
        if fund_item is None:
            raise Problem(
                422,
                "unknown-fund-item",
                N_("items: fund item {fund_item_id} is not in the exchange fund").format(
                    fund_item_id=pick.fund_item_id
                ),
            )
        available = fund.available_copies(fund_item)
        if pick.copies > available:
            raise Problem(
                422,
                "insufficient-copies",
                N_("items: {copies} copies of '{title}' offered, {available} available").format(
                    copies=pick.copies, title=fund_item.title, available=available
                ),
            )
        details = marc_details(fund_item.marc)
        items.append(
            OfferItem(
                list_id=list_id,
                position=position,
                fund_item_id=fund_item.id,
                title=fund_item.title,
                author=fund_item.author,
                publisher=fund_item.publisher,
                year=fund_item.year,
                isbn=fund_item.isbn,
                issn=fund_item.issn,
                control_number=fund_item.control_number,
                edition=details.edition,
                place=details.place,
                pages=details.pages,
                language=details.language,
                material_type=details.material_type,
                subject=details.subject,
                copies=pick.copies,
            )
        )
    return items


def line_items(list_id: str, lines: Sequence[OfferLineIn], start: int) -> list[OfferItem]:
    """Items from a partner's lines, as its request checked them (ISBN, ISSN in the form the
    request schemas store)."""
    return [
        OfferItem(list_id=list_id, position=position, **line.model_dump())
        for position, line in enumerate(lines, start=start)
    ]
