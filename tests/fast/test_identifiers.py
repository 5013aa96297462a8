"""ISBN and ISSN check digits as the API and the pages take them (issue 19, item 9).

Real numbers of real publications, each also with one digit mistyped: a deposit or an offered
line with a wrong check digit is refused with the field, what is wrong and the digit expected,
and a good number is stored in the one form ``marc/identifiers.py`` documents.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from marc import isbn_fault, issn_fault, normalise_isbn, storable_isbn
from services.exchange.schemas.exchanges import LineIn, ProposalIn
from services.exchange.schemas.fund import DepositIn

# (as printed on the book, stored form, ISBN-13 it is compared as)
REAL_ISBNS = [
    # Kernighan and Ritchie, The C Programming Language, 2nd ed. (Prentice Hall, 1988)
    ("0-13-110362-8", "0131103628", "9780131103627"),
    ("978-0-13-110362-7", "9780131103627", "9780131103627"),
    # Abelson and Sussman, Structure and Interpretation of Computer Programs, 2nd ed.
    ("0-262-51087-1", "0262510871", "9780262510875"),
    # Knuth, The Art of Computer Programming, vol. 1, 3rd ed. (Addison-Wesley)
    ("ISBN 978-0-201-89683-1", "9780201896831", "9780201896831"),
    # Hunt and Thomas, The Pragmatic Programmer (Addison-Wesley, 1999): check digit X
    ("0-201-61622-x", "020161622X", "9780201616224"),
    # Pramoedya Ananta Toer, Bumi Manusia (Lentera Dipantara): group 979, Indonesia
    ("979-97312-3-2", "9799731232", "9789799731234"),
    # A Seoul Metropolitan Government publication: the 979 prefix (979-11, South Korea)
    ("979 11 6599 305 4", "9791165993054", "9791165993054"),
]
# (typed, with one digit wrong, the check digit found, the one the other digits give)
WRONG_ISBNS = [
    ("0-13-110362-9", "9", "8"),
    ("978-0-13-110362-1", "1", "7"),
    ("0-201-61622-2", "2", "X"),
    ("979-11-6599-305-7", "7", "4"),
]
# Nature, Science, The Lancet, The Astrophysical Journal (check digit X), PNAS
REAL_ISSNS = [
    ("0028-0836", "0028-0836"),
    ("0036 8075", "0036-8075"),
    ("01406736", "0140-6736"),
    ("0004-637x", "0004-637X"),
    ("ISSN 0027-8424", "0027-8424"),
]
WRONG_ISSNS = [("0028-0837", "7", "6"), ("0004-6371", "1", "X")]


@pytest.mark.parametrize(("typed", "stored", "as_isbn13"), REAL_ISBNS)
def test_a_real_isbn_is_stored_without_hyphens_and_compared_as_isbn13(
    typed: str, stored: str, as_isbn13: str
) -> None:
    assert isbn_fault(typed) is None
    assert storable_isbn(typed) == stored
    assert normalise_isbn(stored) == as_isbn13 == normalise_isbn(typed)
    line = LineIn.model_validate({"title": "x", "isbn": typed, "quantity": 1})
    assert line.isbn == stored  # the portal's and the API's lines keep the number as printed
    deposit = DepositIn.model_validate({"title": "x", "isbn": typed, "copies": 1})
    assert deposit.isbn == stored  # the fund then keys it as ISBN-13 (service/fund.py)


def _refusal(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    (error,) = caught.value.errors()
    return dict(error)


@pytest.mark.parametrize(("typed", "found", "expected"), WRONG_ISBNS)
def test_a_wrong_isbn_check_digit_is_refused_with_the_digit_expected(
    typed: str, found: str, expected: str
) -> None:
    fault = isbn_fault(typed)
    assert fault is not None and (fault.found, fault.expected) == (found, expected)
    number = typed.replace("-", "").upper()
    error = _refusal(DepositIn, {"title": "x", "isbn": typed, "copies": 1})
    assert error["loc"] == ("isbn",)
    assert error["type"] == "isbn_check_digit"
    assert error["msg"] == (
        f"ISBN {number} ends in check digit {found}, but its other digits give {expected}: "
        "please check the number"
    )
    offer = {
        "lines": [{"title": "ok", "quantity": 1}, {"title": "x", "isbn": typed, "quantity": 1}]
    }
    error = _refusal(ProposalIn, offer)
    assert error["loc"] == ("lines", 1, "isbn")
    assert error["ctx"]["expected"] == expected


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("9770028083605", "isbn_prefix"), ("pbk.", "no_isbn"), ("978-0-13-11036", "no_isbn")],
)
def test_what_is_not_an_isbn_is_refused(typed: str, kind: str) -> None:
    error = _refusal(LineIn, {"title": "x", "isbn": typed, "quantity": 1})
    assert (error["loc"], error["type"]) == (("isbn",), kind)


@pytest.mark.parametrize(("typed", "stored"), REAL_ISSNS)
def test_a_real_issn_is_stored_as_nnnn_nnnx(typed: str, stored: str) -> None:
    assert issn_fault(typed) is None
    assert DepositIn.model_validate({"title": "x", "issn": typed, "copies": 1}).issn == stored
    assert LineIn.model_validate({"title": "x", "issn": typed, "quantity": 1}).issn == stored


@pytest.mark.parametrize(("typed", "found", "expected"), WRONG_ISSNS)
def test_a_wrong_issn_check_digit_is_refused_with_the_digit_expected(
    typed: str, found: str, expected: str
) -> None:
    error = _refusal(DepositIn, {"title": "x", "issn": typed, "copies": 1})
    assert (error["loc"], error["type"]) == (("issn",), "issn_check_digit")
    assert error["msg"] == (
        f"ISSN {typed} ends in check digit {found}, but its other digits give {expected}: "
        "please check the number"
    )
    error = _refusal(LineIn, {"title": "x", "issn": "Nature", "quantity": 1})
    assert error["type"] == "no_issn"
