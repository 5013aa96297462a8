"""The MARC 21 leader and 008 of a UNIMARC record, position by position.

UNIMARC keeps its coded data in subfield $a of fields 100, 105, 106 and 110, where
MARC 21 has one 40-character 008 whose middle part depends on the type of material.
Each position is translated with the value tables in crosswalk_table.POSITIONS; a
position the source does not code is filled with "|" (no attempt to code), which
MARC 21 allows and which tells a cataloguer nothing was known rather than "no".
"""

import pymarc

from marc.crosswalk_table import POSITION_VALUES
from marc.unimarc_codes import marc_country

_BOOK_TYPES = frozenset("at")
_CONTINUING_LEVELS = frozenset("is")


def marc21_leader(source: str) -> str:
    """A MARC 21 leader for a record whose UNIMARC leader is ``source``.

    Lengths and the base address are left at zero: the writer computes them.
    """
    leader = source.ljust(24)[:24]
    status = POSITION_VALUES["Leader/05"].get(leader[5], "n")
    kind = POSITION_VALUES["Leader/06"].get(leader[6], "a")
    level = POSITION_VALUES["Leader/07"].get(leader[7], "m")
    encoding = POSITION_VALUES["Leader/17"].get(leader[17], "u")
    return f"00000{status}{kind}{level} a2200000{encoding}i 4500"


def marc21_008(record: pymarc.Record, leader: str) -> str:
    """The 40 characters of 008 for the UNIMARC ``record`` (``leader`` is its new one)."""
    general = _coded(record, "100").ljust(36)
    date_type = POSITION_VALUES["100$a/08"].get(general[8], "|")
    date1, date2 = _date(general[9:13], date_type), _date(general[13:17], date_type)
    if date_type in ("n", "u") and not date1.strip():
        date1 = "uuuu"
    entered = general[2:8] if general[:8].isdigit() else "      "
    place = _place(record)
    language = _first(record, "101", "a")[:3].lower()
    if len(language) != 3 or not language.isalpha():
        language = "und"
    if leader[7] in _CONTINUING_LEVELS:
        middle = _continuing(record, general)
    elif leader[6] in _BOOK_TYPES:
        middle = _books(record, general)
    else:
        middle = "|" * 17
    return f"{entered}{date_type}{date1}{date2}{place}{middle}{language} d"


def _books(record: pymarc.Record, general: str) -> str:
    """008/18-34 for books."""
    values = POSITION_VALUES
    positions = list("|" * 17)  # index 0 is 008/18
    coded = _coded(record, "105")
    if coded:
        coded = coded.ljust(13)
        illustrations = "".join(
            code
            for code in (values["105$a/00-03"].get(char, "") for char in coded[0:4])
            if code.strip()
        )
        positions[0:4] = list(illustrations[:4].ljust(4))
        contents = "".join(
            code
            for code in (values["105$a/04-07"].get(char, "") for char in coded[4:8])
            if code.strip()
        )
        positions[6:10] = list(contents[:4].ljust(4))
        positions[11] = values["105$a/08"].get(coded[8], "|")
        positions[12] = values["105$a/09"].get(coded[9], "|")
        positions[13] = values["105$a/10"].get(coded[10], "|")
        positions[14] = " "
        positions[15] = values["105$a/11"].get(coded[11], "|")
        positions[16] = values["105$a/12"].get(coded[12], "|")
    positions[4] = values["100$a/17"].get(general[17], "|")
    positions[5] = _form_of_item(record)
    positions[10] = values["100$a/20"].get(general[20], "|")
    return "".join(positions)


def _continuing(record: pymarc.Record, general: str) -> str:
    """008/18-34 for continuing resources (serials, integrating resources)."""
    values = POSITION_VALUES
    positions = list("|" * 17)
    coded = _coded(record, "110").ljust(4)
    if coded.strip():
        positions[0] = values["110$a/1"].get(coded[1], "|")
        positions[1] = values["110$a/2"].get(coded[2], "|")
        positions[3] = values["110$a/0"].get(coded[0], "|")
    positions[2] = " "  # undefined
    positions[5] = _form_of_item(record)
    positions[10] = values["100$a/20"].get(general[20], "|")
    return "".join(positions)


def _form_of_item(record: pymarc.Record) -> str:
    coded = _coded(record, "106")
    if not coded:
        return " "
    return POSITION_VALUES["106$a/0"].get(coded[0], "|")


def _date(value: str, date_type: str) -> str:
    if not value.strip():
        return "    "
    return "".join(char if char.isdigit() else "u" for char in value.ljust(4)[:4])


def _place(record: pymarc.Record) -> str:
    code = marc_country(_first(record, "102", "a"))
    return (code or "xx").ljust(3)


def _coded(record: pymarc.Record, tag: str) -> str:
    return _first(record, tag, "a")


def _first(record: pymarc.Record, tag: str, code: str) -> str:
    for field in record.get_fields(tag):
        for value in field.get_subfields(code):
            return value
    return ""
