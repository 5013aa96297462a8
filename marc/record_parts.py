"""Building pymarc fields quickly, for readers that have already validated their parts.

pymarc's Field constructor re-checks and normalises its arguments (tag padding, legacy
subfield lists, indicator types) on every call; for a reader that builds millions of
fields from values it has just validated, that costs more than decoding the bytes.
These helpers fill the same slots the constructor fills, so the fields behave exactly
like pymarc's own (tests compare the two); pymarc is pinned below 6 for that reason.
"""

import pymarc

from marc.charsets import nfc

_new_field = pymarc.Field.__new__
_new_tuple = tuple.__new__
_Indicators = pymarc.Indicators
_Subfield = pymarc.Subfield
_Field = pymarc.Field


_CODES = frozenset(chr(code) for code in range(0x21, 0x7F))  # printable ASCII, no blank


def subfields_from(parts: list[str], normalise: bool) -> list[pymarc.Subfield] | None:
    """Subfields from a field's text split on 0x1F (``parts[0]`` is the indicators).

    Returns None when a code is not printable ASCII, for the caller to explain why.
    Empty parts (two delimiters in a row) are skipped. ``normalise`` puts values in
    NFC, for text that is not plain ASCII.
    """
    if normalise:
        made = [_new_tuple(_Subfield, (part[:1], nfc(part[1:]))) for part in parts[1:] if part]
    else:
        made = [_new_tuple(_Subfield, (part[:1], part[1:])) for part in parts[1:] if part]
    for code, _ in made:
        if code not in _CODES:
            return None
    return made


def subfield(code: str, value: str) -> pymarc.Subfield:
    return _new_tuple(_Subfield, (code, value))


def control_field(tag: str, data: str) -> pymarc.Field:
    field = _new_field(_Field)
    field.tag = tag
    field.data = data
    field._indicators = None
    field.subfields = []
    field.control_field = True
    return field


def data_field(tag: str, first: str, second: str, subfields: list[pymarc.Subfield]) -> pymarc.Field:
    field = _new_field(_Field)
    field.tag = tag
    field.data = None
    field._indicators = _new_tuple(_Indicators, (first, second))
    field.subfields = subfields
    field.control_field = False
    return field
