"""One binary (ISO 2709) record, MARC 21 or UNIMARC, into a pymarc.Record or a reason.

pymarc's own decoder trusts the directory blindly and reports problems as bare
exception names. Checking each part of the record here lets a rejection say what is
wrong in words a cataloguer can act on, and lets a record whose leader length is
merely miscounted still be read when its directory fits the data exactly.
"""

import re
from dataclasses import dataclass

import pymarc

from marc.charset_declarations import (
    Choice,
    Declaration,
    fallback,
    first_choice,
    marc21_declaration,
    named_declaration,
    unimarc_declaration,
)
from marc.charsets import WHOLE_FIELD_ENCODINGS, TextEncoding, decode_text_noting, nfc
from marc.decoding_messages import dropped_marks_flag, encoding_note, shown_character, utf8_problem
from marc.dialects import dialect_of
from marc.field_rules import is_subfield_code
from marc.outcomes import Dialect
from marc.record_parts import control_field, data_field, subfield, subfields_from
from marc.replacement_characters import may_hold_replacement, replacement_flags
from marc.text_errors import UndecodableText

LEADER_LENGTH = 24
DIRECTORY_ENTRY_LENGTH = 12
FIELD_TERMINATOR = 0x1E
RECORD_TERMINATOR = 0x1D
SUBFIELD_DELIMITER = b"\x1f"

_MIN_RECORD_LENGTH = LEADER_LENGTH + 2  # leader, directory terminator, record terminator
_DIRECTORY_ENTRY = re.compile(rb"[0-9A-Za-z]{3}[0-9]{9}")
_DIRECTORY = re.compile(rb"(?:[0-9A-Za-z]{3}[0-9]{9})+")
_PRINTABLE_INDICATORS = frozenset(chr(code) for code in range(0x20, 0x7F))


class RecordDefect(ValueError):
    """A record's bytes cannot become a pymarc.Record; the message says why."""


class _TextDefect(RecordDefect):
    """A field whose bytes are not text in the encoding tried; another may fit."""


@dataclass(frozen=True, slots=True)
class DecodedRecord:
    record: pymarc.Record
    dialect: Dialect
    flags: tuple[str, ...]


def decode_record(
    data: bytes,
    *,
    dialect: Dialect | None = None,
    default_dialect: Dialect = "marc21",
    encoding: TextEncoding | None = None,
) -> DecodedRecord:
    """Decode ``data``, one record from its leader up to and including 0x1D.

    ``dialect`` and ``encoding`` are what the caller knows for certain (the partner's
    format and character set); without them both are worked out from the record, and
    ``default_dialect`` decides a record whose fields do not show its dialect. Text that
    already holds U+FFFD is read as it is, and flagged.
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

    tags = [entry[0] for entry in entries]
    chosen_dialect = dialect or dialect_of(tags, default_dialect)
    if encoding is None:
        declaration = _declaration(data, entries, leader, chosen_dialect)
    else:
        declaration = named_declaration(encoding)
    try:
        choice = first_choice(data, declaration, chosen_dialect, encoding)
    except UndecodableText as problem:
        raise RecordDefect(str(problem)) from None
    indicator_count = int(leader[10]) if leader[10].isdigit() else 2
    try:
        fields, field_flags = _fields(data, entries, choice.encoding, declaration, indicator_count)
    except _TextDefect:
        second = None if encoding else fallback(data, declaration, chosen_dialect)
        if second is None:
            raise
        choice = Choice(second.encoding, choice.flags + second.flags)
        fields, field_flags = _fields(data, entries, choice.encoding, declaration, indicator_count)
    record = pymarc.Record()
    record.leader = pymarc.Leader(leader)
    record.fields = fields
    flags = choice.flags + field_flags
    if may_hold_replacement(data):
        flags += replacement_flags(record)
    return DecodedRecord(record, chosen_dialect, flags)


def _declaration(
    data: bytes, entries: list[tuple[str, int, int]], leader: str, dialect: Dialect
) -> Declaration:
    if dialect == "marc21":
        return marc21_declaration(leader)
    for tag, start, end in entries:
        if tag == "100":
            return unimarc_declaration(data[start : end - 1])
    return unimarc_declaration(None)


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


def _directory(data: bytes, leader: str) -> list[tuple[str, int, int]]:
    """Read the directory and check that every field it lists ends where it says.

    Each entry is (tag, start, end), ``end`` exclusive and including the terminator.
    """
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
    text = directory.decode("ascii")
    for at in range(0, len(text), DIRECTORY_ENTRY_LENGTH):
        tag = text[at : at + 3]
        length = int(text[at + 3 : at + 7])
        start = base + int(text[at + 7 : at + 12])
        end = start + length
        if not length:
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
        entries.append((tag, start, end))
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


def _fields(
    data: bytes,
    entries: list[tuple[str, int, int]],
    encoding: TextEncoding,
    declaration: Declaration,
    indicator_count: int,
) -> tuple[list[pymarc.Field], tuple[str, ...]]:
    """The record's fields, and flags for the text kept in a subfield of its own.

    UTF-8 fields of the usual shape (two printable indicators, printable codes) take a
    short path, since nearly every field of every record is one; anything else goes
    through the careful path that can say what is wrong.
    """
    utf8 = encoding == "utf-8"
    fields = []
    flags: tuple[str, ...] = ()
    for tag, start, end in entries:
        content = data[start : end - 1]
        if utf8:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _TextDefect(utf8_problem(content, error, tag, declaration)) from None
            if tag < "010" and tag.isdigit():
                fields.append(control_field(tag, text if text.isascii() else nfc(text)))
                continue
            parts = text.split("\x1f")
            head = parts[0]
            if (
                len(head) == 2
                and head[0] in _PRINTABLE_INDICATORS
                and head[1] in _PRINTABLE_INDICATORS
            ):
                subfields = subfields_from(parts, not text.isascii())
                if subfields is not None:
                    fields.append(data_field(tag, head[0], head[1], subfields))
                    continue
        field, flag = _field(content, tag, encoding, declaration, indicator_count)
        fields.append(field)
        flags += flag
    return fields, flags


def _field(
    content: bytes,
    tag: str,
    encoding: TextEncoding,
    declaration: Declaration,
    indicator_count: int,
) -> tuple[pymarc.Field, tuple[str, ...]]:
    """One field the careful way, with flags for what had to be worked around.

    Text may have had to be kept under $a, or a MARC-8 value may have ended with a
    combining mark that had no letter to go on.
    """
    if tag < "010" and tag.isdigit():
        data, noted = _text(content, tag, encoding, declaration)
        return control_field(tag, data), noted
    tolerated = max(indicator_count, 2) + 1
    flags: tuple[str, ...] = ()
    if encoding in WHOLE_FIELD_ENCODINGS:
        # These sets never use 0x1F inside a character, so the field is decoded once
        # and split afterwards; MARC-8 and ISO 5426 must be split first, their
        # escapes and diacritics belong to one subfield.
        head, *parts = _whole_field(content, tag, encoding, declaration).split("\x1f")
        values = [(part[:1], part[1:]) for part in parts if part]
        leftover = nfc(head[2:]) if len(head) > tolerated else ""
    else:
        head_bytes, *byte_parts = content.split(SUBFIELD_DELIMITER)
        head = head_bytes.decode("latin-1")
        values = []
        for part in byte_parts:
            if part:
                code = chr(part[0])
                value, noted = _text(part[1:], f"{tag} ${code}", encoding, declaration)
                values.append((code, value))
                flags += noted
        leftover = ""
        if len(head_bytes) > tolerated:
            leftover, noted = _text(head_bytes[2:], tag, encoding, declaration)
            flags += noted
    first, second = _indicators(head[:2] if leftover else head, tag, encoding)
    subfields = []
    if leftover:
        # Text before the first subfield code (or a field with no codes at all):
        # kept under $a, where it nearly always belongs, rather than losing the record.
        subfields.append(subfield("a", leftover))
        flags += (
            f"field {tag} holds text without a subfield code ('{leftover[:40]}'); it was "
            "kept as subfield $a",
        )
    for code, value in values:  # empty parts (two delimiters in a row) were skipped
        if not is_subfield_code(code):
            raise RecordDefect(
                f"field {tag} has a subfield code that is not a printable ASCII character "
                f"({shown_character(code, encoding)})"
            )
        subfields.append(subfield(code, value))
    return data_field(tag, first, second, subfields), flags


def _whole_field(content: bytes, tag: str, encoding: TextEncoding, declaration: Declaration) -> str:
    if encoding == "utf-8":
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _TextDefect(utf8_problem(content, error, tag, declaration)) from None
    else:
        text = _text(content, tag, encoding, declaration)[0]  # these sets drop nothing
    if text.isascii():
        return text
    # NFC per value, never across the whole field: a combining mark at the start of a
    # value would otherwise merge with the subfield code before it.
    first, *parts = text.split("\x1f")
    return "\x1f".join([first, *(part[:1] + nfc(part[1:]) for part in parts)])


def _indicators(indicator_text: str, tag: str, encoding: TextEncoding) -> tuple[str, str]:
    """Take the two indicators, tolerating what real files do around them.

    Missing indicators become blanks, as in pymarc. Extra indicator positions are
    dropped when Leader/10 announces them (DanMARC has three), and so is one stray
    character (some editors write a blank indicator as a backslash); longer text is
    split off by the caller.
    """
    if len(indicator_text) == 2:
        first, second = indicator_text[0], indicator_text[1]
    else:
        padded = indicator_text + "  "
        first, second = padded[0], padded[1]
    for indicator in (first, second):
        if indicator not in _PRINTABLE_INDICATORS:
            raise RecordDefect(
                f"field {tag} has an indicator that is not a printable ASCII character "
                f"({shown_character(indicator, encoding)})"
            )
    return first, second


def _text(
    content: bytes, where: str, encoding: TextEncoding, declaration: Declaration
) -> tuple[str, tuple[str, ...]]:
    """The text of one value, and a flag if combining marks had to be dropped from it."""
    try:
        text, dropped = decode_text_noting(content, encoding)
    except UndecodableText as problem:
        note = encoding_note(encoding, declaration)
        raise _TextDefect(f"field {where}: {problem} {note}") from None
    if dropped:
        return text, (dropped_marks_flag(where, dropped),)
    return text, ()


def record_tags(data: bytes) -> list[str] | None:
    """The tags in the record's directory, or None if the directory cannot be read."""
    if len(data) < _MIN_RECORD_LENGTH or not data[:LEADER_LENGTH].isascii():
        return None
    try:
        return [tag for tag, _, _ in _directory(data, data[:LEADER_LENGTH].decode("ascii"))]
    except RecordDefect:
        return None
