import json
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Subfield

from marc import (
    MarcFormatError,
    ReadRecord,
    RejectedRecord,
    detect_format,
    marcjson_collection,
    read_records,
    to_marc21,
    to_marcjson,
)

from .records import (
    as_read,
    as_rejected,
    book,
    cyrillic_book,
    field_strings,
    unimarc_book,
    write_bytes,
)


def _json(record_number: int) -> str:
    return to_marcjson(book(control_number=f"j{record_number}", title=f"Title {record_number}"))


def _read(tmp_path: Path, data: bytes) -> list[ReadRecord | RejectedRecord]:
    return list(read_records(write_bytes(tmp_path / "records.json", data)))


@pytest.mark.parametrize(
    "layout",
    ["array", "ndjson", "concatenated", "pretty-array"],
)
def test_every_layout_is_read(tmp_path: Path, layout: str) -> None:
    records = [_json(n) for n in (1, 2, 3)]
    if layout == "array":
        data = "[" + ",".join(records) + "]"
    elif layout == "ndjson":
        data = "\n".join(records) + "\n"
    elif layout == "concatenated":
        data = "".join(records)
    else:
        data = json.dumps([json.loads(record) for record in records], indent=2)

    outcomes = _read(tmp_path, data.encode())

    assert [as_read(o).record["001"].data for o in outcomes] == ["j1", "j2", "j3"]
    assert [o.index for o in outcomes] == [1, 2, 3]


def test_offsets_point_at_each_record(tmp_path: Path) -> None:
    records = [to_marcjson(cyrillic_book()), _json(2)]
    data = ("[\n" + ",\n".join(records) + "\n]").encode()

    outcomes = _read(tmp_path, data)

    assert [data[o.offset : o.offset + 10] for o in outcomes] == [b'{"leader":'] * 2


def test_a_broken_record_costs_only_itself(tmp_path: Path) -> None:
    broken = _json(2).replace('"245"', '"245" "oops"')
    data = "\n".join([_json(1), broken, _json(3)]).encode()

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    rejected = as_rejected(outcomes[1])
    assert rejected.reason.startswith("the record is not valid JSON: Expecting ':' delimiter")
    assert rejected.raw == broken.encode()
    assert data[rejected.offset :].startswith(broken.encode())


def test_a_record_that_is_json_but_not_marc_is_rejected(tmp_path: Path) -> None:
    bad = json.loads(_json(2))
    bad["fields"][0] = {"001": {"not": "text"}}
    data = "\n".join([_json(1), json.dumps(bad), _json(3)]).encode()

    outcomes = _read(tmp_path, data)

    assert as_rejected(outcomes[1]).reason == "control field 001 holds a object, not text"
    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]


def test_invalid_utf8_inside_a_record_is_rejected_with_its_bytes(tmp_path: Path) -> None:
    broken = _json(2).replace("Title 2", "Title \udcff2").encode("utf-8", "surrogateescape")
    data = b"\n".join([_json(1).encode(), broken, _json(3).encode()])

    outcomes = _read(tmp_path, data)

    rejected = as_rejected(outcomes[1])
    assert rejected.reason == "field 245 $a: byte 0xFF at position 6 is not valid UTF-8"
    assert rejected.raw == broken


def test_json_that_is_not_marc_in_json_is_a_format_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "x.json", b'[{"name": "x", "kind": "fields"}]')

    with pytest.raises(MarcFormatError, match="holds no MARC-in-JSON records"):
        list(read_records(path))
    with pytest.raises(MarcFormatError, match="not MARC-in-JSON"):
        list(read_records(write_bytes(tmp_path / "y.json", b'{leader: "x", "fields": []}')))


def test_records_longer_than_a_read_block_are_read(tmp_path: Path) -> None:
    long_note = "x" * 9000
    record = book()
    for _ in range(20):
        record.add_field(
            Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", long_note)])
        )
    data = "\n".join([to_marcjson(record)] * 3).encode()

    outcomes = _read(tmp_path, data)

    assert len(outcomes) == 3
    assert all(len(as_read(o).record.get_fields("500")) == 20 for o in outcomes)


def test_dialect_is_told_by_the_fields(tmp_path: Path) -> None:
    data = "\n".join([to_marcjson(unimarc_book()), _json(1)]).encode()

    outcomes = _read(tmp_path, data)

    assert [as_read(o).dialect for o in outcomes] == ["unimarc", "marc21"]


def test_detection_and_round_trip_through_the_writer(tmp_path: Path) -> None:
    records = [book(), cyrillic_book()]
    path = write_bytes(tmp_path / "out", *marcjson_collection(to_marc21(r) for r in records))

    assert detect_format(path) == "marcjson"
    read = [as_read(o).record for o in read_records(path)]
    assert [field_strings(r) for r in read] == [field_strings(r) for r in records]
    again = b"".join(marcjson_collection(to_marc21(r) for r in read))
    assert again == path.read_bytes()


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw"])
def test_text_holding_the_replacement_character_is_flagged(
    tmp_path: Path, ensure_ascii: bool
) -> None:
    value = json.loads(to_marcjson(book(title="Perpustakaan \ufffd")))
    data = json.dumps(value, ensure_ascii=ensure_ascii).encode()

    [outcome] = _read(tmp_path, data)

    assert as_read(outcome).record["245"]["a"] == "Perpustakaan \ufffd"
    assert as_read(outcome).flags == (
        "field 245 $a holds U+FFFD, the replacement character a program writes where it "
        "could not decode a character: text was lost before the record was sent",
    )


def _texts(outcome: ReadRecord | RejectedRecord) -> list[str]:
    """Every piece of text the reader hands out for a record."""
    if isinstance(outcome, RejectedRecord):
        return [outcome.reason]
    record = outcome.record
    texts = [*outcome.flags, str(record.leader)]
    for field in record.fields:
        texts.append(field.tag)
        if field.control_field:
            texts.append(field.data or "")
        else:
            texts += [*(field.indicators or ()), *(p for s in field.subfields for p in s)]
    return texts


def test_a_byte_that_is_not_utf8_anywhere_costs_only_its_record_and_is_never_handed_out(
    tmp_path: Path,
) -> None:
    """The byte 0xFF put at every position of a record in turn: the reader always reads on,
    and nothing it returns holds a lone surrogate (which no database or page can take)."""
    good = _json(1).encode()
    for position in range(len(good)):
        bad = good[:position] + b"\xff" + good[position:]
        outcomes = _read(tmp_path, b"\n".join([_json(2).encode(), bad, _json(3).encode()]))
        assert as_read(outcomes[-1]).record["001"].data == "j3", position
        for outcome in outcomes:
            for text in _texts(outcome):
                text.encode("utf-8")  # raises on a lone surrogate


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            b'"leader":"0',
            b'"leader":"\xff',
            "the leader: byte 0xFF at position 0 is not valid UTF-8",
        ),
        (b'"245"', b'"2\xe945"', "the tag of field 5: byte 0xE9 at position 1 is not valid UTF-8"),
        (
            b'{"a":"Title 2"}',
            b'{"\xff":"Title 2"}',
            "a subfield code of field 245: byte 0xFF at position 0 is not valid UTF-8",
        ),
        (
            b'"ind1":"1","ind2":"0"',
            b'"ind1":"\xc3","ind2":"0"',
            "ind1 of field 245: byte 0xC3 at position 0 is not valid UTF-8",
        ),
        (
            b"Title 2",
            b"Title \\udc002",
            "field 245 $a: \\uDC00 at position 6 is half of a UTF-16 surrogate pair, "
            "not a character",
        ),
    ],
    ids=["leader", "tag", "subfield-code", "indicator", "escaped-surrogate"],
)
def test_text_that_is_not_text_is_rejected_where_it_stands(
    tmp_path: Path, old: bytes, new: bytes, reason: str
) -> None:
    broken = _json(2).encode().replace(old, new, 1)
    assert broken != _json(2).encode()
    data = b"\n".join([_json(1).encode(), broken, _json(3).encode()])

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    rejected = as_rejected(outcomes[1])
    assert rejected.reason == reason
    assert rejected.raw == broken, "the record comes back as it was sent"


def test_a_record_nested_too_deeply_to_parse_costs_only_itself(tmp_path: Path) -> None:
    deep = b'{"leader": "00000nam a2200000 i 4500", "fields": ' + b"[" * 100_000
    deep += b"]" * 100_000 + b"}"
    data = b"\n".join([_json(1).encode(), deep, _json(3).encode()])

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    assert as_rejected(outcomes[1]).reason == (
        "the record nests arrays or objects too deeply to be read"
    )
    first = _read(tmp_path, b"\n".join([deep, _json(2).encode()]))
    assert [type(o) for o in first] == [RejectedRecord, ReadRecord]
