"""One MARC-in-JSON object into a pymarc.Record, or a sentence saying why not.

The same rules as the binary and MARCXML readers apply (field_rules), so a record
read from JSON can always be written as binary MARC 21 and read back.

Text that is not UTF-8 reaches this module as lone surrogates: the reader decodes bytes
that are not UTF-8 with ``surrogateescape``, and JSON's own ``\\uD800`` escapes decode to
them too. Neither is text any database, page or file can hold, so a record holding one in
any place, its leader, a tag, an indicator, a subfield code or a value, is rejected with
the place and the byte, as the binary reader words it; and no sentence here ever quotes one.
"""

from typing import Any

import pymarc

from marc.charsets import nfc
from marc.field_rules import is_control_tag, is_indicator, is_subfield_code, is_tag
from marc.record_parts import control_field, data_field, subfield

LEADER_LENGTH = 24


class JsonRecordDefect(ValueError):
    """The object is JSON but not a usable MARC-in-JSON record."""


def record_from_json(value: Any) -> pymarc.Record:
    if not isinstance(value, dict):
        raise JsonRecordDefect(f"the value is a JSON {_kind(value)}, not a record object")
    leader = value.get("leader")
    fields = value.get("fields")
    if leader is None and fields is None:
        raise JsonRecordDefect('the object has neither "leader" nor "fields"')
    if not isinstance(leader, str):
        raise JsonRecordDefect('the record has no "leader" string')
    _require_text(leader, "the leader")
    if len(leader) != LEADER_LENGTH or not leader.isascii():
        raise JsonRecordDefect(
            f"the leader is {len(leader)} characters long ('{leader}'); MARC requires "
            f"{LEADER_LENGTH} ASCII characters"
        )
    if not isinstance(fields, list) or not fields:
        raise JsonRecordDefect('the record has no "fields" list')
    record = pymarc.Record()
    record.leader = pymarc.Leader(leader)
    record.fields = [_field(number, item) for number, item in enumerate(fields, 1)]
    return record


def _field(number: int, item: Any) -> pymarc.Field:
    if not isinstance(item, dict) or len(item) != 1:
        raise JsonRecordDefect(f"field {number} is not an object with exactly one tag")
    [(tag, content)] = item.items()
    tag = tag.strip()
    _require_text(tag, f"the tag of field {number}")
    if tag.isdigit() and len(tag) < 3:
        tag = tag.zfill(3)
    if not is_tag(tag):
        raise JsonRecordDefect(f"field {number} has tag '{tag}', which is not 3 letters or digits")
    if is_control_tag(tag):
        if not isinstance(content, str):
            raise JsonRecordDefect(f"control field {tag} holds a {_kind(content)}, not text")
        return control_field(tag, _text(content, f"field {tag}"))
    if not isinstance(content, dict):
        raise JsonRecordDefect(f"field {tag} holds a {_kind(content)}, not an object")
    indicators = [_indicator(tag, name, content.get(name)) for name in ("ind1", "ind2")]
    items = content.get("subfields")
    if not isinstance(items, list):
        raise JsonRecordDefect(f'field {tag} has no "subfields" list')
    subfields = []
    for entry in items:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise JsonRecordDefect(f"a subfield of field {tag} is not an object with one code")
        [(code, text)] = entry.items()
        _require_text(code, f"a subfield code of field {tag}")
        if not is_subfield_code(code):
            raise JsonRecordDefect(
                f"subfield code '{code}' in field {tag} is not a single printable ASCII character"
            )
        if not isinstance(text, str):
            raise JsonRecordDefect(f"subfield ${code} of field {tag} holds a {_kind(text)}")
        subfields.append(subfield(code, _text(text, f"field {tag} ${code}")))
    return data_field(tag, indicators[0], indicators[1], subfields)


def _text(value: str, where: str) -> str:
    if value.isascii():
        return value
    _require_text(value, where)
    return nfc(value)


def _require_text(value: str, where: str) -> None:
    """Refuse ``value`` if it holds a lone surrogate, naming the first as it was in the file."""
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(value[error.start])
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
            problem = f"byte 0x{code - 0xDC00:02X} at position {error.start} is not valid UTF-8"
        else:  # a JSON \uD800-\uDFFF escape without its other half
            problem = (
                f"\\u{code:04X} at position {error.start} is half of a UTF-16 surrogate pair, "
                "not a character"
            )
        raise JsonRecordDefect(f"{where}: {problem}") from None


def _indicator(tag: str, name: str, value: Any) -> str:
    if value is None or value == "":
        return " "
    if isinstance(value, str):
        _require_text(value, f"{name} of field {tag}")
    if not isinstance(value, str) or not is_indicator(value):
        raise JsonRecordDefect(
            f"field {tag} has indicator {value!r}, which is not a single printable ASCII character"
        )
    return value


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return type(value).__name__
