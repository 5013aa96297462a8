import pymarc
import pytest
from pymarc import Field, Indicators, Record, Subfield

from marc import HeadingForm, check_record, index_record, to_marc21, to_marc21_record
from marc.crosswalk_table import BY_SOURCE
from marc.record_parts import data_field, subfield

from .records import book, unimarc_book


def _converted(
    record: Record | None = None,
    isil: str | None = "RU-SpRNB",
    heading_form: HeadingForm | None = None,
) -> Record:
    return to_marc21_record(
        record or unimarc_book(), "unimarc", source_isil=isil, heading_form=heading_form
    )


def _one(record: Record, tag: str) -> Field:
    [field] = record.get_fields(tag)
    return field


def _kept_tags(record: Record) -> list[str]:
    return [field["a"] for field in record.get_fields("886") if field.indicator1 == "2"]


def test_marc21_records_pass_through_untouched() -> None:
    record = book()

    assert to_marc21_record(record, "marc21") is record


def test_leader_and_008_come_from_leader_100_101_102_105() -> None:
    record = _converted()

    assert str(record.leader) == "00000nam a2200000 i 4500"
    fixed = _one(record, "008").data
    assert fixed is not None and len(fixed) == 40
    assert fixed[0:6] == "240115"  # date entered, from 100$a/02-07
    assert fixed[6:15] == "s2023    "  # d (monograph) becomes s; date 1; no date 2
    assert fixed[15:18] == "ru "  # 102 $a RU
    assert fixed[18:22] == "a   "  # 105 illustrations
    assert fixed[22] == "e"  # 100$a/17 k (adult, serious)
    assert fixed[35:38] == "rus"  # 101 $a
    assert fixed[38:40] == " d"


def test_control_number_is_kept_and_found_again_through_the_isil() -> None:
    record = _converted()

    assert _one(record, "001").data == "RU/NLR/bibl/42"
    assert _one(record, "003").data == "RU-SpRNB"
    assert _one(record, "035")["a"] == "(RU-SpRNB)RU/NLR/bibl/42"
    assert _one(record, "005").data == "20240115120000.0"


def test_without_an_isil_there_is_no_003_or_035() -> None:
    record = _converted(isil=None)

    assert record.get_fields("003", "035") == []
    assert _one(record, "001").data == "RU/NLR/bibl/42"


def test_title_gets_isbd_punctuation_and_non_filing_count() -> None:
    title = _one(_converted(), "245")

    assert title.indicators == Indicators("1", "4")  # a main entry exists; "The " is 4
    assert title.subfields == [
        Subfield("a", "The Перспективы развития библиотек :"),
        Subfield("b", "сборник статей /"),
        Subfield("c", "П. Иванов ; пер. с англ. А. Петровой."),
    ]


def test_title_without_main_entry_has_first_indicator_0() -> None:
    source = unimarc_book()
    source.remove_fields("700")

    assert _one(_converted(source), "245").indicator1 == "0"
    assert _one(_converted(source), "130")["a"] == "Library futures."


def test_isbn_edition_publication_extent_series() -> None:
    record = _converted()

    assert _one(record, "020").subfields == [
        Subfield("a", "5-7749-0800-4"),
        Subfield("q", "в пер."),
        Subfield("c", "300 р."),
    ]
    assert _one(record, "250")["a"] == "2-е изд., испр."
    published, made = record.get_fields("264")
    assert published.indicators == Indicators(" ", "1")
    assert published.subfields == [
        Subfield("a", "Москва :"),
        Subfield("b", "Наука,"),
        Subfield("c", "2023."),
    ]
    assert made.indicators == Indicators(" ", "3")
    assert made.subfields == [Subfield("a", "Тула :"), Subfield("b", "Тип. 1")]
    assert _one(record, "300").subfields == [
        Subfield("a", "320 с. :"),
        Subfield("b", "ил. ;"),
        Subfield("c", "22 см"),
    ]
    assert _one(record, "490").subfields == [
        Subfield("a", "Библиотечное дело ;"),
        Subfield("v", "7"),
    ]


def test_notes_languages_country_classification() -> None:
    record = _converted()

    assert _one(record, "500")["a"] == "Текст парал. рус., англ."
    assert _one(record, "504")["a"] == "Библиогр.: с. 300-315"
    assert _one(record, "520")["a"] == "Сборник о развитии библиотек."
    assert _one(record, "041").indicators == Indicators("1", " ")
    assert _one(record, "041").subfields == [Subfield("a", "rus"), Subfield("h", "eng")]
    assert _one(record, "044").subfields == [Subfield("a", "ru"), Subfield("c", "RU")]
    assert _one(record, "080").subfields == [Subfield("a", "02"), Subfield("2", "4")]
    assert _one(record, "084").subfields == [Subfield("a", "78.3"), Subfield("2", "rubbks")]


def test_names_become_main_and_added_entries_with_relator_codes() -> None:
    record = _converted(heading_form="lc")  # the national form: test_heading_forms

    main = _one(record, "100")
    assert main.indicators == Indicators("1", " ")
    assert main.subfields == [
        Subfield("a", "Иванов, П."),
        Subfield("q", "(Пётр),"),
        Subfield("d", "1960-"),
        Subfield("4", "aut"),
    ]
    [translator] = record.get_fields("700")
    assert translator.subfields == [Subfield("a", "Петрова, А."), Subfield("4", "trl")]
    [body] = record.get_fields("710")
    assert body.indicators == Indicators("2", " ")
    assert body.subfields == [
        Subfield("a", "Российская национальная библиотека"),
        Subfield("4", "pbl"),
    ]


def test_subjects_say_where_their_terms_come_from() -> None:
    record = _converted()

    topical = _one(record, "650")
    assert topical.indicators == Indicators("1", "7")
    assert topical.subfields == [
        Subfield("a", "Библиотечное дело"),
        Subfield("x", "Развитие"),
        Subfield("2", "nlr_sh"),
    ]
    place = _one(record, "651")
    assert place.indicators == Indicators(" ", "4")
    assert place.subfields == [Subfield("a", "Россия"), Subfield("y", "21 в.")]
    assert _one(record, "653").indicators == Indicators("0", " ")


def test_uniform_title_and_links() -> None:
    record = _converted()

    uniform = _one(record, "240")
    assert uniform.subfields == [Subfield("a", "Library futures."), Subfield("l", "Русский")]
    translation_of = _one(record, "765")
    assert translation_of.indicators == Indicators("0", " ")
    assert translation_of.subfields == [
        Subfield("t", "Library futures"),
        Subfield("w", "RU/NLR/bibl/7"),
    ]


def test_cataloguing_source_and_electronic_location() -> None:
    record = _converted()

    assert _one(record, "040").subfields == [
        Subfield("a", "NLR"),
        Subfield("b", "rus"),
        Subfield("c", "NLR"),
        Subfield("e", "RCR"),
    ]
    assert _one(record, "856").subfields == [Subfield("u", "https://example.org/nlr/42")]
    assert _one(record, "856").indicators == Indicators("4", " ")


def test_nothing_is_dropped_unmapped_fields_go_to_886() -> None:
    record = _converted()

    leader = [field for field in record.get_fields("886") if field.indicator1 == "0"]
    assert [field["b"] for field in leader] == ["00000nam0 2200000   450 "]
    kept = _kept_tags(record)
    assert "899" in kept  # a local field: no row in the table
    assert "010" not in kept  # every subfield has a place in 020
    local = next(field for field in record.get_fields("886") if field["a"] == "899")
    assert local.subfields == [
        Subfield("2", "unimarc"),
        Subfield("a", "899"),
        Subfield("b", "  "),
        Subfield("a", "NLR"),
        Subfield("j", "18.13.7.2"),
    ]


def test_a_subfield_without_a_mapping_keeps_the_whole_field() -> None:
    source = unimarc_book()
    source.add_field(
        Field(tag="330", indicators=Indicators(" ", " "), subfields=[Subfield("9", "local")])
    )

    assert _kept_tags(_converted(source)).count("330") == 1


def test_801_2_names_the_source_format() -> None:
    source = unimarc_book()
    source["801"].add_subfield("2", "rusmarc")

    assert {field["2"] for field in _converted(source).get_fields("886")} == {"rusmarc"}


def test_converted_record_is_clean_marc21_and_indexes() -> None:
    record = _converted(heading_form="lc")

    errors = [finding for finding in check_record(record) if finding.severity == "error"]
    assert errors == []
    index = index_record(record)
    assert index.title == "The Перспективы развития библиотек : сборник статей"
    assert index.isbn == "9785774908004"
    assert index.author == "Иванов, П."
    assert index.year == "2023"
    assert to_marc21(record)  # writable


def test_a_field_whose_conversion_fails_is_kept_not_lost() -> None:
    source = unimarc_book()
    source.add_field(data_field("200", "1", " ", [subfield("a", "")]))  # a second, empty 200

    record = _converted(source)

    assert len(record.get_fields("245")) == 1


def test_every_row_names_a_known_conversion() -> None:
    from marc.unimarc_conversions import CONVERSIONS

    assert {mapping.conversion for mapping in BY_SOURCE.values()} <= set(CONVERSIONS)


@pytest.mark.parametrize("charsets", ["50  ", "0103", "89  "])
def test_leader_09_of_the_result_says_utf8_whatever_the_source_was(charsets: str) -> None:
    raw = to_marc21(_converted(unimarc_book(charsets)))

    assert raw[9:10] == b"a"
    assert pymarc.Record(raw, force_utf8=True)["245"] is not None


def _link(*embedded: tuple[str, str]) -> Record:
    source = unimarc_book()
    source.add_field(
        data_field("461", " ", "0", [subfield(code, value) for code, value in embedded])
    )
    return source


def test_an_embedded_edition_statement_is_kept_whole_in_the_link() -> None:
    # RSL's RUSMARC 461 for 003543129, whose own MARC 21 773 has $b "Изд. 4-е, испр. и доп."
    source = _link(
        ("1", "001010086108"),
        ("1", "2001 "),
        ("a", "Обзор главнейших происшествий в России"),
        ("1", "205  "),
        ("a", "Изд. 4-е"),
        ("b", "испр. и доп."),
        ("1", "210  "),
        ("a", "Санкт-Петербург"),
        ("d", "1848"),
    )

    record = _converted(source)

    assert _one(record, "773")["b"] == "Изд. 4-е, испр. и доп."
    assert "461" not in _kept_tags(record)  # every embedded subfield found its place


def test_an_embedded_edition_keeps_its_parallel_statement_and_responsibility() -> None:
    source = _link(
        ("1", "2001 "),
        ("a", "Сборник"),
        ("1", "205  "),
        ("a", "2-е изд."),
        ("d", "2nd ed."),
        ("f", "под ред. И. Петрова"),
        ("g", "при участии А. Сидорова"),
    )

    assert _one(_converted(source), "773")["b"] == (
        "2-е изд. = 2nd ed. / под ред. И. Петрова ; при участии А. Сидорова"
    )


@pytest.mark.parametrize(
    "codes",
    [[("a", "|||")], [("a", "   ")], [("a", "|||"), ("c", "|||")]],
    ids=["fill", "blank", "fill-original"],
)
def test_101_fill_and_blank_codes_make_no_041(codes: list[tuple[str, str]]) -> None:
    source = unimarc_book()
    source.remove_fields("101")
    source.add_field(data_field("101", "0", " ", [subfield(code, value) for code, value in codes]))

    record = _converted(source)

    assert record.get_fields("041") == []
    assert [f for f in check_record(record) if f.tag == "041"] == []


def test_101_fill_codes_are_dropped_beside_real_languages() -> None:
    source = unimarc_book()
    source.remove_fields("101")
    source.add_field(
        data_field(
            "101", "1", " ", [subfield("a", "rus"), subfield("a", "|||"), subfield("c", "eng")]
        )
    )

    assert _one(_converted(source), "041").subfields == [Subfield("a", "rus"), Subfield("h", "eng")]


def test_the_converters_own_886_fields_pass_its_checks() -> None:
    record = _converted()

    assert record.get_fields("886")
    assert [f for f in check_record(record) if f.tag == "886"] == []
