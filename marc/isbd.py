"""ISBD punctuation and non-sort markers, for building MARC 21 fields from UNIMARC data.

UNIMARC subfields hold bare data and leave the prescribed punctuation to the display;
MARC 21 subfields carry it at the end of the preceding subfield ("Title :" $b "subtitle
/" $c ...). These helpers assemble a field as a list of [code, value] pairs that can
still be changed, then turn it into a pymarc field.
"""

from collections.abc import Iterable

import pymarc

from marc.record_parts import data_field, subfield

# Non-sort markers: UNIMARC's (ISO 6630) and MARC 21's.
_NON_SORT_BEGIN = ("\x88", "\x98")
_NON_SORT_END = ("\x89", "\x9c")
_MARKERS = str.maketrans({"\x88": None, "\x89": None, "\x98": None, "\x9c": None})
_CLOSING = ".?!"
_REPLACEABLE = ",;:/="

Parts = list[list[str]]  # [code, value] pairs being assembled, changed in place


def clean(value: str) -> str:
    """The value without non-sort markers and surrounding blanks."""
    if value.isascii():  # the markers are C1 controls, never in ASCII text
        return value.strip()
    if "\x88" in value or "\x89" in value or "\x98" in value or "\x9c" in value:
        return value.translate(_MARKERS).strip()
    return value.strip()


def non_filing(value: str) -> tuple[int, str]:
    """How many leading characters the non-sort markers set apart, and the clean value."""
    if value.startswith(_NON_SORT_BEGIN):
        for marker in _NON_SORT_END:
            end = value.find(marker)
            if end > 0:
                count = len(value[1:end])
                return (count if count <= 9 else 0), clean(value)
    return 0, clean(value)


def end_with(parts: Parts, punctuation: str) -> None:
    """End the last value with ``punctuation`` unless it already ends that way.

    Punctuation the source put at the end of a value (RUSMARC records often carry a
    stray comma or colon) gives way to the punctuation ISBD prescribes.
    """
    if not parts:
        return
    value = parts[-1][1].rstrip()
    mark = punctuation.strip()
    if mark and value[-1:] in _REPLACEABLE and value[:-1].strip():
        value = value[:-1].rstrip()
    if mark and value.endswith(mark):
        parts[-1][1] = value
        return
    if mark == "." and value.endswith(tuple(_CLOSING)):
        parts[-1][1] = value
        return
    parts[-1][1] = value + punctuation


def append_to(parts: Parts, code: str, value: str, separator: str) -> None:
    """Add ``value`` to the last subfield with ``code``, or start one.

    Either way ``separator`` (" : ", ", ") goes before it: at the end of the subfield
    it joins, or at the end of the one before a new subfield.
    """
    for part in reversed(parts):
        if part[0] == code:
            end_with([part], separator.rstrip())
            part[1] = part[1] + (" " if separator.endswith(" ") else "") + value
            return
    end_with(parts, separator.rstrip())
    parts.append([code, value])


def field_from(
    tag: str, first: str, second: str, parts: Iterable[list[str] | tuple[str, str]]
) -> pymarc.Field:
    return data_field(tag, first, second, [subfield(code, value) for code, value in parts])


def finish(parts: Parts) -> Parts:
    end_with(parts, ".")
    return parts


def add_imprint(parts: Parts, kind: int, text: str) -> None:
    """Add a place (0), name (1) or date (2) with the ISBD punctuation before it."""
    if parts:
        end_with(parts, (" ;", " :", ",")[kind])
    parts.append(["abc"[kind], text])


def date_end(parts: Parts) -> Parts:
    if parts[-1][0] == "c":
        end_with(parts, ".")
    return parts


def join_name(surname: str, forename: str) -> str:
    if not forename:
        return surname
    if not surname:
        return forename
    if forename.startswith(","):  # some agencies (Italy's SBN) keep the comma in $b
        return surname + forename
    return f"{surname}, {forename}"
