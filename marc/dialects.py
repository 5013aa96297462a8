"""Telling a UNIMARC record from a MARC 21 one by the fields it holds.

The leader cannot tell them apart (both are ISO 2709, and UNIMARC exporters often write
MARC 21's "4500" in positions 20-23), but the title field can: MARC 21 records describe
the title in 245 and carry a 40-character 008, UNIMARC records use 200, 101 and 801
and have no 008. A record with none of these (an authority record, a stub) takes the
dialect of the records before it in the same file.
"""

from collections.abc import Collection

from marc.outcomes import Dialect

_MARC21_SIGNS = ("245", "008")
_UNIMARC_SIGNS = ("200", "801", "101")


def dialect_of(tags: Collection[str], default: Dialect) -> Dialect:
    """The dialect the tags point to, or ``default`` when they do not say."""
    for tag in _MARC21_SIGNS:
        if tag in tags:
            return "marc21"
    for tag in _UNIMARC_SIGNS:
        if tag in tags:
            return "unimarc"
    return default
