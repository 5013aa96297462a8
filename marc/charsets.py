"""Turning the bytes of a binary record into text without inventing characters.

pymarc's MARC-8 translator replaces every character it has no table entry for with a
space and carries on, so a Windows-1251, Latin-1 or DanMARC record comes out as
plausible-looking garbage and nobody notices. Checking each character against pymarc's
own tables before translating lets the reader refuse such a record instead. Full charset
detection (cp1251, cp866, UNIMARC's 100$a) is deliberately not attempted here.
"""

from typing import Literal

from pymarc import MARC8ToUnicode, marc8_mapping

TextEncoding = Literal["utf-8", "marc-8"]

_ESCAPE = 0x1B
_SPACE = 0x20
_BASIC_LATIN = 0x42
_ANSEL = 0x45
_EACC = 0x31
_SWITCH_TO_BASIC_LATIN = 0x73  # ESC s
_G0_INTERMEDIATES = frozenset(b"(,$")
_G1_INTERMEDIATES = frozenset(b")-")

_CHARSET_NAMES = {
    0x31: "East Asian (EACC)",
    0x32: "Hebrew",
    0x33: "Basic Arabic",
    0x34: "Extended Arabic",
    0x42: "Basic Latin",
    0x45: "Extended Latin (ANSEL)",
    0x4E: "Basic Cyrillic",
    0x51: "Extended Cyrillic",
    0x53: "Basic Greek",
    0x62: "Subscripts",
    0x67: "Greek symbols",
    0x70: "Superscripts",
}


class UndecodableText(ValueError):
    """Bytes that do not form text in the encoding the record is read in."""


def choose_encoding(record_bytes: bytes, leader_09: str) -> TextEncoding:
    """Pick the encoding for a whole record.

    Leader/09 = 'a' is believed. A blank Leader/09 often lies: many systems export UTF-8
    without setting it, and MARC-8 text with diacritics is almost never valid UTF-8, so
    non-ASCII bytes that decode as UTF-8 are taken to be UTF-8.
    """
    if leader_09 == "a":
        return "utf-8"
    if not record_bytes.isascii():
        try:
            record_bytes.decode("utf-8")
        except UnicodeDecodeError:
            return "marc-8"
        return "utf-8"
    return "marc-8"


def decode_text(data: bytes, encoding: TextEncoding) -> str:
    """Decode one field's or subfield's bytes, or raise UndecodableText saying where."""
    if encoding == "utf-8":
        return _decode_utf8(data)
    return _decode_marc8(data)


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1]
        raise UndecodableText(
            f"byte 0x{bad.hex().upper()} at position {error.start} is not valid UTF-8"
        ) from None


def _decode_marc8(data: bytes) -> str:
    if data.isascii() and _ESCAPE not in data:
        # Plain ASCII reads the same in MARC-8; skipping the translator keeps control
        # characters that pymarc would silently drop.
        return data.decode("ascii")
    problem = _first_marc8_problem(data)
    if problem is not None:
        raise UndecodableText(problem)
    try:
        return MARC8ToUnicode(quiet=True).translate(data)
    except (IndexError, KeyError, TypeError, ValueError):
        raise UndecodableText("the MARC-8 escape sequences are broken") from None


def _charset_name(code: int) -> str:
    return _CHARSET_NAMES.get(code, f"unknown character set 0x{code:02X}")


def _first_marc8_problem(data: bytes) -> str | None:
    """Walk the bytes the way pymarc's translator does and report the first bad character.

    Mirrors pymarc's handling of escape sequences so that what is accepted here is
    exactly what its translator can map.
    """
    g0, g1 = _BASIC_LATIN, _ANSEL
    codesets = marc8_mapping.CODESETS
    odd_map = marc8_mapping.ODD_MAP
    pos, end = 0, len(data)
    while pos < end:
        byte = data[pos]
        if byte == _ESCAPE:
            if pos + 1 >= end:
                return f"the escape sequence at position {pos} is cut off"
            intermediate = data[pos + 1]
            if intermediate in _G0_INTERMEDIATES or intermediate in _G1_INTERMEDIATES:
                final_pos = pos + 2
                if intermediate == 0x24 and data[final_pos : final_pos + 1] == b",":
                    final_pos += 1  # ESC $ , F designates a multibyte G0 set
                if final_pos >= end:
                    return f"the escape sequence at position {pos} is cut off"
                if intermediate in _G0_INTERMEDIATES:
                    g0 = data[final_pos]
                else:
                    g1 = data[final_pos]
                pos = final_pos + 1
                continue
            if intermediate in codesets:
                g0 = intermediate
                pos += 2
            elif intermediate == _SWITCH_TO_BASIC_LATIN:
                g0 = _BASIC_LATIN
                pos += 2
            else:
                pos += 1  # an unknown escape: pymarc drops the ESC and reads on
            continue
        if g0 == _EACC:
            if pos + 3 > end:
                return f"a three-byte East Asian character at position {pos} is cut off"
            code = int.from_bytes(data[pos : pos + 3], "big")
            if code not in codesets.get(_EACC, {}) and code not in odd_map:
                return (
                    f"character 0x{code:06X} at position {pos} is not in pymarc's "
                    "MARC-8 East Asian (EACC) table"
                )
            pos += 3
            continue
        pos += 1
        if byte < _SPACE or 0x80 < byte < 0xA0 or byte == _SPACE:
            continue  # controls and spaces: pymarc passes or drops them, never invents
        table = g1 if byte > 0x80 else g0
        if byte not in codesets.get(table, {}) and byte not in odd_map:
            return (
                f"byte 0x{byte:02X} at position {pos - 1} is not a character of the MARC-8 "
                f"{_charset_name(table)} set"
            )
    return None
