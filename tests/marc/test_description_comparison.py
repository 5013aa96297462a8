"""A record read as labelled parts (the record page), and two records compared field by field
(the review's side-by-side view)."""

from __future__ import annotations

from pymarc import Field, Indicators, Record, Subfield

from marc.comparison import compare, field_text
from marc.description import describe, field_rows


def _record(*fields: Field, leader: str = "00000nam a2200000 a 4500") -> Record:
    record = Record(leader=leader, force_utf8=True)
    for f in fields:
        record.add_field(f)
    return record


def _field(tag: str, *pairs: str, ind: str = "  ") -> Field:
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subfields)


def test_a_record_reads_as_the_parts_a_catalogue_shows() -> None:
    record = _record(
        Field(tag="001", data="000123"),
        Field(tag="003", data="BY-MiNBB"),
        _field("020", "a", "978-985-7189-26-3", "q", "(pbk.)"),
        _field("035", "a", "(RuMoRGB)  456"),
        _field("100", "a", "Скорина, Франциск,", "d", "1490-1551.", ind="1 "),
        _field("245", "a", "Библия руска /", "c", "Франциск Скорина.", ind="10"),
        _field("250", "a", "2nd ed."),
        _field("260", "a", "Prague :", "b", "[s.n.],", "c", "1517."),
        _field("264", "a", "Минск :", "b", "Беларусь,", "c", "2017.", ind=" 1"),
        _field("300", "a", "520 с. ;", "c", "30 см."),
        _field("490", "a", "Памятники письменности", "v", "т. 2", ind="0 "),
        _field("650", "a", "Библия", "x", "Переводы", "z", "Беларусь", ind=" 7"),
        _field("700", "a", "Иванов, И. И.", ind="1 "),
    )
    parts = dict(describe(record))
    assert parts["title"] == ["Библия руска"]
    assert parts["responsibility"] == ["Франциск Скорина."]
    assert parts["authors"] == ["Скорина, Франциск, 1490-1551.", "Иванов, И. И."]
    assert parts["edition"] == ["2nd ed."]
    # The publication statement (264, second indicator 1) before the older 260.
    assert parts["publication"] == ["Минск : Беларусь, 2017.", "Prague : [s.n.], 1517."]
    assert parts["physical_description"] == ["520 с. ; 30 см."]
    assert parts["series"] == ["Памятники письменности ; т. 2"]
    assert parts["subjects"] == ["Библия -- Переводы -- Беларусь"]
    assert parts["isbn"] == ["978-985-7189-26-3 (pbk.)"]
    assert parts["control_number"] == ["000123 (BY-MiNBB)"]
    assert parts["system_numbers"] == ["(RuMoRGB) 456"]  # whitespace collapsed
    assert "notes" not in parts and "issn" not in parts  # absent parts are left out
    assert [part for part, _ in describe(record)][:3] == ["title", "responsibility", "authors"]


def test_fields_keep_their_order_indicators_and_subfields() -> None:
    record = _record(Field(tag="001", data="x1"), _field("245", "a", "T", "b", "S", ind="10"))
    assert field_rows(record) == [
        {"tag": "001", "value": "x1"},
        {
            "tag": "245",
            "ind1": "1",
            "ind2": "0",
            "subfields": [{"code": "a", "value": "T"}, {"code": "b", "value": "S"}],
        },
    ]


def test_two_records_align_by_tag_and_mark_their_differences() -> None:
    ours = _record(
        _field("020", "a", "9789857189263"),
        _field("245", "a", "Библия руска /", ind="10"),
        _field("650", "a", "Библия"),
        _field("650", "a", "Книгопечатание"),
        leader="01234nam a2200241 a 4500",
    )
    theirs = _record(
        _field("245", "a", "Библия руска /", ind="10"),
        _field("250", "a", "2nd ed."),
        _field("650", "a", "Библии"),
        leader="00777nam a2200111 a 4500",
    )
    pairs = [(p.tag, p.mark) for p in compare(ours, theirs)]
    assert pairs == [
        ("LDR", "same"),  # lengths and base addresses say nothing of the book
        ("020", "left_only"),
        ("245", "same"),
        ("250", "right_only"),
        ("650", "differs"),  # the first 650 faces the first
        ("650", "left_only"),
    ]
    assert field_text(_field("245", "a", "T", ind="1 ")) == "1_ $a T"
    other_type = _record(leader="00000nas a2200000 a 4500")
    assert compare(ours, other_type)[0].mark == "differs"
