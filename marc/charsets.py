"""Turning the bytes of a binary record into NFC text without inventing characters.

Every decoder here is strict: a byte that is not a character of the set the record is
read in makes the text undecodable, so a Windows-1251 record read as MARC-8 is
refused rather than turned into plausible-looking garbage. Text comes out in
Unicode NFC because UTF-8 records often carry decomposed accents while MARC-8 and
ISO 5426 ones decode composed, and search has to match both.
"""

import re
import unicodedata
from typing import Literal, get_args

from marc.iso5426 import decode_iso5426
from marc.marc8 import decode_marc8, decode_marc8_noting
from marc.outcomes import Dialect
from marc.text_errors import UndecodableText

TextEncoding = Literal["utf-8", "marc-8", "iso-5426", "cp1251", "cp866", "koi8-r", "latin-1"]
# Every name a caller may give for the character set of a file, in a stable order.
TEXT_ENCODINGS: tuple[TextEncoding, ...] = get_args(TextEncoding)

ENCODING_NAMES: dict[TextEncoding, str] = {
    "utf-8": "UTF-8",
    "marc-8": "MARC-8",
    "iso-5426": "ISO 5426",
    "cp1251": "Windows-1251",
    "cp866": "CP866 (DOS Cyrillic)",
    "koi8-r": "KOI8-R",
    "latin-1": "ISO 8859-1 (Latin-1)",
}

# Single-byte sets whose lower half is ASCII: a whole field decodes at once, since the
# subfield delimiter 0x1F is the same byte in them.
_CODEC_NAMES: dict[TextEncoding, str] = {
    "cp1251": "cp1251",
    "cp866": "cp866",
    "koi8-r": "koi8_r",
    "latin-1": "latin-1",
}
WHOLE_FIELD_ENCODINGS: frozenset[TextEncoding] = frozenset({"utf-8", *_CODEC_NAMES})

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def legacy_encoding(dialect: Dialect) -> TextEncoding:
    """The pre-Unicode character set each dialect's standard prescribes."""
    return "iso-5426" if dialect == "unimarc" else "marc-8"


def decode_text(data: bytes, encoding: TextEncoding) -> str:
    """Decode one field's or subfield's bytes, or raise UndecodableText saying where."""
    if encoding == "utf-8":
        text = _decode_utf8(data)
    elif encoding == "marc-8":
        return decode_marc8(data)
    elif encoding == "iso-5426":
        return decode_iso5426(data)
    else:
        text = _decode_codec(data, encoding)
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def decode_text_noting(data: bytes, encoding: TextEncoding) -> tuple[str, str]:
    """``decode_text``, and the combining marks a MARC-8 decoding dropped from the end.

    Only MARC-8 drops anything (a mark with no letter after it to carry it); the second
    value is "" for every other set and for text that ends with a letter.
    """
    if encoding == "marc-8":
        return decode_marc8_noting(data)
    return decode_text(data, encoding), ""


def nfc(text: str) -> str:
    """``text`` in NFC; cheap for the ASCII text most values are."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def has_utf8_sequences(data: bytes) -> bool:
    """Whether ``data`` holds at least one well-formed multi-byte UTF-8 character.

    Legacy text almost never does by accident, so bytes that fail to decode as UTF-8
    but hold such sequences are UTF-8 with errors, not legacy text mislabelled.
    """
    return _UTF8_SEQUENCE.search(data) is not None


def can_decode(data: bytes, encoding: TextEncoding) -> bool:
    """Whether every field of the raw record decodes in ``encoding``.

    Fields are taken between terminators and delimiters so that escape sequences and
    diacritics are judged where a decoder would meet them.
    """
    try:
        for field in data.split(b"\x1e"):
            for part in field.split(b"\x1f"):
                decode_text(part.replace(b"\x1d", b""), encoding)
    except UndecodableText:
        return False
    return True


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1]
        raise UndecodableText(
            f"byte 0x{bad.hex().upper()} at position {error.start} is not valid UTF-8"
        ) from None


def _decode_codec(data: bytes, encoding: TextEncoding) -> str:
    try:
        return data.decode(_CODEC_NAMES[encoding])
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1]
        raise UndecodableText(
            f"byte 0x{bad.hex().upper()} at position {error.start} is not a character of "
            f"{ENCODING_NAMES[encoding]}"
        ) from None
