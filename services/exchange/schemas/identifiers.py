"""ISBN and ISSN fields of requests: checked digit by digit, and kept in one form.

A wrong check digit is a typing error nine times out of ten, and once stored it matches
nothing (the fund, the catalogue, a partner's records), so the API and the pages refuse it
with a 422 that names the field, says what is wrong and gives the check digit the other
digits call for. What is stored is ``marc.storable_isbn`` (digits only, an ISBN-10 kept as
printed) and ``marc.normalise_issn`` (``NNNN-NNNX``); see ``marc/identifiers.py``.

The messages are catalog message ids (``N_``), with the values in the error's context, so
a page shows them in the reader's language beside the field (``web/field_errors.py``).
MARC imports are not checked here: real records carry wrong digits and are still matched.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

import marc
from marc.identifiers import (
    ISBN_CHECK_DIGIT,
    ISBN_PREFIX,
    ISSN_CHECK_DIGIT,
    NO_ISBN,
    NO_ISSN,
    IdentifierFault,
)
from workflows.errors import N_

MESSAGES = {
    NO_ISBN: N_("'{value}' is not an ISBN: an ISBN has 10 or 13 digits (the last may be X)"),
    ISBN_PREFIX: N_("ISBN {number} does not start with 978 or 979"),
    ISBN_CHECK_DIGIT: N_(
        "ISBN {number} ends in check digit {found}, but its other digits give {expected}: "
        "please check the number"
    ),
    NO_ISSN: N_("'{value}' is not an ISSN: an ISSN has 8 characters, NNNN-NNNX"),
    ISSN_CHECK_DIGIT: N_(
        "ISSN {number} ends in check digit {found}, but its other digits give {expected}: "
        "please check the number"
    ),
}


def _refused(fault: IdentifierFault) -> PydanticCustomError:
    shown = fault.value if len(fault.value) <= 40 else fault.value[:40] + "…"
    return PydanticCustomError(
        fault.kind,
        MESSAGES[fault.kind],
        {
            "value": shown,
            "number": fault.number,
            "found": fault.found,
            "expected": fault.expected,
        },
    )


def checked_isbn(value: str) -> str:
    """The ISBN as stored, or a validation error saying what is wrong with it."""
    fault = marc.isbn_fault(value)
    if fault is not None:
        raise _refused(fault)
    stored = marc.storable_isbn(value)
    assert stored is not None  # a number without a fault was found
    return stored


def checked_issn(value: str) -> str:
    """The ISSN as stored (``NNNN-NNNX``), or a validation error saying what is wrong."""
    fault = marc.issn_fault(value)
    if fault is not None:
        raise _refused(fault)
    stored = marc.normalise_issn(value)
    assert stored is not None
    return stored


Isbn = Annotated[str, StringConstraints(max_length=32), AfterValidator(checked_isbn)]
Issn = Annotated[str, StringConstraints(max_length=16), AfterValidator(checked_issn)]
