"""Random damage to a file never crashes the reader and never loses a record unreported.

For binary files the claim is exact: the reader yields one outcome per record-sized
piece between terminators (an independent count is made here), a rejected record's
bytes are the bytes at its offset, and a record whose bytes the damage did not touch
still reads exactly as before. For MARCXML and MARC-in-JSON, where damage can merge
or split records, outcomes are numbered without gaps and every read record can be
written as MARC 21.
"""

import tempfile
from pathlib import Path

import pymarc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marc import (
    MarcFormatError,
    ReadRecord,
    RejectedRecord,
    marcjson_collection,
    marcxml_collection,
    read_records,
    to_marc21,
    to_marc21_record,
)
from marc.binary_reader import read_binary
from marc.charsets import TextEncoding, decode_text
from marc.crosswalk_table import BY_SOURCE
from marc.record_parts import control_field, data_field, subfield

from .records import book, cyrillic_book, raw_record, unimarc_book

_FILLER = b" \t\r\n\x00\x1a"
_MARC8 = raw_record(
    "00000nam  2200000 a 4500",
    [("001", b"m8"), ("245", b"10\x1faSoci\xe2et\xe2e \x1b(NRESE\x1b(B.")],
)
RECORDS = [
    to_marc21(book()),
    to_marc21(cyrillic_book()),
    to_marc21(unimarc_book()),
    to_marc21(unimarc_book("89  ")),
    _MARC8,
]
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw: st.DrawFn, records: list[bytes]) -> tuple[bytes, list[bytes]]:
    """A file of some of ``records`` with a few random edits; also the records used."""
    chosen = draw(st.lists(st.sampled_from(records), min_size=1, max_size=5))
    data = bytearray(b"".join(chosen))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if edit == "flip" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif edit == "truncate":
            del data[position:]
    return bytes(data), chosen


def _write(data: bytes, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    with handle:
        handle.write(data)
    return Path(handle.name)


def _pieces(data: bytes) -> list[bytes]:
    """What a terminator-framing reader must account for, counted independently."""
    chunks = data.split(b"\x1d")
    pieces = [chunk + b"\x1d" for chunk in chunks[:-1]] + [chunks[-1]]
    if pieces and pieces[0].startswith(b"\xef\xbb\xbf"):
        pieces[0] = pieces[0][3:]
    return [piece for piece in pieces if piece.rstrip(b"\x1d").strip(_FILLER)]


@PROPERTIES
@given(damaged(RECORDS))
def test_binary_damage_is_always_reported(case: tuple[bytes, list[bytes]]) -> None:
    data, _ = case
    path = _write(data, ".mrc")
    try:
        outcomes = list(read_binary(path))
    finally:
        path.unlink()

    pieces = _pieces(data)
    assert len(outcomes) == len(pieces)
    assert [o.index for o in outcomes] == list(range(1, len(outcomes) + 1))
    for outcome, piece in zip(outcomes, pieces, strict=True):
        if isinstance(outcome, RejectedRecord):
            assert outcome.reason
            assert data[outcome.offset : outcome.offset + len(outcome.raw)] == outcome.raw
        if piece.lstrip(_FILLER) in RECORDS:
            assert isinstance(outcome, ReadRecord), outcome
            original = _only(RECORDS[RECORDS.index(piece.lstrip(_FILLER))])
            assert [str(f) for f in outcome.record.fields] == [
                str(f) for f in original.record.fields
            ]


def _only(raw: bytes) -> ReadRecord:
    path = _write(raw, ".mrc")
    try:
        [outcome] = read_binary(path)
    finally:
        path.unlink()
    assert isinstance(outcome, ReadRecord)
    return outcome


XML = b"".join(marcxml_collection(RECORDS[:3]))
JSON = b"".join(marcjson_collection(RECORDS[:3]))


@PROPERTIES
@given(damaged([XML]))
def test_marcxml_damage_never_crashes(case: tuple[bytes, list[bytes]]) -> None:
    _check_structured(case[0], ".xml")


@PROPERTIES
@given(damaged([JSON]))
def test_marcjson_damage_never_crashes(case: tuple[bytes, list[bytes]]) -> None:
    _check_structured(case[0], ".json")


def _check_structured(data: bytes, suffix: str) -> None:
    path = _write(data, suffix)
    try:
        outcomes = list(read_records(path))
    except MarcFormatError:
        return  # the damage made the file as a whole unreadable, and that is said
    finally:
        path.unlink()
    assert [o.index for o in outcomes] == list(range(1, len(outcomes) + 1))
    for outcome in outcomes:
        if isinstance(outcome, RejectedRecord):
            assert outcome.reason
            continue
        converted = to_marc21_record(outcome.record, outcome.dialect)
        try:
            to_marc21(converted)
        except ValueError:
            pass  # e.g. a field grown past 9999 bytes: the import reports it


@PROPERTIES
@given(
    st.binary(max_size=60),
    st.sampled_from(["utf-8", "marc-8", "iso-5426", "cp1251", "cp866", "koi8-r", "latin-1"]),
)
def test_decoders_either_decode_or_say_why(data: bytes, encoding: TextEncoding) -> None:
    try:
        text = decode_text(data, encoding)
    except ValueError as problem:
        assert str(problem)
    else:
        assert isinstance(text, str)


_TAGS = [*sorted(BY_SOURCE), "899", "901", "123", "790"]
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from("\x88\x89 ,:;/"),
    max_size=12,
)


@st.composite
def unimarc_records(draw: st.DrawFn) -> pymarc.Record:
    record = pymarc.Record()
    record.leader = pymarc.Leader(
        draw(st.text(alphabet="0123456789acdimns 1", min_size=24, max_size=24))
    )
    for tag in draw(st.lists(st.sampled_from(_TAGS), max_size=15)):
        if tag < "010":
            record.add_field(control_field(tag, draw(_TEXT)))
            continue
        codes = draw(st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), max_size=6))
        subfields = [subfield(code, draw(_TEXT)) for code in codes]
        if draw(st.booleans()) and tag.startswith("4"):
            subfields = [subfield("1", "2001 "), *subfields]
        indicators = draw(st.text(alphabet=" 0123", min_size=2, max_size=2))
        record.add_field(data_field(tag, indicators[0], indicators[1], subfields))
    return record


@PROPERTIES
@given(unimarc_records())
def test_conversion_never_fails_and_keeps_unknown_fields(record: pymarc.Record) -> None:
    converted = to_marc21_record(record, "unimarc")

    kept = [field["a"] for field in converted.get_fields("886") if field.indicator1 == "2"]
    for field in record.fields:
        if field.tag not in BY_SOURCE:
            assert field.tag in kept
    assert len(converted.get_fields("245")) <= 1
    assert len(converted.get_fields("100", "110", "111", "130")) <= 1
    try:
        to_marc21(converted)
    except ValueError as problem:
        assert "at most" in str(problem)  # only ISO 2709's length limits


def test_unknown_declared_encoding_is_a_format_error() -> None:
    """Found by the damage property: a mangled encoding name used to escape as LookupError."""
    data = (
        b'<?xml version="1.0" encoding="U-F-8"?>'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
        b"<leader>00000nam a2200000 a 4500</leader></record></collection>"
    )
    path = _write(data, ".xml")
    try:
        with pytest.raises(MarcFormatError, match="encoding"):
            list(read_records(path))
    finally:
        path.unlink()
