"""Text that already holds U+FFFD, the mark of a decoding that failed before ours.

A program that cannot decode a character writes U+FFFD (the replacement character) in
its place, so a record that arrives holding it has lost text somewhere upstream, even
though every byte of it now decodes. Such a record is read, as it is, but flagged as an
encoding suspect like any other, so a cataloguer can ask the partner for a clean copy.
All three readers (binary, MARCXML, MARC-in-JSON) flag it the same way.
"""

import pymarc

REPLACEMENT_CHARACTER = "\ufffd"
_IN_UTF8 = REPLACEMENT_CHARACTER.encode("utf-8")
_MARC8_REFERENCE = b"&#x"  # MARC-8 can only name it as "&#xFFFD;"
_PLACES_SHOWN = 5


def may_hold_replacement(data: bytes) -> bool:
    """Whether a binary record's bytes can decode to U+FFFD at all.

    A quick look at the bytes, so the fields of nearly every record, which cannot, are
    never searched.
    """
    return _IN_UTF8 in data or _MARC8_REFERENCE in data


def replacement_flags(record: pymarc.Record) -> tuple[str, ...]:
    """A flag naming every field and subfield of ``record`` that holds U+FFFD, or ()."""
    places: list[str] = []
    for field in record.fields:
        if field.control_field:
            if REPLACEMENT_CHARACTER in (field.data or ""):
                places.append(field.tag)
            continue
        for code, value in field.subfields:
            if REPLACEMENT_CHARACTER in value:
                places.append(f"{field.tag} ${code}")
    if not places:
        return ()
    shown = ", ".join(places[:_PLACES_SHOWN])
    if len(places) > _PLACES_SHOWN:
        shown += f" and {len(places) - _PLACES_SHOWN} more"
    where = f"fields {shown} hold" if len(places) > 1 else f"field {shown} holds"
    return (
        f"{where} U+FFFD, the replacement character a program writes where it could not "
        "decode a character: text was lost before the record was sent",
    )
