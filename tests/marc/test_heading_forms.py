"""Name headings in the national form (as the Russian State Library writes them) or LC's.

RUSMARC and BELMARC records get the national form by default: the full forenames of $g
in $a, no punctuation between the subfields, and a relator term in $e beside each $4
code. The LC form ($g in parentheses in $q, commas before $c and $d, only $4) stays
available as an option of the conversion.
"""

import pytest
from pymarc import Field, Indicators, Record, Subfield

from marc import index_record, to_marc21_record
from marc.record_parts import data_field, subfield

from .records import unimarc_book


def _converted(record: Record | None = None, **options: str) -> Record:
    return to_marc21_record(record or unimarc_book(), "unimarc", **options)  # type: ignore[arg-type]


def _with(record: Record, tag: str, first: str, second: str, *parts: tuple[str, str]) -> Record:
    record.add_field(
        data_field(tag, first, second, [subfield(code, value) for code, value in parts])
    )
    return record


def _agency_country(record: Record, country: str) -> Record:
    record.remove_fields("801")
    return _with(record, "801", " ", "0", ("a", country), ("b", "X"), ("c", "20240115"))


def test_rusmarc_headings_are_in_the_national_form_by_default() -> None:
    record = _converted()  # 801 $a RU: a Russian agency's UNIMARC is RUSMARC

    [main] = record.get_fields("100")
    assert main.indicators == Indicators("1", " ")
    assert main.subfields == [
        Subfield("a", "Иванов, Пётр"),
        Subfield("d", "1960-"),
        Subfield("e", "авт."),
        Subfield("4", "aut"),
    ]
    [translator] = record.get_fields("700")
    assert translator.subfields == [
        Subfield("a", "Петрова, А."),  # no $g: the initials stay
        Subfield("e", "пер."),
        Subfield("4", "trl"),
    ]
    [body] = record.get_fields("710")
    assert body.subfields == [
        Subfield("a", "Российская национальная библиотека"),
        Subfield("e", "изд."),
        Subfield("4", "pbl"),
    ]
    assert index_record(record).author == "Иванов, Пётр"


def test_the_lc_form_is_an_option() -> None:
    record = _converted(heading_form="lc")

    assert record["100"].subfields == [
        Subfield("a", "Иванов, П."),
        Subfield("q", "(Пётр),"),
        Subfield("d", "1960-"),
        Subfield("4", "aut"),
    ]
    assert record["700"].subfields == [Subfield("a", "Петрова, А."), Subfield("4", "trl")]
    assert record["710"].subfields == [
        Subfield("a", "Российская национальная библиотека"),
        Subfield("4", "pbl"),
    ]


def test_a_heading_as_the_russian_state_library_writes_it() -> None:
    # RSL's RUSMARC 702 and its own MARC 21 700 for the same record (002988236).
    source = _with(
        unimarc_book(),
        "702",
        " ",
        "1",
        ("a", "Паренаго"),
        ("b", "М. А."),
        ("f", "1780-1832"),
        ("g", "Михаил Алексеевич"),
        ("4", "730"),
    )

    added = [str(field) for field in _converted(source).get_fields("700")]

    assert r"=700  1\$aПаренаго, Михаил Алексеевич$d1780-1832$eпер.$4trl" in added


def test_a_personal_subject_in_the_national_form() -> None:
    source = _with(
        unimarc_book(),
        "600",
        " ",
        "0",
        ("a", "Екатерина"),
        ("c", "имп."),
        ("d", "II"),
        ("f", "1729-1796"),
    )

    national = _converted(source)["600"]
    lc = _converted(source, heading_form="lc")["600"]

    assert str(national) == r"=600  04$aЕкатерина$bII$cимп.$d1729-1796"
    assert str(lc) == r"=600  04$aЕкатерина$bII,$cимп.,$d1729-1796"


def test_corporate_and_family_names_in_both_forms() -> None:
    source = unimarc_book()
    source.remove_fields("712")
    _with(
        source, "712", "0", "2", ("a", "Московский университет"), ("b", "Типография"), ("4", "610")
    )
    _with(source, "721", " ", " ", ("a", "Романовы"), ("f", "1613-1917"), ("4", "070"))

    national = _converted(source)
    lc = _converted(source, heading_form="lc")

    assert national["710"].subfields == [
        Subfield("a", "Московский университет"),
        Subfield("b", "Типография"),
        Subfield("e", "тип."),
        Subfield("4", "prt"),
    ]
    assert lc["710"].subfields == [
        Subfield("a", "Московский университет."),
        Subfield("b", "Типография"),
        Subfield("4", "prt"),
    ]
    family = [f for f in national.get_fields("700") if f.indicator1 == "3"]
    assert [f.subfields for f in family] == [
        [
            Subfield("a", "Романовы"),
            Subfield("d", "1613-1917"),
            Subfield("e", "авт."),
            Subfield("4", "aut"),
        ]
    ]
    family = [f for f in lc.get_fields("700") if f.indicator1 == "3"]
    assert [f.subfields for f in family] == [
        [Subfield("a", "Романовы,"), Subfield("d", "1613-1917"), Subfield("4", "aut")]
    ]


def test_a_meeting_takes_its_relator_term_in_j() -> None:
    source = unimarc_book()
    source.remove_fields("712")
    _with(
        source,
        "712",
        "1",
        "2",
        ("a", "Всероссийская конференция"),
        ("d", "5"),
        ("f", "1990"),
        ("e", "Москва"),
        ("4", "650"),
    )

    meeting = _converted(source)["711"]

    assert meeting.subfields == [
        Subfield("a", "Всероссийская конференция"),
        Subfield("n", "(5 :"),
        Subfield("d", "1990 :"),
        Subfield("c", "Москва)"),
        Subfield("j", "изд."),
        Subfield("4", "pbl"),
    ]


@pytest.mark.parametrize(
    ("country", "source_format", "expected"),
    [
        ("RU", None, "Иванов, Пётр"),
        ("BY", None, "Иванов, Пётр"),
        ("IT", None, "Иванов, П."),
        ("IT", "rusmarc", "Иванов, Пётр"),
        ("IT", "belmarc", "Иванов, Пётр"),
    ],
)
def test_the_default_follows_the_national_format(
    country: str, source_format: str | None, expected: str
) -> None:
    source = _agency_country(unimarc_book(), country)
    options = {"source_format": source_format} if source_format else {}

    assert _converted(source, **options)["100"]["a"] == expected


def test_801_2_can_name_the_national_format() -> None:
    source = _agency_country(unimarc_book(), "IT")
    source["801"].add_subfield("2", "belmarc")

    assert _converted(source)["100"]["a"] == "Иванов, Пётр"


def test_either_form_can_be_asked_for_any_unimarc_record() -> None:
    source = _agency_country(unimarc_book(), "IT")

    assert _converted(source, heading_form="national")["100"]["a"] == "Иванов, Пётр"
    assert _converted(heading_form="lc")["100"]["a"] == "Иванов, П."


def test_relator_terms_are_given_only_in_russian_cataloguing() -> None:
    source = unimarc_book()
    general = source["100"]["a"]
    source["100"]["a"] = general[:22] + "bel" + general[25:]

    main = _converted(source)["100"]

    assert main.subfields == [
        Subfield("a", "Иванов, Пётр"),
        Subfield("d", "1960-"),
        Subfield("4", "aut"),
    ]


def test_an_unknown_heading_form_is_refused() -> None:
    with pytest.raises(ValueError, match="heading_form"):
        _converted(heading_form="rsl")


def test_a_code_without_a_russian_term_keeps_only_4() -> None:
    source = unimarc_book()
    source.remove_fields("702")
    source.add_field(
        Field(
            tag="702",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Петрова"), Subfield("b", "А."), Subfield("4", "005")],
        )
    )

    assert _converted(source)["700"].subfields == [
        Subfield("a", "Петрова, А."),
        Subfield("4", "act"),
    ]
