import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Leader, Record, Subfield

from marc import ReadRecord, marcxml_collection, parse_marc21, read_records, to_marc21

from .records import as_read, book, cyrillic_book, field_strings, write_bytes

MARC = "{http://www.loc.gov/MARC21/slim}"


def test_to_marc21_writes_utf8_with_fresh_lengths_and_leaves_the_record_alone() -> None:
    record = book(leader="99999nam  3299999 i 45  ")

    raw = to_marc21(record)

    assert int(raw[:5]) == len(raw)
    assert raw[9:10] == b"a"
    assert raw[10:12] == b"22"
    assert raw[20:24] == b"4500"
    assert raw[int(raw[12:17]) - 1] == 0x1E
    assert raw.endswith(b"\x1e\x1d")
    assert str(record.leader) == "99999nam  3299999 i 45  "


def test_parse_marc21_reverses_to_marc21() -> None:
    record = cyrillic_book()

    assert field_strings(parse_marc21(to_marc21(record))) == field_strings(record)


def test_parse_marc21_refuses_what_is_not_one_record() -> None:
    raw = to_marc21(book())

    with pytest.raises(ValueError, match="more than one record"):
        parse_marc21(raw + raw)
    with pytest.raises(ValueError, match="record terminator"):
        parse_marc21(raw[:-1])


def test_to_marc21_refuses_fields_too_long_for_the_directory() -> None:
    record = book(title="x" * 10_000)

    with pytest.raises(ValueError, match="at most 9999"):
        to_marc21(record)


def test_to_marc21_refuses_structure_characters_in_subfields() -> None:
    record = book(title="two\x1erecords")

    with pytest.raises(ValueError, match="0x1E"):
        to_marc21(record)


def _with_control_characters() -> Record:
    record = book(control_number="ctl\x1fid\x01")
    record.add_field(
        Field(
            tag="500",
            indicators=Indicators(" ", " "),
            subfields=[Subfield("a", 'Tom & Jerry <"quoted"> \x0bline\r\nbreak')],
        )
    )
    return record


def test_control_characters_survive_a_binary_round_trip(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "ctl.mrc", to_marc21(_with_control_characters()))

    [outcome] = read_records(path)

    assert isinstance(outcome, ReadRecord)
    assert outcome.record["001"].data == "ctl\x1fid\x01"


def test_marcxml_collection_is_well_formed_and_complete() -> None:
    records = [book(), cyrillic_book(), _with_control_characters()]

    chunks = list(marcxml_collection(to_marc21(r) for r in records))
    root = ET.fromstring(b"".join(chunks))

    assert len(chunks) == len(records) + 2
    assert root.tag == f"{MARC}collection"
    found = root.findall(f"{MARC}record")
    assert len(found) == 3
    control = found[2].find(f"{MARC}controlfield[@tag='001']")
    assert control is not None
    assert control.text == "ctl\ufffdid\ufffd"
    note = found[2].find(f"{MARC}datafield[@tag='500']/{MARC}subfield")
    assert note is not None
    assert note.text == 'Tom & Jerry <"quoted"> \ufffdline\r\nbreak'
    title = found[1].find(f"{MARC}datafield[@tag='245']/{MARC}subfield[@code='a']")
    assert title is not None
    assert title.text == "Перспективы развития библиотек :"


def test_leader_keeps_24_positions_when_it_holds_a_control_character() -> None:
    record = book()
    record.leader = Leader("00000nam a2200000 i 45\x020")

    [_, chunk, _] = marcxml_collection([to_marc21(record)])
    leader = ET.fromstring(chunk).find("leader")

    assert leader is not None
    assert leader.text is not None
    assert len(leader.text) == 24


def test_marcxml_export_reads_back_to_the_same_fields(tmp_path: Path) -> None:
    records = [book(), cyrillic_book()]
    path = write_bytes(tmp_path / "export.xml", *marcxml_collection(to_marc21(r) for r in records))

    read = [as_read(outcome).record for outcome in read_records(path)]

    assert [field_strings(record) for record in read] == [field_strings(r) for r in records]


def test_empty_export_is_still_a_document() -> None:
    root = ET.fromstring(b"".join(marcxml_collection([])))

    assert root.tag == f"{MARC}collection"
    assert len(root) == 0
