"""Does an offered item fit what a partner wants (its agreement's profile)?

A profile names subject classes (UDC or DDC, each with everything under it, or a range),
languages, kinds of material and years; each criterion it names must hold, and one it leaves
empty holds for every item. An item that does not say what a criterion asks (no language, no
class, no year, no kind of material) fits that criterion: a list made from a file without
subjects must not hide everything from a partner with a subject profile. So the profile only
puts first, and marks, what it is known to fit; nothing is refused by it.

Classes are compared as the classification reads them: UDC is a decimal fraction, so 821.161.1
lies under 821.1 and under 8, and the dots only group digits; DDC's 305.42 lies under 305 and,
as a number, in the range 300-399. A class is therefore a prefix of the item's class with the
dots left out, and a range compares as many leading digits as its ends have.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from sqlmodel import Session

from services.exchange.schemas.profiles import class_range
from services.exchange.service import agreements

_DIGITS = re.compile(r"^[0-9][0-9.]*")


class Describes(Protocol):
    """What ``fits`` reads of an item: an ``OfferItem`` (or anything with these fields)."""

    subject: str | None
    language: str | None
    material_type: str | None
    year: int | None


def _compact(text: str) -> str:
    return "".join(text.split()).replace(".", "")


def class_fits(wanted: str, subject: str) -> bool:
    """Whether the item's class ``subject`` lies under the class or range ``wanted``."""
    ends = class_range(wanted)
    if ends is None:
        return _compact(subject).startswith(_compact(wanted))
    found = _DIGITS.match(subject.strip())
    if found is None:
        return False
    digits = found.group().replace(".", "")
    low, high = ends
    return digits[: len(low)].ljust(len(low), "0") >= low and digits[: len(high)] <= high


def fits(profile: dict[str, Any] | None, item: Describes) -> bool:
    """Whether ``item`` fits the stored ``profile`` (None or empty: everything fits).

    A criterion the item says nothing about (no class, no language, no kind, no year) is not
    held against it: unknown fits.
    """
    if not profile:
        return True
    classes: list[str] = profile.get("classes") or []
    if classes and item.subject and not any(class_fits(c, item.subject) for c in classes):
        return False
    languages: list[str] = profile.get("languages") or []
    if languages and item.language and item.language.lower() not in languages:
        return False
    kinds: list[str] = profile.get("material_types") or []
    if kinds and item.material_type and item.material_type not in kinds:
        return False
    if item.year is not None:
        year_from, year_to = profile.get("year_from"), profile.get("year_to")
        if year_from is not None and item.year < year_from:
            return False
        if year_to is not None and item.year > year_to:
            return False
    return True


def of_partner(session: Session, partner_id: int) -> dict[str, Any] | None:
    """The profile of the partner's agreement valid today (None: everything)."""
    agreement = agreements.valid_on(session, partner_id, agreements.today())
    return agreement.profile if agreement is not None else None
