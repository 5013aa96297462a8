"""One binary (ISO 2709) MARC record into a pymarc.Record, or a reason why not.

pymarc's own decoder trusts the directory blindly and reports problems as bare
exception names. Checking each part of the record here lets a rejection say what is
wrong in words a cataloguer can act on, and lets a record whose leader length is
merely miscounted still be read when its directory fits the data exactly.
"""

import re
from dataclasses import dataclass

import pymarc

from marc.charsets import TextEncoding, UndecodableText, choose_encoding, decode_text
from marc.field_rules import is_control_tag, is_indicator, is_subfield_code

LEADER_LENGTH = 24
DIRECTORY_ENTRY_LENGTH = 12
FIELD_TERMINATOR = 0x1E
RECORD_TERMINATOR = 0x1D
SUBFIELD_DELIMITER = b"\x1f"

_MIN_RECORD_LENGTH = LEADER_LENGTH + 2  # leader, directory terminator, record terminator
_DIRECTORY_ENTRY = re.compile(rb"([0-9A-Za-z]{3})([0-9]{4})([0-9]{5})")
_DIRECTORY = re.compile(rb"(?:[0-9A-Za-z]{3}[0-9]{9})+")


class RecordDefect(ValueError):
    """A record's bytes cannot become a pymarc.Record; the message says why."""


@dataclass(frozen=True, slots=True)
class _Entry:
    tag: str
    start: int
    end: int  # exclusive, includes the field terminator


def decode_record(data: bytes, *, force_utf8: bool = False) -> pymarc.Record:
    """Decode ``data``, one record from its leader up to and including 0x1D.

    ``force_utf8`` is for records this service wrote itself, which are always UTF-8.
    """
    if len(data) < _MIN_RECORD_LENGTH:
        raise RecordDefect(
            f"the record is only {len(data)} bytes long, too short for a leader and a directory"
        )
    if data[-1] != RECORD_TERMINATOR:
        raise RecordDefect("the record does not end with a record terminator (0x1D)")
    leader = _leader_text(data)
    length_problem = _length_problem(leader, len(data))
    try:
        entries = _directory(data, leader)
    except RecordDefect as defect:
        if length_problem is None:
            raise
        raise RecordDefect(f"{length_problem}, and {defect}") from None

    encoding: TextEncoding = "utf-8" if force_utf8 else choose_encoding(data, leader[9])
    indicator_count = int(leader[10]) if leader[10].isdigit() else 2
    fields = [_field(data, entry, encoding, leader[9], indicator_count) for entry in entries]
    record = pymarc.Record()
    record.leader = pymarc.Leader(leader)
    for field in fields:
        record.add_field(field)
    return record


def _leader_text(data: bytes) -> str:
    leader = data[:LEADER_LENGTH]
    if not leader.isascii():
        position = next(i for i, byte in enumerate(leader) if byte > 0x7F)
        raise RecordDefect(
            f"the leader holds a byte that is not ASCII "
            f"(0x{leader[position]:02X} at position {position})"
        )
    return leader.decode("ascii")


def _length_problem(leader: str, actual: int) -> str | None:
    declared = leader[0:5]
    if not declared.isdigit():
        return f"record length in leader ('{declared}') is not a number"
    if int(declared) != actual:
        return (
            f"record length in leader ({declared}) does not match the {actual} bytes "
            "up to the record terminator"
        )
    return None


def _directory(data: bytes, leader: str) -> list[_Entry]:
    """Read the directory and check that every field it lists ends where it says."""
    base_text = leader[12:17]
    if not base_text.isdigit():
        raise RecordDefect(
            f"the base address of data in the leader ('{base_text}') is not a number"
        )
    base = int(base_text)
    if base <= LEADER_LENGTH:
        raise RecordDefect(f"the base address of data ({base_text}) points inside the leader")
    if base >= len(data):
        raise RecordDefect(
            f"the base address of data ({base_text}) lies beyond the end of the "
            f"{len(data)}-byte record"
        )
    if data[base - 1] != FIELD_TERMINATOR:
        raise RecordDefect(
            f"the directory does not end with a field terminator just before the base "
            f"address of data ({base_text})"
        )
    directory = data[LEADER_LENGTH : base - 1]
    if len(directory) % DIRECTORY_ENTRY_LENGTH:
        raise RecordDefect(
            f"the directory is {len(directory)} bytes long, which is not a whole number "
            f"of {DIRECTORY_ENTRY_LENGTH}-byte entries"
        )
    if not directory:
        raise RecordDefect("the record has no fields (its directory is empty)")

    if not _DIRECTORY.fullmatch(directory):
        raise RecordDefect(_bad_directory_entry(directory))
    entries = []
    last_field_byte = len(data) - 1  # the record terminator is not part of any field
    for entry in _DIRECTORY_ENTRY.finditer(directory):
        tag = entry.group(1).decode("ascii")
        start = base + int(entry.group(3))
        end = start + int(entry.group(2))
        if end <= start:
            raise RecordDefect(f"field {tag} has length 0 in the directory")
        if end > last_field_byte:
            raise RecordDefect(
                f"field {tag} runs past the end of the record (the directory puts it at "
                f"bytes {start}-{end - 1} of a {len(data)}-byte record)"
            )
        if data[end - 1] != FIELD_TERMINATOR:
            raise RecordDefect(
                f"field {tag} does not end with a field terminator where the directory "
                f"says it ends (byte {end - 1})"
            )
        entries.append(_Entry(tag, start, end))
    return entries


def _bad_directory_entry(directory: bytes) -> str:
    for number, entry_start in enumerate(range(0, len(directory), DIRECTORY_ENTRY_LENGTH), 1):
        raw_entry = directory[entry_start : entry_start + DIRECTORY_ENTRY_LENGTH]
        if not _DIRECTORY_ENTRY.fullmatch(raw_entry):
            shown = raw_entry.decode("latin-1").encode("unicode_escape").decode("ascii")
            return (
                f"directory entry {number} ('{shown}') is not a tag of 3 letters or digits "
                "followed by a 4-digit length and a 5-digit starting position"
            )
    return "the directory is not valid"


def _field(
    data: bytes,
    entry: _Entry,
    encoding: TextEncoding,
    leader_09: str,
    leader_indicator_count: int,
) -> pymarc.Field:
    content = data[entry.start : entry.end - 1]
    tag = entry.tag
    if is_control_tag(tag):
        return pymarc.Field(tag=tag, data=_text(content, tag, encoding, leader_09))
    if encoding == "utf-8":
        # UTF-8 never uses 0x1F inside a character, so the field is decoded once and
        # split afterwards; MARC-8 must be split first, its escapes are per subfield.
        indicator_text, *parts = _utf8_field(content, tag, leader_09).split("\x1f")
        values = [(part[:1], part[1:]) for part in parts if part]
    else:
        indicator_bytes, *byte_parts = content.split(SUBFIELD_DELIMITER)
        indicator_text = indicator_bytes.decode("latin-1")
        values = [
            (chr(part[0]), _text(part[1:], f"{tag} ${chr(part[0])}", encoding, leader_09))
            for part in byte_parts
            if part
        ]
    indicators = _indicators(indicator_text, tag, leader_indicator_count, encoding)
    subfields = []
    for code, value in values:  # empty parts (two delimiters in a row) were skipped
        if not is_subfield_code(code):
            raise RecordDefect(
                f"field {tag} has a subfield code that is not a printable ASCII character "
                f"({_shown_character(code, encoding)})"
            )
        subfields.append(pymarc.Subfield(code=code, value=value))
    return pymarc.Field(tag=tag, indicators=indicators, subfields=subfields)


def _utf8_field(content: bytes, tag: str, leader_09: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        before = content[: error.start].split(SUBFIELD_DELIMITER)
        where = f"{tag} ${chr(before[-1][0])}" if len(before) > 1 and before[-1] else tag
        position = len(before[-1]) - 1 if len(before) > 1 else error.start
        bad = content[error.start]
        note = _encoding_note("utf-8", leader_09)
        raise RecordDefect(
            f"field {where}: byte 0x{bad:02X} at position {position} is not valid UTF-8 {note}"
        ) from None


def _indicators(
    indicator_text: str, tag: str, leader_indicator_count: int, encoding: TextEncoding
) -> pymarc.Indicators:
    """Take the two indicators, tolerating what real files do around them.

    Missing indicators become blanks, as in pymarc. Extra indicator positions are
    dropped when Leader/10 announces them (DanMARC has three), and so is one stray
    character (some editors write a blank indicator as a backslash). Anything longer is
    text with no subfield code, and dropping it would lose data, so the record is
    refused instead.
    """
    tolerated = max(leader_indicator_count, 2) + 1
    if len(indicator_text) > tolerated:
        raise RecordDefect(
            f"field {tag} has text ('{indicator_text[2:42]}') between its indicators and "
            "its first subfield code, so it cannot be placed in a subfield"
        )
    padded = indicator_text + "  "
    first, second = padded[0], padded[1]
    for indicator in (first, second):
        if not is_indicator(indicator):
            raise RecordDefect(
                f"field {tag} has an indicator that is not a printable ASCII character "
                f"({_shown_character(indicator, encoding)})"
            )
    return pymarc.Indicators(first, second)


def _shown_character(character: str, encoding: TextEncoding) -> str:
    if encoding == "marc-8" and not character.isascii():
        return f"byte 0x{ord(character):02X}"  # it came from latin-1 decoding one byte
    if character.isprintable() and not character.isspace():
        return f"'{character}'"
    return f"U+{ord(character):04X}"


def _text(content: bytes, where: str, encoding: TextEncoding, leader_09: str) -> str:
    try:
        return decode_text(content, encoding)
    except UndecodableText as problem:
        note = _encoding_note(encoding, leader_09)
        raise RecordDefect(f"field {where}: {problem} {note}") from None


def _encoding_note(encoding: TextEncoding, leader_09: str) -> str:
    if encoding == "utf-8":
        if leader_09 == "a":
            return "(Leader/09 is 'a', so the record should be UTF-8)"
        return "(the record is read as UTF-8)"
    shown = "blank" if leader_09 == " " else repr(leader_09)
    return (
        f"(Leader/09 is {shown}, so the record is read as MARC-8; its text may be in "
        "another character set such as Windows-1251 or Latin-1)"
    )
