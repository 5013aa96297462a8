"""Decoding ISO 5426 text (UNIMARC's legacy Latin character set) into Unicode.

Python has no codec for it and pymarc only knows MARC-8, which shares the idea but not
the code table: a UNIMARC record from the 1990s read as MARC-8 comes out with the
wrong accents and no error. The left half is ASCII; the right half holds special
letters and, in 0xC0-0xDF, non-spacing diacritics that precede the letter they go on.
Positions follow the legend of ISO 5426:1983 as mapped to Unicode by the Unicode
consortium (L2/00-220); the ayn and alif take the code points MARC-8 gives them, so
both legacy sets decode a transliteration the same way.
"""

import unicodedata

from marc.text_errors import UndecodableText

_SPECIALS = {
    0xA1: "\u00a1",  # inverted exclamation mark
    0xA2: "\u201e",  # low double quotation mark
    0xA3: "\u00a3",  # pound sign
    0xA4: "\u0024",  # dollar sign
    0xA5: "\u00a5",  # yen sign
    0xA6: "\u2020",  # dagger
    0xA7: "\u00a7",  # section sign
    0xA8: "\u2032",  # prime
    0xA9: "\u2018",  # left single quotation mark
    0xAA: "\u201c",  # left double quotation mark
    0xAB: "\u00ab",  # left angle quotation mark
    0xAC: "\u266d",  # music flat
    0xAD: "\u00a9",  # copyright sign
    0xAE: "\u2117",  # sound recording copyright
    0xAF: "\u00ae",  # registered sign
    0xB0: "\u02bb",  # ayn
    0xB1: "\u02bc",  # alif / hamza
    0xB2: "\u201a",  # low single quotation mark
    0xB6: "\u2021",  # double dagger
    0xB7: "\u00b7",  # middle dot
    0xB8: "\u2033",  # double prime
    0xB9: "\u2019",  # right single quotation mark
    0xBA: "\u201d",  # right double quotation mark
    0xBB: "\u00bb",  # right angle quotation mark
    0xBC: "\u266f",  # music sharp
    0xBD: "\u02b9",  # soft sign (myagkiy znak)
    0xBE: "\u02ba",  # hard sign (tvyordyy znak)
    0xBF: "\u00bf",  # inverted question mark
    0xE1: "\u00c6",  # AE
    0xE2: "\u0110",  # D with stroke
    0xE6: "\u0132",  # IJ
    0xE8: "\u0141",  # L with stroke
    0xE9: "\u00d8",  # O with stroke
    0xEA: "\u0152",  # OE
    0xEC: "\u00de",  # thorn
    0xF1: "\u00e6",  # ae
    0xF2: "\u0111",  # d with stroke
    0xF3: "\u00f0",  # eth
    0xF5: "\u0131",  # dotless i
    0xF6: "\u0133",  # ij
    0xF8: "\u0142",  # l with stroke
    0xF9: "\u00f8",  # o with stroke
    0xFA: "\u0153",  # oe
    0xFB: "\u00df",  # sharp s
    0xFC: "\u00fe",  # thorn
    # Control functions UNIMARC uses around words ignored in sorting (ISO 6630).
    0x88: "\u0088",  # non-sort begin
    0x89: "\u0089",  # non-sort end
}

_DIACRITICS = {
    0xC0: "\u0309",  # hook above (low rising tone)
    0xC1: "\u0300",  # grave
    0xC2: "\u0301",  # acute
    0xC3: "\u0302",  # circumflex
    0xC4: "\u0303",  # tilde
    0xC5: "\u0304",  # macron
    0xC6: "\u0306",  # breve
    0xC7: "\u0307",  # dot above
    0xC8: "\u0308",  # diaeresis (trema)
    0xC9: "\u0308",  # umlaut
    0xCA: "\u030a",  # ring above
    0xCB: "\u0315",  # high comma off centre
    0xCC: "\u0312",  # inverted high comma centred
    0xCD: "\u030b",  # double acute
    0xCE: "\u031b",  # horn
    0xCF: "\u030c",  # caron
    0xD0: "\u0327",  # cedilla
    0xD1: "\u0321",  # rude
    0xD2: "\u0322",  # hook to left
    0xD3: "\u0328",  # ogonek (hook to right)
    0xD4: "\u0325",  # ring below
    0xD5: "\u032e",  # half circle (breve) below
    0xD6: "\u0323",  # dot below
    0xD7: "\u0324",  # double dot below
    0xD8: "\u0332",  # underline
    0xD9: "\u0333",  # double underline
    0xDA: "\u0329",  # small vertical bar below
    0xDB: "\u032d",  # circumflex below
    0xDD: "\ufe20",  # left half of ligature sign / double tilde
    0xDE: "\ufe21",  # right half of ligature sign
    0xDF: "\ufe23",  # right half of double tilde
}


def decode_iso5426(data: bytes) -> str:
    """Decode one subfield's (or control field's) ISO 5426 bytes to NFC text."""
    if data.isascii() and 0x1B not in data:
        return data.decode("ascii")
    out: list[str] = []
    pending: list[str] = []
    escaped = False
    for pos, byte in enumerate(data):
        if escaped:
            escaped = False
            if not 0x40 <= byte <= 0x5F:
                raise UndecodableText(_escape_problem(pos - 1))
            # ESC H and ESC I are the 7-bit forms of the non-sort markers 0x88 and 0x89.
            out.append(chr(byte + 0x40))
            continue
        if byte < 0x80:
            if byte == 0x1B:
                escaped = True
                continue
            out.append(chr(byte))
        elif byte in _DIACRITICS:
            pending.append(_DIACRITICS[byte])
            continue
        elif byte in _SPECIALS:
            out.append(_SPECIALS[byte])
        else:
            raise UndecodableText(
                f"byte 0x{byte:02X} at position {pos} is not a character of ISO 5426"
            )
        if pending:
            out.extend(pending)
            pending.clear()
    if escaped:
        raise UndecodableText(_escape_problem(len(data) - 1))
    out.extend(pending)
    return unicodedata.normalize("NFC", "".join(out))


def _escape_problem(pos: int) -> str:
    return (
        f"an escape sequence at position {pos} switches to another character set, which "
        "this reader does not follow in ISO 5426 text"
    )
