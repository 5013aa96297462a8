"""Telling a UNIMARC record from a MARC 21 one by the fields it holds, and RUSMARC or
BELMARC from other UNIMARC by who catalogued it.

The leader cannot tell them apart (both are ISO 2709, and UNIMARC exporters often write
MARC 21's "4500" in positions 20-23), but the title field can: MARC 21 records describe
the title in 245 and carry a 40-character 008, UNIMARC records use 200, 101 and 801
and have no 008. A record with none of these (an authority record, a stub) takes the
dialect of the records before it in the same file.

RUSMARC and BELMARC are UNIMARC with national additions; what matters to the
conversion is that their national libraries form name headings their own way. Their
records rarely say so in 801 $2 (the Russian State Library's never do), but 801 says
which country's agency made the record.
"""

from collections.abc import Collection
from typing import Literal

import pymarc

from marc.outcomes import Dialect

_MARC21_SIGNS = ("245", "008")
_UNIMARC_SIGNS = ("200", "801", "101")

# A national format of UNIMARC whose national library's MARC 21 headings differ from LC's.
NationalFormat = Literal["rusmarc", "belmarc"]
_NATIONAL_FORMATS: dict[str, NationalFormat] = {"rusmarc": "rusmarc", "belmarc": "belmarc"}
# 801 $a is an ISO 3166 code; some Russian agencies write the three-letter one.
_AGENCY_COUNTRIES: dict[str, NationalFormat] = {
    "RU": "rusmarc",
    "RUS": "rusmarc",
    "BY": "belmarc",
    "BLR": "belmarc",
}


def dialect_of(tags: Collection[str], default: Dialect) -> Dialect:
    """The dialect the tags point to, or ``default`` when they do not say."""
    for tag in _MARC21_SIGNS:
        if tag in tags:
            return "marc21"
    for tag in _UNIMARC_SIGNS:
        if tag in tags:
            return "unimarc"
    return default


def national_format(record: pymarc.Record, named: str | None = None) -> NationalFormat | None:
    """RUSMARC or BELMARC, or None for other UNIMARC.

    ``named`` is the format the caller knows (a partner registered as RUSMARC); else
    801 $2 may name it; else the country of the agency that made the record (801 with
    second indicator 0, or the first 801) decides.
    """
    if named is not None:
        return _NATIONAL_FORMATS.get(named.strip().lower())
    sources = record.get_fields("801")
    for statement in sources:
        for value in statement.get_subfields("2"):
            if value.strip().lower() in _NATIONAL_FORMATS:
                return _NATIONAL_FORMATS[value.strip().lower()]
    originating = [statement for statement in sources if statement.indicator2 == "0"]
    for statement in originating or sources[:1]:
        for country in statement.get_subfields("a"):
            return _AGENCY_COUNTRIES.get(country.strip().upper())
    return None
