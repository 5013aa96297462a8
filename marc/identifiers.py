"""Normalising standard numbers so the same book matches however it was typed.

Cataloguers write "978-5-7749-0800-3 (pbk.)", "ISBN 5774908004" or "0-306-40615-2";
UNIMARC puts the ISBN in 010, MARC 21 in 020, and one partner gives the ISBN-10 where
another gives the ISBN-13. Every ISBN is therefore compared as ISBN-13. Check digits
are not required for matching (real records carry wrong ones, and a record should
still be found by the number printed on the book); ``isbn_problem`` and
``issn_problem`` report them for the record checks, and ``isbn_fault`` and
``issn_fault`` say the same in parts, for a message in the reader's language.

This module is the one place that says how a number is written down:

- ``storable_isbn``: the form a typed ISBN is kept in (exchange lines, the API's and the
  portal's offers): hyphens, spaces and qualifiers removed, ``x`` as ``X``, an ISBN-10
  kept as the ten digits printed on the book.
- ``normalise_isbn``: the matching key, always ISBN-13. The fund and the catalogue store
  this form (since migration 0004), so a deposit of the ISBN-10 finds the ISBN-13's item.
- ``normalise_issn``: ISSNs everywhere as ``NNNN-NNNX``, with the hyphen, as printed.
"""

import re
from dataclasses import dataclass

_ISBN_CANDIDATE = re.compile(r"\d[\d\s\-]*[\dX]|\d")
_ISBN_PREFIX = re.compile(r"^\s*ISBN(?:[\s\-]*1[03])?\s*:?\s*", re.IGNORECASE)
_ISSN = re.compile(r"(?<![\dX])(\d{4})[\s\-]?(\d{3}[\dX])(?![\dX])")
_LCCN = re.compile(r"[a-z]{0,3}(?:\d{8}|\d{10})")
_SYSTEM_NUMBER = re.compile(r"^\(\s*([^)]*?)\s*\)\s*(.*)$", re.DOTALL)
_CHECK_CHARACTERS = frozenset("0123456789Xx")
_OCLC_PREFIX = re.compile(r"^(?:ocm|ocn|on)", re.IGNORECASE)


def normalise_isbn(value: str) -> str | None:
    """The first ISBN in ``value`` as ISBN-13 digits, else None.

    An ISBN-10 becomes the ISBN-13 of the same book (978, its first nine digits, a new
    check digit), so both forms of one number compare equal.
    """
    compact = _first_isbn(value)
    if compact is None:
        return None
    if len(compact) == 10:
        core = "978" + compact[:9]
        return core + _isbn13_check_digit(core)
    return compact


def storable_isbn(value: str) -> str | None:
    """The first ISBN in ``value`` as it is kept: its digits (and a final ``X``) only, an
    ISBN-10 still ten digits long; None when ``value`` holds no ISBN."""
    return _first_isbn(value)


# What ``isbn_fault`` and ``issn_fault`` find wrong.
NO_ISBN = "no_isbn"
ISBN_PREFIX = "isbn_prefix"
ISBN_CHECK_DIGIT = "isbn_check_digit"
NO_ISSN = "no_issn"
ISSN_CHECK_DIGIT = "issn_check_digit"


@dataclass(frozen=True, slots=True)
class IdentifierFault:
    """What is wrong with a standard number, in parts a message can be written from.

    ``number`` is the compact number found (empty when none was); ``found`` and
    ``expected`` are the check digit given and the one the other digits give.
    """

    kind: str
    value: str
    number: str = ""
    found: str = ""
    expected: str = ""


def isbn_fault(value: str) -> IdentifierFault | None:
    """What is wrong with the ISBN in ``value``, or None if it is a valid ISBN-10 or -13
    (978 or 979)."""
    compact = _first_isbn(value)
    if compact is None:
        return IdentifierFault(NO_ISBN, value)
    if len(compact) == 10:
        expected = _isbn10_check_digit(compact[:9])
    else:
        if not compact.startswith(("978", "979")):
            return IdentifierFault(ISBN_PREFIX, value, compact)
        expected = _isbn13_check_digit(compact[:12])
    if compact[-1] != expected:
        return IdentifierFault(ISBN_CHECK_DIGIT, value, compact, compact[-1], expected)
    return None


def isbn_problem(value: str) -> str | None:
    """What is wrong with the ISBN in ``value``, or None if it is a valid ISBN."""
    fault = isbn_fault(value)
    if fault is None:
        return None
    if fault.kind == NO_ISBN:
        return f"'{value}' holds no ISBN (10 or 13 digits)"
    if fault.kind == ISBN_PREFIX:
        return f"ISBN {fault.number} does not start with 978 or 979"
    return (
        f"ISBN {fault.number} has check digit {fault.found}, but its digits give {fault.expected}"
    )


def normalise_issn(value: str) -> str | None:
    """The first ISSN in ``value`` as NNNN-NNNX, else None."""
    match = _ISSN.search(value.upper())
    return f"{match.group(1)}-{match.group(2)}" if match else None


def issn_fault(value: str) -> IdentifierFault | None:
    """What is wrong with the ISSN in ``value``, or None if it is a valid ISSN."""
    issn = normalise_issn(value)
    if issn is None:
        return IdentifierFault(NO_ISSN, value)
    digits = issn.replace("-", "")
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:7], range(8, 1, -1), strict=True)
    )
    expected = "0123456789X"[(11 - total % 11) % 11]
    if digits[-1] != expected:
        return IdentifierFault(ISSN_CHECK_DIGIT, value, issn, digits[-1], expected)
    return None


def issn_problem(value: str) -> str | None:
    """What is wrong with the ISSN in ``value``, or None if it is a valid ISSN."""
    fault = issn_fault(value)
    if fault is None:
        return None
    if fault.kind == NO_ISSN:
        return f"'{value}' holds no ISSN (NNNN-NNNX)"
    return (
        f"ISSN {fault.number} has check digit {fault.found}, but its digits give {fault.expected}"
    )


def normalise_lccn(value: str) -> str | None:
    """A Library of Congress Control Number in LC's normalised form, else None.

    LC's rule: remove blanks; drop a slash and what follows it; remove a hyphen and
    left-pad what followed it to six digits; "n 78-890351" becomes "n78890351".
    """
    text = "".join(value.split()).lower()
    text = text.split("/", 1)[0]
    if "-" in text:
        before, _, after = text.partition("-")
        if after.isdigit() and len(after) < 6:
            after = after.zfill(6)
        text = before + after
    return text if _LCCN.fullmatch(text) else None


def normalise_system_number(value: str) -> str | None:
    """A 035 system control number as "(agency)number", else None.

    Blanks around the parts go, and OCLC numbers lose their ocm/ocn/on prefix and
    leading zeros, so "(OCoLC)ocm00012345" and "(OCoLC) 12345" are one number. A number
    without an agency is returned trimmed.
    """
    text = value.strip()
    if not text:
        return None
    match = _SYSTEM_NUMBER.match(text)
    if match is None:
        return text
    agency, number = match.group(1), match.group(2).strip()
    if not number:
        return None
    if agency.upper() == "OCOLC":
        digits = _OCLC_PREFIX.sub("", number).lstrip("0")
        return f"(OCoLC){digits or '0'}"
    return f"({agency}){number}"


def _first_isbn(value: str) -> str | None:
    # Most values are the bare number, perhaps followed by a qualifier: no regex needed.
    if len(value) >= 13 and value[:13].isdigit() and not value[13:14].isalnum():
        return value[:13]
    if (
        len(value) >= 10
        and value[:9].isdigit()
        and value[9] in _CHECK_CHARACTERS
        and not value[10:11].isalnum()
    ):
        return value[:10].upper()
    text = _ISBN_PREFIX.sub("", value.upper())
    for match in _ISBN_CANDIDATE.finditer(text):
        # "0 19 852663 6" is one ISBN, "978-5-7749-0800-3 1999" an ISBN and a year:
        # try the space-separated pieces from the left until they make an ISBN.
        compact = ""
        for piece in match.group().split():
            compact += piece.replace("-", "")
            if _is_isbn_shaped(compact):
                return compact
            if len(compact) > 13:
                break
    return None


def _is_isbn_shaped(compact: str) -> bool:
    if len(compact) == 13:
        return compact.isdigit()
    return len(compact) == 10 and compact[:9].isdigit() and compact[9] in "0123456789X"


def _isbn10_check_digit(first_nine: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    return "0123456789X"[(11 - total % 11) % 11]


def _isbn13_check_digit(first_twelve: str) -> str:
    total = sum(
        int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first_twelve)
    )
    return str((10 - total % 10) % 10)
