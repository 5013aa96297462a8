"""What tags, indicators and subfield codes may hold, whichever format a record came in.

Both readers apply the same rules so that a record read from MARCXML can always be
written as binary MARC 21 and read back: a non-ASCII subfield code, for instance, would
turn into several bytes and break the binary record.
"""


def is_tag(tag: str) -> bool:
    return len(tag) == 3 and tag.isascii() and tag.isalnum()


def is_control_tag(tag: str) -> bool:
    """Tags 001-009, the only ones pymarc stores as data without subfields."""
    return tag.isdigit() and tag < "010"


def is_indicator(value: str) -> bool:
    return len(value) == 1 and " " <= value <= "~"


def is_subfield_code(value: str) -> bool:
    return len(value) == 1 and "!" <= value <= "~"
