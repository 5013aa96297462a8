"""Character sets: MARC-8, ISO 5426, RUSMARC code pages, and declarations that lie."""

from pathlib import Path

import pytest

from marc import (
    TEXT_ENCODINGS,
    ReadRecord,
    RejectedRecord,
    TextEncoding,
    read_records,
    to_marc21,
)
from marc.iso5426 import decode_iso5426
from marc.marc8 import decode_marc8, decode_marc8_noting
from marc.text_errors import UndecodableText

from .records import as_read, as_rejected, book, cyrillic_book, raw_record, write_bytes

UNIMARC_LEADER = "00000nam0 2200000   450 "


def _unimarc(charsets: str, title: bytes) -> bytes:
    general = b"20240115d2023    k  y0rusy" + charsets.encode("ascii") + b"    ca"
    return raw_record(
        UNIMARC_LEADER,
        [("001", b"u1"), ("100", b"  \x1fa" + general), ("200", b"1 \x1fa" + title)],
    )


def _read_one(
    tmp_path: Path, data: bytes, encoding: TextEncoding | None = None
) -> ReadRecord | RejectedRecord:
    [outcome] = read_records(write_bytes(tmp_path / "in.mrc", data), encoding=encoding)
    return outcome


# MARC-8


def test_marc8_combining_marks_precede_their_letter_and_compose() -> None:
    assert decode_marc8(b"Soci\xe2et\xe2e") == "Société"


def test_marc8_extended_cyrillic_works_as_g0() -> None:
    # ESC ( Q designates Extended Cyrillic as G0; pymarc maps these letters to spaces.
    assert decode_marc8(b"\x1b(N\x52\x45\x5b\x45\x1b(Q\x4a\x1b(N\x41") == "решења"


def test_marc8_basic_cyrillic_as_g1() -> None:
    assert decode_marc8(b"\x1b)N\xd2\xc5\xdb\xc5") == "реше"


def test_marc8_keeps_control_characters_and_character_references() -> None:
    assert decode_marc8(b"a\x1fb") == "a\x1fb"
    assert decode_marc8(b"Caf&#xE9;") == "Café"


def test_marc8_refuses_what_no_table_holds() -> None:
    with pytest.raises(UndecodableText, match="0xCF at position 0 is not a character"):
        decode_marc8("Перспективы".encode("cp1251"))
    with pytest.raises(UndecodableText, match="cut off"):
        decode_marc8(b"abc\x1b")


# ISO 5426


def test_iso5426_diacritics_precede_their_letter() -> None:
    assert decode_iso5426(b"Soci\xc2et\xc2e linn\xc2eenne") == "Société linnéenne"
    assert decode_iso5426(b"\xcfCesk\xc2a") == "Česká"
    assert decode_iso5426(b"Pozna\xc2n, \xe8\xf3d\xd3e") == "Poznań, Łðdę"


def test_iso5426_special_letters_and_non_sort_markers() -> None:
    assert decode_iso5426(b"\xe8\xf8\xfb\xe9") == "Łłßø".replace("ø", "Ø")
    assert decode_iso5426(b"\x1bHLe \x1bIMonde") == "\x88Le \x89Monde"
    assert decode_iso5426(b"\x88La \x89Vie") == "\x88La \x89Vie"


def test_iso5426_refuses_unassigned_positions() -> None:
    with pytest.raises(UndecodableText, match="0xE0 at position 2 is not a character of ISO 5426"):
        decode_iso5426(b"ab\xe0")


# Declarations checked against the bytes


def test_marc21_declared_marc8_but_utf8_is_read_as_utf8_and_flagged(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(cyrillic_book()))
    raw[9:10] = b" "

    outcome = as_read(_read_one(tmp_path, bytes(raw)))

    assert outcome.record["245"]["a"] == "Перспективы развития библиотек :"
    assert outcome.flags == (
        "Leader/09 is blank (MARC-8), but the text is UTF-8; it was read as UTF-8",
    )


def test_marc21_declared_utf8_but_marc8_is_read_as_marc8_and_flagged(tmp_path: Path) -> None:
    raw = raw_record(
        "00000nam a2200000 a 4500",
        [("001", b"m8"), ("245", b"10\x1faBulletin de la Soci\xe2et\xe2e linn\xe2eenne.")],
    )

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "Bulletin de la Société linnéenne."
    assert outcome.flags == (
        "Leader/09 is 'a' (UTF-8), but the text is not UTF-8; it was read as MARC-8",
    )


def test_plain_ascii_is_never_flagged(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book()))
    raw[9:10] = b" "

    assert as_read(_read_one(tmp_path, bytes(raw))).flags == ()


@pytest.mark.parametrize(
    ("charsets", "encoded"),
    [
        ("50  ", "Перспективы".encode()),
        ("0189", "Перспективы".encode("cp1251")),
        ("89  ", "Перспективы".encode("cp1251")),
        ("79  ", "Перспективы".encode("cp866")),
        ("99  ", "Перспективы".encode("koi8_r")),
    ],
    ids=["utf8", "windows-1251-g1", "windows-1251", "cp866", "koi8-r"],
)
def test_unimarc_cyrillic_in_every_declared_set(
    tmp_path: Path, charsets: str, encoded: bytes
) -> None:
    outcome = as_read(_read_one(tmp_path, _unimarc(charsets, encoded)))

    assert outcome.dialect == "unimarc"
    assert outcome.record["200"]["a"] == "Перспективы"
    assert outcome.flags == ()


def test_unimarc_declared_windows_1251_but_utf8_is_flagged(tmp_path: Path) -> None:
    outcome = as_read(_read_one(tmp_path, _unimarc("89  ", "Перспективы".encode())))

    assert outcome.record["200"]["a"] == "Перспективы"
    assert outcome.flags == (
        "100$a/26-29 is '89  ' (Windows-1251), but the text is UTF-8; it was read as UTF-8",
    )


def test_unimarc_iso5426(tmp_path: Path) -> None:
    outcome = as_read(_read_one(tmp_path, _unimarc("0103", b"\x1bHLa \x1bIVie de Bah\xc2ia")))

    assert outcome.record["200"]["a"] == "\x88La \x89Vie de Bahía"


def test_unimarc_declared_utf8_but_iso5426_is_read_as_iso5426(tmp_path: Path) -> None:
    outcome = as_read(_read_one(tmp_path, _unimarc("50  ", b"Soci\xc2et\xc2e")))

    assert outcome.record["200"]["a"] == "Société"
    assert outcome.flags == (
        "100$a/26-29 is '50  ' (UTF-8), but the text is not UTF-8; it was read as ISO 5426",
    )


def test_unimarc_without_a_usable_declaration_is_refused_with_a_hint(tmp_path: Path) -> None:
    raw = raw_record(
        UNIMARC_LEADER, [("001", b"u1"), ("200", b"1 \x1fa" + "Перспективы".encode("cp1251"))]
    )

    reason = as_rejected(_read_one(tmp_path, raw)).reason

    assert reason.startswith("the character set cannot be told: the record has no field 100")
    assert "Windows-1251" in reason


def test_the_caller_can_name_the_character_set(tmp_path: Path) -> None:
    raw = bytearray(to_marc21(book(title="Perspektivy")))
    start = raw.index(b"Perspektivy")
    raw[start : start + 11] = "Перспективы".encode("cp1251")
    raw[9:10] = b" "

    outcome = as_read(_read_one(tmp_path, bytes(raw), encoding="cp1251"))

    assert outcome.record["245"]["a"] == "Перспективы"


def test_decomposed_utf8_comes_out_composed(tmp_path: Path) -> None:
    raw = to_marc21(book(title="Bahi\u0301a"))

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "Bahía"


def test_a_combining_mark_opening_a_subfield_stays_in_it(tmp_path: Path) -> None:
    raw = to_marc21(book(title="\u0301x"))

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "\u0301x"
    assert [code for code, _ in outcome.record["245"].subfields] == ["a", "b"]


def test_text_without_a_subfield_code_is_kept_under_a_and_flagged(tmp_path: Path) -> None:
    raw = raw_record(
        "00000nam a2200000 a 4500", [("001", b"x"), ("245", b"10\x1faTitle"), ("035", b"  RU\\1")]
    )

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["035"]["a"] == "RU\\1"
    assert outcome.flags == (
        "field 035 holds text without a subfield code ('RU\\1'); it was kept as subfield $a",
    )


# A MARC-8 combining mark with no letter after it (it precedes its letter in MARC-8)


def test_marc8_drops_a_combining_mark_that_ends_the_text() -> None:
    assert decode_marc8(b"Soci\xe2et\xe2") == "Sociét"  # not "Société" nor "Sociét\u0301"
    assert decode_marc8_noting(b"Soci\xe2et\xe2") == ("Sociét", "\u0301")
    assert decode_marc8_noting(b"Soci\xe2et\xe2e") == ("Société", "")


def test_a_dangling_marc8_mark_is_dropped_and_the_record_flagged(tmp_path: Path) -> None:
    raw = raw_record(
        "00000nam  2200000 a 4500",
        [("001", b"m8"), ("245", b"10\x1faSoci\xe2et\xe2\x1fbde Bordeaux")],
    )

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "Sociét"
    assert outcome.record["245"]["b"] == "de Bordeaux"  # the mark did not move on
    assert outcome.flags == (
        "field 245 $a ends with a combining mark (U+0301) that has no letter after it to go "
        "on; the mark was dropped",
    )


def test_a_mark_before_a_space_still_goes_on_the_space(tmp_path: Path) -> None:
    raw = raw_record("00000nam  2200000 a 4500", [("001", b"m8"), ("245", b"10\x1faa\xe2 b")])

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "a \u0301b"
    assert outcome.flags == ()


# Text that already holds U+FFFD, the mark of an earlier failed decoding


_REPLACED = (
    "field 245 $a holds U+FFFD, the replacement character a program writes where it "
    "could not decode a character: text was lost before the record was sent"
)


def test_utf8_text_holding_the_replacement_character_is_flagged(tmp_path: Path) -> None:
    outcome = as_read(_read_one(tmp_path, to_marc21(book(title="Perpustakaan \ufffd"))))

    assert outcome.record["245"]["a"] == "Perpustakaan \ufffd"
    assert outcome.flags == (_REPLACED,)


def test_every_place_holding_the_replacement_character_is_named(tmp_path: Path) -> None:
    record = book(title="\ufffd", author="Sulistyo\ufffd", control_number="b\ufffd")

    outcome = as_read(_read_one(tmp_path, to_marc21(record)))

    assert outcome.flags == (
        "fields 001, 100 $a, 245 $a hold U+FFFD, the replacement character a program writes "
        "where it could not decode a character: text was lost before the record was sent",
    )


def test_a_marc8_character_reference_to_the_replacement_character_is_flagged(
    tmp_path: Path,
) -> None:
    raw = raw_record("00000nam  2200000 a 4500", [("001", b"m8"), ("245", b"10\x1faA &#xFFFD; B")])

    outcome = as_read(_read_one(tmp_path, raw))

    assert outcome.record["245"]["a"] == "A \ufffd B"
    assert outcome.flags == (_REPLACED,)


# Naming the character set of a whole file


def test_the_character_set_can_be_named_for_unimarc_too(tmp_path: Path) -> None:
    raw = raw_record(
        UNIMARC_LEADER, [("001", b"u1"), ("200", b"1 \x1fa" + "Перспективы".encode("cp1251"))]
    )

    assert isinstance(_read_one(tmp_path, raw), RejectedRecord)  # no 100: nothing declared
    outcome = as_read(_read_one(tmp_path, raw, encoding="cp1251"))
    assert outcome.dialect == "unimarc"
    assert outcome.record["200"]["a"] == "Перспективы"
    assert outcome.flags == ()


def test_a_named_character_set_that_does_not_fit_says_it_was_named(tmp_path: Path) -> None:
    raw = raw_record(
        UNIMARC_LEADER, [("001", b"u1"), ("200", b"1 \x1fa" + "Перспективы".encode("cp1251"))]
    )

    reason = as_rejected(_read_one(tmp_path, raw, encoding="iso-5426")).reason

    assert reason == (
        "field 200 $a: byte 0xE5 at position 1 is not a character of ISO 5426 (the file was "
        "read as ISO 5426 because that character set was named for it)"
    )


def test_an_unknown_character_set_name_is_refused_before_reading(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.mrc", to_marc21(book()))

    with pytest.raises(ValueError, match="'windows-1251' is not a character set"):
        read_records(path, encoding="windows-1251")  # type: ignore[arg-type]
    assert TEXT_ENCODINGS == (
        "utf-8",
        "marc-8",
        "iso-5426",
        "cp1251",
        "cp866",
        "koi8-r",
        "latin-1",
    )
