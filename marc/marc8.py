"""Decoding MARC-8 text (MARC 21's legacy character set) into Unicode.

pymarc's own translator replaces every character it cannot map with a space, drops
control characters, and cannot use a set designated in the "other" half (Extended
Cyrillic as G0, as Serbian records do), so it silently loses letters. This decoder
uses pymarc's code tables as data but walks the escape sequences itself: a set works
in either half, and a character that no table holds makes the text undecodable
instead of becoming a blank.
"""

import re
import unicodedata

from pymarc import marc8_mapping

from marc.text_errors import UndecodableText

_ESCAPE = 0x1B
_BASIC_LATIN = 0x42
_ANSEL = 0x45
_EACC = 0x31  # the only multibyte set: three bytes per character
_G0_INTERMEDIATES = frozenset(b"(,")
_G1_INTERMEDIATES = frozenset(b")-")
_MULTIBYTE_INTERMEDIATE = 0x24  # "$"
# "Technique 2" escapes: ESC followed directly by the set's final byte, for G0.
_SHORT_ESCAPES = {0x67: 0x67, 0x62: 0x62, 0x70: 0x70, 0x73: _BASIC_LATIN}
# LC's convention for characters MARC-8 lacks: a numeric character reference.
_CHARACTER_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{2,6});")

_CODESETS = marc8_mapping.CODESETS
_ODD_MAP = marc8_mapping.ODD_MAP

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


def decode_marc8(data: bytes) -> str:
    """Decode one subfield's (or control field's) MARC-8 bytes to NFC text.

    A combining mark at the very end has no letter after it to go on (MARC-8 puts the
    mark before its letter), so it is dropped: attached to the letter before, it would
    make a different letter. ``decode_marc8_noting`` also says what was dropped.
    """
    return decode_marc8_noting(data)[0]


def decode_marc8_noting(data: bytes) -> tuple[str, str]:
    """The NFC text, and the combining marks dropped from its end ("" when none)."""
    dropped = ""
    if data.isascii() and _ESCAPE not in data:
        text = data.decode("ascii")
        if "&#x" not in text:
            return text, dropped
    else:
        decoder = _Marc8Text(data)
        text = decoder.decode()
        dropped = decoder.dropped
    if "&#x" in text:
        text = _CHARACTER_REFERENCE.sub(_referenced_character, text)
    return unicodedata.normalize("NFC", text), dropped


def _referenced_character(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    return chr(code)


def _charset_name(code: int) -> str:
    return _CHARSET_NAMES.get(code, f"unknown character set 0x{code:02X}")


def _lookup(table_code: int, byte: int) -> tuple[int, int] | None:
    """A character of a 94-character set, whichever half the set is designated in.

    pymarc keys some tables by their G0 bytes (0x21-0x7E) and others by their G1 bytes
    (0xA1-0xFE); the set's characters are the same in either half.
    """
    table = _CODESETS.get(table_code)
    if table is None:
        return None
    entry = table.get(byte)
    if entry is None:
        entry = table.get(byte ^ 0x80)
    return entry


class _Marc8Text:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._g0 = _BASIC_LATIN
        self._g1 = _ANSEL
        self.dropped = ""  # combining marks left at the end, with no letter to go on

    def decode(self) -> str:
        data = self._data
        out: list[str] = []
        pending: list[str] = []  # MARC-8 puts combining marks before their base letter
        pos, end = 0, len(data)
        while pos < end:
            byte = data[pos]
            if byte == _ESCAPE:
                pos = self._escape(pos)
                continue
            if byte < 0x20 or byte == 0x7F:
                out.append(chr(byte))
                pos += 1
                continue
            if byte == 0x20:
                out.append(" ")
                out.extend(pending)
                pending.clear()
                pos += 1
                continue
            if self._g0 == _EACC and byte < 0x80:
                character = self._eacc(pos)
                pos += 3
                combining = False
            else:
                table = self._g1 if byte >= 0x80 else self._g0
                entry = _lookup(table, byte)
                if entry is None:
                    if byte in _ODD_MAP:
                        entry = (_ODD_MAP[byte], 0)
                    else:
                        raise UndecodableText(
                            f"byte 0x{byte:02X} at position {pos} is not a character of the "
                            f"MARC-8 {_charset_name(table)} set"
                        )
                character, combining = chr(entry[0]), bool(entry[1])
                pos += 1
            if combining:
                pending.append(character)
            else:
                out.append(character)
                out.extend(pending)
                pending.clear()
        self.dropped = "".join(pending)
        return "".join(out)

    def _eacc(self, pos: int) -> str:
        data = self._data
        if pos + 3 > len(data):
            raise UndecodableText(f"a three-byte East Asian character at position {pos} is cut off")
        code = int.from_bytes(data[pos : pos + 3], "big")
        entry = _CODESETS[_EACC].get(code)
        if entry is not None:
            return chr(entry[0])
        if code in _ODD_MAP:
            return chr(_ODD_MAP[code])
        raise UndecodableText(
            f"character 0x{code:06X} at position {pos} is not in the MARC-8 East Asian (EACC) table"
        )

    def _escape(self, pos: int) -> int:
        """Apply the escape sequence at ``pos``; return where the text goes on."""
        data = self._data
        end = len(data)
        if pos + 1 >= end:
            raise UndecodableText(f"the escape sequence at position {pos} is cut off")
        second = data[pos + 1]
        if second in _SHORT_ESCAPES:
            self._g0 = _SHORT_ESCAPES[second]
            return pos + 2
        final_at = pos + 2
        g0 = second in _G0_INTERMEDIATES
        if second == _MULTIBYTE_INTERMEDIATE:
            g0 = True
            if final_at < end and data[final_at] in b"(,)-":
                g0 = data[final_at] in _G0_INTERMEDIATES
                final_at += 1
        elif not (g0 or second in _G1_INTERMEDIATES):
            raise UndecodableText(
                f"the escape sequence at position {pos} (ESC 0x{second:02X}) is not a MARC-8 "
                "character set change"
            )
        if final_at < end and data[final_at] == 0x21:
            final_at += 1  # "!" in ESC ) ! E, the registered form of ANSEL
        if final_at >= end:
            raise UndecodableText(f"the escape sequence at position {pos} is cut off")
        final = data[final_at]
        if final not in _CODESETS:
            raise UndecodableText(
                f"the escape sequence at position {pos} selects {_charset_name(final)}, which "
                "MARC-8 does not define"
            )
        if g0:
            self._g0 = final
        else:
            self._g1 = final
        return final_at + 1
