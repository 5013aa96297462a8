import pytest
from pymarc import Field, Indicators, Record, Subfield

from marc import RecordIndex, index_record, normalise_isbn, normalise_issn

from .records import book, cyrillic_book


def test_index_of_a_book() -> None:
    assert index_record(book()) == RecordIndex(
        control_number="book-1",
        title="Perpustakaan Nasional : sejarah dan koleksi",
        isbn="9786028021443",
        issn=None,
        author="Sulistyo-Basuki, L.",
        year="2023",
        title_proper="Perpustakaan Nasional",
    )


def test_index_of_a_cyrillic_book() -> None:
    index = index_record(cyrillic_book())

    assert index.title == "Перспективы развития библиотек : сборник статей"
    assert index.author == "Иванов, Пётр"
    assert index.isbn == "9785774908004"  # the ISBN-10 5-7749-0800-4, as ISBN-13


def test_title_takes_part_number_and_name_and_collapses_whitespace() -> None:
    record = Record()
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("0", "0"),
            subfields=[
                Subfield("a", "Annual  report."),
                Subfield("n", "Part 2,"),
                Subfield("p", "Statistics /"),
                Subfield("c", "National Library."),
            ],
        )
    )

    assert index_record(record).title == "Annual report. Part 2, Statistics"


def test_year_falls_back_to_264_then_260_when_008_has_none() -> None:
    record = book(fixed="230115m19uu    io a          000 0 ind d")
    record.add_field(
        Field(tag="260", indicators=Indicators(" ", " "), subfields=[Subfield("c", "c1987.")]),
        Field(tag="264", indicators=Indicators(" ", "4"), subfields=[Subfield("c", "©2001")]),
        Field(tag="264", indicators=Indicators(" ", "1"), subfields=[Subfield("c", "[1999]")]),
    )

    assert index_record(record).year == "1999"


def test_issn_is_normalised() -> None:
    record = book()
    record.add_field(
        Field(tag="022", indicators=Indicators(" ", " "), subfields=[Subfield("a", "0028 083x")])
    )

    assert index_record(record).issn == "0028-083X"


def test_title_proper_leaves_the_subtitle_and_its_isbd_punctuation_out() -> None:
    record = Record()
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("a", "Светильник Сибири :"),
                Subfield("b", "Жизнеописание святителя Иннокентия /"),
                Subfield("c", "сост. А. Н. Кашеварова."),
            ],
        )
    )
    index = index_record(record)

    assert index.title_proper == "Светильник Сибири"
    assert index.title == "Светильник Сибири : Жизнеописание святителя Иннокентия"
    record["245"]["a"] = "Война и мир ="  # before a parallel title
    assert index_record(record).title_proper == "Война и мир"


def test_author_is_the_main_entry_else_the_first_added_entry() -> None:
    record = Record()
    record.add_field(
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "T")]),
        Field(tag="700", indicators=Indicators("1", " "), subfields=[Subfield("a", "Петров, А.,")]),
        Field(tag="700", indicators=Indicators("1", " "), subfields=[Subfield("a", "Сидоров, Б.")]),
    )
    assert index_record(record).author == "Петров, А."
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Иванов, П.")])
    )
    assert index_record(record).author == "Иванов, П."


def test_empty_record_has_an_empty_index() -> None:
    assert index_record(Record()) == RecordIndex(None, None, None, None, None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("978-602-8021-44-3 (pbk.)", "9786028021443"),
        ("ISBN 0-306-40615-2", "9780306406157"),
        ("ISBN 0-306-40615-x", "9780306406157"),  # a wrong check digit still matches
        ("0 19 852663 6 (pbk) : $12.00", "9780198526636"),
        ("978-5-7749-0800-3 1999", "9785774908003"),
        ("(pbk.) 9780306406157", "9780306406157"),
        ("ISBN-13: 978 0 306 40615 7", "9780306406157"),
        ("pbk.", None),
        ("12345", None),
        ("", None),
    ],
)
def test_normalise_isbn(value: str, expected: str | None) -> None:
    assert normalise_isbn(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0028-0836", "0028-0836"), ("ISSN 1234567x", "1234-567X"), ("n/a", None)],
)
def test_normalise_issn(value: str, expected: str | None) -> None:
    assert normalise_issn(value) == expected
