import pytest

from marc import (
    isbn_problem,
    issn_problem,
    normalise_isbn,
    normalise_lccn,
    normalise_system_number,
)


@pytest.mark.parametrize(
    "typed",
    ["0-306-40615-2", "ISBN 0306406152", "978-0-306-40615-7", "9780306406157 (pbk.)"],
)
def test_isbn_10_and_13_of_one_book_match(typed: str) -> None:
    assert normalise_isbn(typed) == "9780306406157"


def test_a_unimarc_010_matches_a_marc21_020() -> None:
    # 010 $a as a Russian partner types it, 020 $a as an Indonesian one does.
    assert normalise_isbn("5-7749-0800-4") == normalise_isbn("978-5-7749-0800-4 (в пер.)")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0-306-40615-2", None),
        ("978-0-306-40615-7", None),
        ("0-8044-2957-X", None),
        ("0-306-40615-3", "ISBN 0306406153 has check digit 3, but its digits give 2"),
        ("9770306406157", "ISBN 9770306406157 does not start with 978 or 979"),
        ("pbk.", "'pbk.' holds no ISBN (10 or 13 digits)"),
    ],
)
def test_isbn_check_digits(value: str, problem: str | None) -> None:
    assert isbn_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0028-0836", None),
        ("0317-8471", None),
        ("2049-3630", None),
        ("0028-0837", "ISSN 0028-0837 has check digit 7, but its digits give 6"),
        ("n/a", "'n/a' holds no ISSN (NNNN-NNNX)"),
    ],
)
def test_issn_check_digits(value: str, problem: str | None) -> None:
    assert issn_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("n 78-890351", "n78890351"),
        ("85-2 ", "85000002"),
        ("75-425165//r75", "75425165"),
        (" 79139101 /AC/r932", "79139101"),
        ("   00020737 ", "00020737"),
        ("2001-000002", "2001000002"),
        ("not an lccn", None),
    ],
)
def test_normalise_lccn(value: str, expected: str | None) -> None:
    assert normalise_lccn(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(OCoLC)ocm00012345", "(OCoLC)12345"),
        ("(OCoLC) 12345", "(OCoLC)12345"),
        ("(ocolc)on1234567890", "(OCoLC)1234567890"),
        ("(DLC)   93707283", "(DLC)93707283"),
        (" ( RU-SpRNB ) RU\\NLR\\bibl\\3415 ", "(RU-SpRNB)RU\\NLR\\bibl\\3415"),
        ("12345", "12345"),
        ("(DLC)", None),
        ("  ", None),
    ],
)
def test_normalise_system_number(value: str, expected: str | None) -> None:
    assert normalise_system_number(value) == expected
