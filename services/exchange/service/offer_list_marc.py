"""Offer-list items from MARC files: each record as an ``OfferLineIn``.

Any format and dialect the project's reader takes (MARC 21, UNIMARC with RUSMARC and BELMARC,
MARCXML, MARC-in-JSON, the character sets it detects). UNIMARC is converted to MARC 21 as the
import converts it, then read by the same rules as the fund's records
(``offer_items.marc_details``: edition, place, pages, language, material type, class). A
broken record is reported with its position and reason and the others are used; a wrong ISBN
in a record is left out, not fatal (real records carry them, as the import knows).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pymarc
from pydantic import ValidationError

import marc
from marc.description import clean_text
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferLineIn
from services.exchange.service.offer_items import marc_details
from workflows.errors import N_

MAX_ITEMS = 20_000  # as many as a list sent to the API may have
MAX_ERRORS = 20  # reported in one answer


@dataclass(frozen=True, slots=True)
class FileRejection:
    """A record of a MARC file that gives no line: its number in the file (from 1), the
    byte it starts at (None for XML and JSON) and why."""

    position: int
    offset: int | None
    reason: str


def validation_reason(exc: ValidationError) -> str:
    """A validation error as one line: each field and what is wrong with it."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'not valid')}" if where else error["msg"])
    return "; ".join(parts)


def _subfields(record: pymarc.Record, tags: tuple[str, ...], codes: str) -> str | None:
    """The first of ``tags`` with any of ``codes``, joined and cleaned as a catalogue
    prints it."""
    for field in record.get_fields(*tags):
        values = [v for c, v in field.subfields if c in codes and v.strip()]
        if values:
            return clean_text(" ".join(values))
    return None


def _publication(record: pymarc.Record, code: str) -> str | None:
    # 264 second indicator 1 (publication) first, then the older 260, other 264s last.
    fields = record.get_fields("264", "260")
    ordered = sorted(fields, key=lambda f: (f.tag == "264" and f.indicator2 != "1", f.tag == "260"))
    for field in ordered:
        for found, value in field.subfields:
            if found == code and value.strip():
                return clean_text(value.strip(" []"))
    return None


def _cut(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    return value if len(value) <= limit else value[: limit - 1] + "…"


def marc_line(record: pymarc.Record) -> OfferLineIn:
    """One MARC 21 record as a line: 245 title, 1XX/7XX author, 250 edition, 264/260 place,
    publisher and year, 300 pages, 020/022 (valid ones only), 001, language, material
    type and class as the fund's records are read. ValueError or ValidationError if it
    cannot be one."""
    index = marc.index_record(record)
    title = _subfields(record, ("245",), "abnp")
    if not title:
        raise ValueError(N_("it has no title (245 $a)"))
    details = marc_details(marc.to_marc21(record))
    isbn = next(
        (
            stored
            for field in record.get_fields("020")
            for value in field.get_subfields("a")
            if marc.isbn_fault(value) is None and (stored := marc.storable_isbn(value))
        ),
        None,
    )
    issn = next(
        (
            number
            for field in record.get_fields("022")
            for value in field.get_subfields("a")
            if marc.issn_fault(value) is None and (number := marc.normalise_issn(value))
        ),
        None,
    )
    year = int(index.year) if index.year and 1400 <= int(index.year) <= 2200 else None
    return OfferLineIn.model_validate(
        {
            "title": _cut(title, 1000),
            "author": _cut(index.author, 500),
            "edition": _cut(details.edition, 200),
            "place": _cut(details.place or _publication(record, "a"), 200),
            "publisher": _cut(_publication(record, "b"), 500),
            "year": year,
            "pages": _cut(details.pages, 64),
            "isbn": isbn,
            "issn": issn,
            "control_number": _cut(index.control_number, 64),
            "language": details.language,
            "material_type": details.material_type,
            "subject": details.subject,
        }
    )


def _records(
    path: str | os.PathLike[str], encoding: marc.TextEncoding | None
) -> Iterator[marc.ReadRecord | marc.RejectedRecord]:
    """The reader's records; a file that turns out not to be MARC, at its start or part-way
    (XML that breaks off), is a 422, never a 500."""
    try:
        yield from marc.read_records(path, encoding=encoding)
    except marc.MarcFormatError as exc:
        raise Problem(
            422, "not-marc", N_("the file is not MARC: {reason}").format(reason=exc)
        ) from None
    except ValueError as exc:  # an encoding the reader does not know
        raise Problem(422, "validation-error", str(exc)) from None


def items_from_marc(
    path: str | os.PathLike[str], encoding: marc.TextEncoding | None = None
) -> tuple[list[OfferLineIn], list[FileRejection]]:
    """The lines of a MARC file and the records that give none (position, offset, reason);
    422 if the file is not MARC at all or no record gives a line."""
    lines: list[OfferLineIn] = []
    rejected: list[FileRejection] = []
    for item in _records(path, encoding):
        if len(lines) >= MAX_ITEMS:
            raise Problem(
                422,
                "too-many-items",
                N_("a list may have at most {limit} items").format(limit=MAX_ITEMS),
            )
        if isinstance(item, marc.RejectedRecord):
            rejected.append(FileRejection(item.index, item.offset, item.reason))
            continue
        try:
            record = marc.to_marc21_record(item.record, item.dialect)
            lines.append(marc_line(record))
        except ValidationError as exc:
            rejected.append(FileRejection(item.index, item.offset, validation_reason(exc)))
        except Exception as exc:  # one record that cannot be read must not stop the file
            rejected.append(FileRejection(item.index, item.offset, str(exc) or type(exc).__name__))
    if not lines:
        first = rejected[0] if rejected else None
        detail = (
            N_("no record of the file gives a publication: record {position}: {reason}").format(
                position=first.position, reason=first.reason
            )
            if first
            else N_("no record of the file gives a publication")
        )
        raise Problem(
            422,
            "no-usable-records",
            detail,
            rejected=[_as_dict(r) for r in rejected[:MAX_ERRORS]],
        )
    return lines, rejected


def _as_dict(rejection: FileRejection) -> dict[str, object]:
    return {"position": rejection.position, "offset": rejection.offset, "reason": rejection.reason}
