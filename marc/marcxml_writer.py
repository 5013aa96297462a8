"""Streaming MARC 21 records out as one MARCXML collection.

Text is escaped by hand because pymarc's XMLWriter passes control characters through,
and XML 1.0 cannot carry most of them even as character references: one raw 0x1F in a
control field would make the whole export unreadable. Such characters are replaced, by a
space in the leader and in attributes (so the leader keeps 24 positions) and by U+FFFD in
field text (keeping positions in fixed-length fields like 008, and visibly marking the
loss).
"""

import re
from collections.abc import Iterable, Iterator

import pymarc

from marc.binary_writer import parse_marc21, to_marc21
from marc.marcxml_record_builder import MARC_NAMESPACE

HEADER = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARC_NAMESPACE}">\n'
).encode()
FOOTER = b"</collection>\n"

_NOT_XML_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def marcxml_collection(records: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the collection as chunks: the header, one chunk per record, the footer.

    ``records`` are UTF-8 MARC 21 records as written by ``to_marc21``; one that cannot be
    decoded raises ValueError, leaving the output unfinished rather than silently short.
    """
    yield HEADER
    for raw in records:
        yield record_xml(_xml_safe(parse_marc21(raw))).encode("utf-8")
    yield FOOTER


def _xml_safe(record: pymarc.Record) -> pymarc.Record:
    """Replace what XML cannot carry, and make the leader's lengths say so.

    Otherwise reading the export back and writing it again would give a different
    record length in the leader: the replacement takes more bytes than the original.
    """
    changed = False
    for field in record.fields:
        if field.control_field:
            if field.data and _NOT_XML_CHARACTER.search(field.data):
                field.data = _NOT_XML_CHARACTER.sub("\ufffd", field.data)
                changed = True
        elif any(_NOT_XML_CHARACTER.search(value) for _, value in field.subfields):
            field.subfields = [
                pymarc.Subfield(code, _NOT_XML_CHARACTER.sub("\ufffd", value))
                for code, value in field.subfields
            ]
            changed = True
    if changed:
        record.leader = pymarc.Leader(to_marc21(record)[:24].decode("ascii"))
    return record


def record_xml(record: pymarc.Record) -> str:
    """One <record> element, with a trailing newline."""
    parts = ["<record><leader>", _text(str(record.leader), replacement=" "), "</leader>"]
    for field in record.fields:
        tag = _attribute(field.tag)
        if field.control_field:
            parts += ['<controlfield tag="', tag, '">', _text(field.data or ""), "</controlfield>"]
            continue
        parts += [
            f'<datafield tag="{tag}" ind1="{_attribute(field.indicator1)}" '
            f'ind2="{_attribute(field.indicator2)}">'
        ]
        for code, value in field.subfields:
            parts += ['<subfield code="', _attribute(code), '">', _text(value), "</subfield>"]
        parts.append("</datafield>")
    parts.append("</record>\n")
    return "".join(parts)


def _text(value: str, replacement: str = "\ufffd") -> str:
    return _NOT_XML_CHARACTER.sub(replacement, value).translate(_TEXT_ESCAPES)


def _attribute(value: str) -> str:
    return _NOT_XML_CHARACTER.sub(" ", value).translate(_ATTRIBUTE_ESCAPES)
