"""What the binary reader says about a record's text, in words a cataloguer can act on.

Kept apart from the record structure (iso2709) because these sentences are the reader's
whole explanation to the partner: why the text cannot be decoded and which character
set it was read in (and on whose word), or what was worked around in a record that was
read all the same.
"""

from marc.charset_declarations import Declaration
from marc.charsets import ENCODING_NAMES, WHOLE_FIELD_ENCODINGS, TextEncoding

SUBFIELD_DELIMITER = b"\x1f"


def encoding_note(encoding: TextEncoding, declaration: Declaration) -> str:
    """Why the record was read in ``encoding``, to follow a decoding problem.

    When the caller named the file's character set, the record's own declaration played
    no part, and saying that it did would send the cataloguer looking in the wrong place.
    """
    name = ENCODING_NAMES[encoding]
    if declaration.named:
        return f"(the file was read as {name} because that character set was named for it)"
    said = f"{declaration.where} is {declaration.shown}"
    if encoding in ("marc-8", "iso-5426"):
        return (
            f"({said}, so the record is read as {name}; its text may be in another "
            "character set such as Windows-1251 or Latin-1)"
        )
    if declaration.encoding == encoding:
        return f"({said}, so the record should be {name})"
    return f"(the record is read as {name})"


def utf8_problem(
    content: bytes, error: UnicodeDecodeError, tag: str, declaration: Declaration
) -> str:
    """Where in a field the UTF-8 breaks, named by subfield when it is inside one."""
    before = content[: error.start].split(SUBFIELD_DELIMITER)
    if len(before) > 1 and not before[-1]:
        return (
            f"field {tag} has a subfield code that is not a printable ASCII character "
            f"(byte 0x{content[error.start]:02X})"
        )
    where = f"{tag} ${chr(before[-1][0])}" if len(before) > 1 else tag
    position = len(before[-1]) - 1 if len(before) > 1 else error.start
    bad = content[error.start]
    note = encoding_note("utf-8", declaration)
    return f"field {where}: byte 0x{bad:02X} at position {position} is not valid UTF-8 {note}"


def shown_character(character: str, encoding: TextEncoding) -> str:
    """A character of an indicator or subfield code as a cataloguer can find it."""
    if encoding not in WHOLE_FIELD_ENCODINGS and not character.isascii():
        return f"byte 0x{ord(character):02X}"  # it came from latin-1 decoding one byte
    if character.isprintable() and not character.isspace():
        return f"'{character}'"
    return f"U+{ord(character):04X}"


def dropped_marks_flag(where: str, marks: str) -> str:
    """The flag for combining marks dropped from the end of a MARC-8 value."""
    shown = ", ".join(f"U+{ord(mark):04X}" for mark in marks)
    several = len(marks) > 1
    return (
        f"field {where} ends with {'combining marks' if several else 'a combining mark'} "
        f"({shown}) that {'have' if several else 'has'} no letter after "
        f"{'them' if several else 'it'} to go on; "
        f"{'the marks were' if several else 'the mark was'} dropped"
    )
