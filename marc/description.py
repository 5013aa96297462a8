"""A MARC 21 bibliographic record read as a cataloguer reads it: labelled parts, not tags.

The record page shows these beside the tags. Each part is a list of display strings, taken
from the fields a MARC 21 record carries them in (245, 250, 264/260, 300, 490/8XX, 6XX...),
with the ISBD punctuation that only separates elements (" /", " :", " ;", ",") trimmed at the
ends; a final period stays, as it often ends an abbreviation ("2nd ed."). Parts a record does
not have are left out.
"""

import re
import unicodedata
from collections.abc import Iterable

import pymarc

# Subfields shown per field, in the record's own order (not the codes' order).
_TITLE = "abfgknps"
_EDITION = "ab"
_PUBLICATION = "abc"
_PHYSICAL = "abce"
_SERIES = "anpv"
_NAME = "abcdq"
_SUBJECT_MAIN = "abcdtq"
_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653", "655")
_SUBDIVISIONS = "vxyz"


_SEPARATORS_AT_END = re.compile(r"[\s/:;=,]+$")


def clean_text(value: str) -> str | None:
    """Accents composed (NFC), whitespace collapsed, trailing ISBD separators dropped."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    return _SEPARATORS_AT_END.sub("", text) or None


def _isbn(field: pymarc.Field) -> str | None:
    """020 $a with its qualifier in parentheses, as a catalogue prints it."""
    number = " ".join(v.strip() for c, v in field.subfields if c == "a" and v.strip())
    qualifiers = [q for c, v in field.subfields if c == "q" and (q := clean_text(v.strip("() ")))]
    if not number:
        return None
    return f"{number} ({', '.join(qualifiers)})" if qualifiers else number


def _joined(field: pymarc.Field, codes: str, separator: str = " ") -> str | None:
    return clean_text(separator.join(v for c, v in field.subfields if c in codes and v.strip()))


def _all(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _publication(record: pymarc.Record) -> list[str]:
    """264 second indicator 1 (publication) first, then the older 260; other 264s last."""
    fields = sorted(
        record.get_fields("264", "260"),
        key=lambda f: (f.tag == "264" and f.indicator2 != "1", f.tag == "260"),
    )
    return _all(_joined(f, _PUBLICATION) for f in fields)


def _subject(field: pymarc.Field) -> str | None:
    main = " ".join(v for c, v in field.subfields if c in _SUBJECT_MAIN and v.strip())
    parts = [main] if main.strip() else []
    parts += [v for c, v in field.subfields if c in _SUBDIVISIONS and v.strip()]
    cleaned = [clean_text(p) for p in parts]
    return " -- ".join(p for p in cleaned if p) or None


def _control(record: pymarc.Record) -> list[str]:
    number = record.get("001")
    agency = record.get("003")
    text = ((number.data if number is not None else None) or "").strip()
    source = ((agency.data if agency is not None else None) or "").strip()
    if not text:
        return []
    return [f"{text} ({source})" if source else text]


def describe(record: pymarc.Record) -> list[tuple[str, list[str]]]:
    """The record's parts as (part, values), in the order a catalogue shows them."""
    parts: list[tuple[str, list[str]]] = [
        ("title", _all(_joined(f, _TITLE) for f in record.get_fields("245"))),
        ("responsibility", _all(_joined(f, "c") for f in record.get_fields("245"))),
        (
            "authors",
            _all(
                _joined(f, _NAME)
                for f in record.get_fields("100", "110", "111", "700", "710", "711")
            ),
        ),
        ("edition", _all(_joined(f, _EDITION) for f in record.get_fields("250"))),
        ("publication", _publication(record)),
        ("physical_description", _all(_joined(f, _PHYSICAL) for f in record.get_fields("300"))),
        (
            "series",
            _all(
                _joined(f, _SERIES, " ; " if f.tag == "490" else " ")
                for f in record.get_fields("490", "800", "810", "811", "830")
            ),
        ),
        ("subjects", _all(_subject(f) for f in record.get_fields(*_SUBJECT_TAGS))),
        ("notes", _all(_joined(f, "a") for f in record.get_fields("500", "504", "505", "520"))),
        ("isbn", _all(_isbn(f) for f in record.get_fields("020"))),
        ("issn", _all(_joined(f, "a") for f in record.get_fields("022"))),
        ("control_number", _control(record)),
        ("system_numbers", _all(_joined(f, "a") for f in record.get_fields("035"))),
    ]
    return [(part, values) for part, values in parts if values]


def field_rows(record: pymarc.Record) -> list[dict[str, object]]:
    """Every field as tag, indicators and subfields (or a control field's data), in order."""
    rows: list[dict[str, object]] = []
    for field in record.fields:
        if field.is_control_field():
            rows.append({"tag": field.tag, "value": field.data or ""})
        else:
            rows.append(
                {
                    "tag": field.tag,
                    "ind1": field.indicator1,
                    "ind2": field.indicator2,
                    "subfields": [{"code": c, "value": v} for c, v in field.subfields],
                }
            )
    return rows
