"""Reading numbers and dates from forms and query strings, the same way on every page.

A field that cannot be read raises ``FormError`` with a message for the reader, which the
handler shows as a validation problem; the service layer then checks what the values mean.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from starlette.datastructures import FormData

from services.exchange.web.i18n import N_
from services.exchange.web.pages import field

_DIGITS = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,6})?")


class FormError(ValueError):
    """A field that cannot be read (a count that is not a number).

    It names the field and keeps its message as a message id with parameters, so a page can
    show it beside the field in the reader's language; ``str()`` is the English sentence.
    """

    def __init__(self, name: str, label: str, text: str, **params: object) -> None:
        super().__init__(f"{label}: {text.format(**params)}")
        self.name = name
        self.text = text
        self.params = params


def whole_number(form: FormData, name: str, label: str) -> int | None:
    value = field(form, name)
    if value is None:
        return None
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise FormError(
            name, label, N_("'{value}' is not a whole number (up to 9 digits)"), value=shown
        )
    return int(value)


def day(form: FormData, name: str, label: str) -> date | None:
    value = field(form, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(
            name, label, N_("'{value}' is not a date (YYYY-MM-DD)"), value=value
        ) from None


def small_number(value: str | None) -> int | None:
    """A count or id from a query string; anything else (or absurdly large) is ignored."""
    return int(value) if value and _DIGITS.fullmatch(value) else None


def decimal_number(form: FormData, name: str, label: str) -> Decimal | None:
    """An amount (a value, a cost, a rate, a tolerance): digits with a point or, as
    Indonesian and Russian write it, a comma before the decimals."""
    value = field(form, name)
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise FormError(name, label, N_("'{value}' is not an amount (e.g. 12.50)"), value=shown)
    return Decimal(value.replace(",", "."))


# A proposal line's optional fields on the review page, named ``<field>-<key>`` (the key is
# the fund item's id), and the names the API gives them.
LINE_EXTRAS = {
    "value": "unit_value",
    "currency": "currency",
    "cost": "purchase_cost",
    "language": "language",
    "weight": "weight_grams",
}


def line_extras(form: FormData, key: str) -> dict[str, object]:
    """The optional fields typed for one proposal line, as ``LineIn`` names them; the empty
    ones left out (the line's defaults). Currency codes are read in capitals and language
    codes in small letters, as people type either; ``LineIn`` checks what they mean."""
    currency = field(form, f"currency-{key}")
    language = field(form, f"language-{key}")
    found: dict[str, object | None] = {
        "unit_value": decimal_number(form, f"value-{key}", "value of one copy"),
        "currency": currency.upper() if currency else None,
        "purchase_cost": decimal_number(form, f"cost-{key}", "purchase cost"),
        "language": language.lower() if language else None,
        "weight_grams": whole_number(form, f"weight-{key}", "weight"),
    }
    return {name: value for name, value in found.items() if value is not None}
