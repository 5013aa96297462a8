"""Writing records as MARC 21 binary (UTF-8), the form this service stores and exports.

The bytes are assembled here rather than by pymarc's ``as_marc``, which changes the
record it is given, writes "None" for an empty control field and silently produces a
corrupt directory when a field or record is too long for ISO 2709's fixed-width counts.
"""

import pymarc

from marc.field_rules import is_control_tag, is_indicator, is_subfield_code, is_tag
from marc.iso2709 import LEADER_LENGTH, RecordDefect, decode_record

FIELD_TERMINATOR = b"\x1e"
RECORD_TERMINATOR = b"\x1d"
SUBFIELD_DELIMITER = b"\x1f"
_STRUCTURE_BYTES = frozenset(b"\x1d\x1e\x1f")
MAX_FIELD_LENGTH = 9_999
MAX_RECORD_LENGTH = 99_999


def to_marc21(record: pymarc.Record) -> bytes:
    """Encode ``record`` as one UTF-8 MARC 21 record; ValueError if it cannot be.

    Leader/09 is set to 'a' (UTF-8), 10-11 to "22" and 20-23 to "4500" because that is
    what the written bytes are; lengths and the base address are computed afresh.
    """
    leader = str(record.leader)
    if len(leader) != LEADER_LENGTH or not leader.isascii():
        raise ValueError(f"the leader must be 24 ASCII characters, not {leader!r}")
    directory = bytearray()
    data = bytearray()
    for field in record.fields:
        encoded = _field_bytes(field)
        if len(encoded) > MAX_FIELD_LENGTH:
            raise ValueError(
                f"field {field.tag} is {len(encoded)} bytes long; MARC 21 allows at most "
                f"{MAX_FIELD_LENGTH}"
            )
        directory += f"{field.tag}{len(encoded):04d}{len(data):05d}".encode("ascii")
        data += encoded
    directory += FIELD_TERMINATOR
    data += RECORD_TERMINATOR
    base = LEADER_LENGTH + len(directory)
    length = base + len(data)
    if length > MAX_RECORD_LENGTH:
        raise ValueError(
            f"the record is {length} bytes long; MARC 21 allows at most {MAX_RECORD_LENGTH}"
        )
    head = f"{length:05d}{leader[5:9]}a22{base:05d}{leader[17:20]}4500"
    return head.encode("ascii") + bytes(directory) + bytes(data)


def parse_marc21(data: bytes) -> pymarc.Record:
    """Decode one UTF-8 MARC 21 record, as written by ``to_marc21``; ValueError if bad."""
    if RECORD_TERMINATOR in data[:-1]:
        raise RecordDefect("the data holds more than one record")
    return decode_record(data, dialect="marc21", encoding="utf-8").record


_INDICATORS = frozenset(chr(code) for code in range(0x20, 0x7F))
_CODES = frozenset(chr(code) for code in range(0x21, 0x7F))


def _field_bytes(field: pymarc.Field) -> bytes:
    """The field's bytes; the usual field is joined as text and encoded once.

    Anything unusual (a bad tag, indicator or code, a structure character inside a
    value) is left to the careful path, which says what is wrong.
    """
    tag = field.tag
    if len(tag) == 3 and tag.isdigit() and tag >= "010":
        indicators = field.indicators
        subfields = field.subfields
        if indicators is not None and indicators[0] in _INDICATORS and indicators[1] in _INDICATORS:
            text = (
                indicators[0]
                + indicators[1]
                + "".join(["\x1f" + code + value for code, value in subfields])
            )
            if (
                all(code in _CODES for code, _ in subfields)
                and text.count("\x1f") == len(subfields)
                and "\x1e" not in text
                and "\x1d" not in text
            ):
                return text.encode("utf-8") + FIELD_TERMINATOR
    return _careful_field_bytes(field)


def _careful_field_bytes(field: pymarc.Field) -> bytes:
    tag = field.tag
    if not is_tag(tag):
        raise ValueError(f"tag {tag!r} is not 3 letters or digits")
    if is_control_tag(tag):
        return _checked(field.data or "", tag, allow_delimiter=True) + FIELD_TERMINATOR
    first, second = field.indicator1, field.indicator2
    if not (is_indicator(first) and is_indicator(second)):
        raise ValueError(f"field {tag} has indicators {first!r}{second!r}, not 2 ASCII characters")
    encoded = bytearray((first + second).encode("ascii"))
    for code, value in field.subfields:
        if not is_subfield_code(code):
            raise ValueError(f"field {tag} has subfield code {code!r}, not an ASCII character")
        encoded += SUBFIELD_DELIMITER + code.encode("ascii")
        encoded += _checked(value, f"{tag} ${code}", allow_delimiter=False)
    return bytes(encoded) + FIELD_TERMINATOR


def _checked(text: str, where: str, *, allow_delimiter: bool) -> bytes:
    """UTF-8 bytes of ``text``, refusing the bytes that would break the record's structure.

    A control field may hold 0x1F (nothing splits it into subfields); 0x1E and 0x1D would
    end the field or the record early anywhere.
    """
    encoded = text.encode("utf-8")
    forbidden = _STRUCTURE_BYTES - ({0x1F} if allow_delimiter else set())
    for byte in forbidden:
        if byte in encoded:
            raise ValueError(f"field {where} contains the MARC structure character 0x{byte:02X}")
    return encoded
