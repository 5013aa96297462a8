"""The handful of values the exchange service searches and displays records by.

Values are cleaned the way a person would read them off the record: ISBD punctuation
that only separates areas of the description (" /", " :", " =", trailing ".") is dropped so
that "Escape from loneliness /" and "Escape from loneliness" compare equal.

The author is the main entry (1XX), else the first added entry (7XX): many records, UNIMARC
ones above all, name their author only in an added entry, and a record without one would
match no offered line by author. The title proper (245 $a $n $p) leaves the subtitle out,
for matching a line typed without it.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pymarc

from marc.identifiers import normalise_isbn, normalise_issn

_TRAILING_PUNCTUATION = " /:;,.="
_ABBREVIATION_END = re.compile(r"(?:^|\s)(?:[^\W\d_]\.)+$")  # "D.", "U.S.A."
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_BIBLIOGRAPHIC_TYPES = frozenset("acdefgijkmoprt")  # Leader/06 values with a bib 008


@dataclass(frozen=True, slots=True)
class RecordIndex:
    control_number: str | None
    title: str | None
    isbn: str | None
    issn: str | None
    author: str | None
    year: str | None
    title_proper: str | None = None


def index_record(record: pymarc.Record) -> RecordIndex:
    return RecordIndex(
        control_number=_control_number(record),
        title=_title(record, "abnp"),
        isbn=_first(normalise_isbn, record, "020"),
        issn=_first(normalise_issn, record, "022"),
        author=_author(record),
        year=_year(record),
        title_proper=_title(record, "anp"),
    )


def clean_text(value: str) -> str | None:
    """Compose accents (NFC), collapse whitespace, strip trailing ISBD punctuation.

    Returns None if nothing is left. UTF-8 records often carry decomposed accents while
    MARC-8 ones decode composed, and an index has to match both.

    A final period is kept when it ends an abbreviation or initial ("Taylor, Beale D."),
    where it belongs to the name rather than to the punctuation between areas.
    """
    text = " ".join(unicodedata.normalize("NFC", value).split())
    while text and text[-1] in _TRAILING_PUNCTUATION:
        if text[-1] == "." and _ABBREVIATION_END.search(text):
            break
        text = text[:-1]
    return text or None


def _control_number(record: pymarc.Record) -> str | None:
    field = record.get("001")
    data = (field.data or "").strip() if field is not None else ""
    return data or None


def _title(record: pymarc.Record, codes: str) -> str | None:
    field = record.get("245")
    if field is None:
        return None
    return clean_text(" ".join(value for code, value in field.subfields if code in codes))


_MAIN_ENTRIES = ("100", "110", "111")
_ADDED_ENTRIES = ("700", "710", "711", "720")


def _author(record: pymarc.Record) -> str | None:
    for tags in (_MAIN_ENTRIES, _ADDED_ENTRIES):
        for field in record.get_fields(*tags):
            for value in field.get_subfields("a"):
                name = clean_text(value)
                if name:
                    return name
    return None


def _first(normalise: Callable[[str], str | None], record: pymarc.Record, tag: str) -> str | None:
    for field in record.get_fields(tag):
        for value in field.get_subfields("a"):
            number = normalise(value)
            if number:
                return number
    return None


def _year(record: pymarc.Record) -> str | None:
    fixed = record.get("008")
    if (
        fixed is not None
        and fixed.data
        and record.leader[6] in _BIBLIOGRAPHIC_TYPES
        and fixed.data[7:11].isdigit()
    ):
        return fixed.data[7:11]
    # 264 second indicator 1 is the publication statement; other 264s (production,
    # distribution, copyright) and the older 260 are fallbacks.
    candidates = sorted(
        record.get_fields("264", "260"),
        key=lambda field: (field.tag != "264", field.indicator2 != "1"),
    )
    for field in candidates:
        for value in field.get_subfields("c"):
            match = _YEAR.search(value)
            if match:
                return match.group(1)
    return None
