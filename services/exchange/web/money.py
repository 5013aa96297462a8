"""Amounts of money on the pages, in the reader's locale and with the currency's own decimals.

``Lang.number`` writes a count; a declared value or an exchange rate needs its currency and
its cents kept ("10,50 €", not "10,5"), which Babel's currency formats give for every locale.
This is the one way an amount is written, on the pages and in the PDFs alike (the yearly
report's sums per currency are ``amounts``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from services.exchange.web.i18n import Lang

Money = Callable[[Decimal | None, str | None], str]


def money(lang: Lang) -> Money:
    """The templates' ``money(amount, currency)``: an amount in the reader's locale."""

    def written(amount: Decimal | None, currency: str | None) -> str:
        if amount is None:
            return ""
        if not currency:
            return format_decimal(amount, format="#,##0.00", locale=lang.locale)
        return format_currency(amount, currency, locale=lang.locale)

    return written


def amounts(lang: Lang, found: Mapping[str, Decimal]) -> str:
    """Amounts in several currencies (a year's values), each as ``money`` writes it: in
    Indonesian ``Rp550.000,00; US$12,50``."""
    written = money(lang)
    return "; ".join(written(amount, currency) for currency, amount in found.items())


def rate(lang: Lang, value: Decimal) -> str:
    """An exchange rate as staff recorded it, all its decimals kept (up to six)."""
    return format_decimal(value, format="#,##0.######", locale=lang.locale)
