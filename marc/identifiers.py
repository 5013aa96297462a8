"""Normalising standard numbers so that the same book matches however it was typed.

Cataloguers write "978-5-7749-0800-3 (pbk.)", "ISBN 5774908004" or "0-306-40615-x";
comparing needs the bare characters. Check digits are not verified: real records carry
wrong ones, and a record should still be found by the number printed on the book.
"""

import re

_ISBN_CANDIDATE = re.compile(r"\d[\d\s\-]*[\dX]|\d")
_ISBN_PREFIX = re.compile(r"^\s*ISBN(?:[\s\-]*1[03])?\s*:?\s*", re.IGNORECASE)
_ISSN = re.compile(r"(?<![\dX])(\d{4})[\s\-]?(\d{3}[\dX])(?![\dX])")


def normalise_isbn(value: str) -> str | None:
    """The first ISBN-10 or ISBN-13 in ``value`` as digits (and a final X), else None."""
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


def normalise_issn(value: str) -> str | None:
    """The first ISSN in ``value`` as NNNN-NNNX, else None."""
    match = _ISSN.search(value.upper())
    return f"{match.group(1)}-{match.group(2)}" if match else None
