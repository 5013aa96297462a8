from pymarc import Field, Indicators, Leader, Record, Subfield

from marc import Finding, check_record

from .records import book, unimarc_book


def _messages(record: Record) -> list[tuple[str, str, str]]:
    return [(f.severity, f.tag, f.message) for f in check_record(record)]


def test_a_good_record_has_no_findings() -> None:
    assert check_record(book(isbn="978-0-306-40615-7")) == []


def test_title_must_be_present_and_single() -> None:
    record = book(isbn="978-0-306-40615-7")
    record.remove_fields("245")

    assert _messages(record) == [("error", "245", "The record has no title (field 245).")]

    record.add_field(*book().get_fields("245"), *book().get_fields("245"))
    assert ("error", "245", "Field 245 occurs 2 times; it may occur only once.") in _messages(
        record
    )


def test_one_main_entry_at_most() -> None:
    record = book(isbn="978-0-306-40615-7")
    record.add_field(
        Field(tag="110", indicators=Indicators("2", " "), subfields=[Subfield("a", "Body")])
    )

    assert _messages(record) == [
        ("error", "100", "The record has more than one main entry (100, 110).")
    ]


def test_indicators_subfield_codes_and_empty_values() -> None:
    record = book(isbn="978-0-306-40615-7")
    record.add_field(
        Field(tag="650", indicators=Indicators("9", "0"), subfields=[Subfield("A", "")])
    )

    assert _messages(record) == [
        ("error", "650", "First indicator of field 650 is '9'; it must be blank, 0, 1 or 2."),
        ("error", "650", "Field 650 has subfield code 'A'; codes are lowercase letters or digits."),
        ("warning", "650", "Field 650 $A is empty."),
    ]


def test_isbn_and_issn_check_digits() -> None:
    record = book(isbn="0-306-40615-3")
    record.add_field(
        Field(tag="022", indicators=Indicators(" ", " "), subfields=[Subfield("a", "0028-0837")])
    )

    assert _messages(record) == [
        (
            "warning",
            "020",
            "020 $a: ISBN 0306406153 has check digit 3, but its digits give 2.",
        ),
        (
            "warning",
            "022",
            "022 $a: ISSN 0028-0837 has check digit 7, but its digits give 6.",
        ),
    ]


def test_leader_and_008() -> None:
    record = book(isbn="978-0-306-40615-7", fixed="too short", leader="00000nsm a2200000 i 4500")

    assert _messages(record) == [
        (
            "error",
            "LDR",
            "Leader/06 (type of record) is 's'; MARC 21 allows a, c, d, e, f, g, i, j, k, m, o, "
            "p, r or t.",
        )
    ]
    record.leader = Leader("00000nam a2200000 i 4500")
    assert _messages(record) == [("error", "008", "Field 008 is 9 characters; it must be 40.")]


def test_authority_records_get_structural_checks_only() -> None:
    record = Record()
    record.leader = Leader("00000nz  a2200000n  4500")
    record.add_field(
        Field(tag="001", data="n1"),
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Tolstoy")]),
    )

    assert check_record(record) == []


def test_unimarc_records_are_checked_for_their_own_title_and_100() -> None:
    record = unimarc_book()

    assert check_record(record, "unimarc") == []
    record.remove_fields("200", "100")
    assert check_record(record, "unimarc") == [
        Finding("error", "200", "The record has no title (field 200)."),
        Finding("error", "100", "The record has no general processing data (100)."),
    ]


def test_886_b_holding_blank_indicators_is_not_empty() -> None:
    # MARC 21 886 $b holds the foreign field's indicators, and blanks are indicators.
    record = book(isbn="978-0-306-40615-7")
    record.add_field(
        Field(
            tag="886",
            indicators=Indicators("2", " "),
            subfields=[
                Subfield("2", "rusmarc"),
                Subfield("a", "899"),
                Subfield("b", "  "),
                Subfield("a", "NLR"),
            ],
        ),
        Field(
            tag="886",
            indicators=Indicators("2", " "),
            subfields=[Subfield("2", "rusmarc"), Subfield("a", "899"), Subfield("b", "")],
        ),
    )

    assert _messages(record) == [("warning", "886", "Field 886 $b is empty.")]
