"""Countries by name in the reader's language, for addresses (ISO 3166-1 alpha-2 codes)."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale

from services.exchange.schemas.partner_contacts import COUNTRIES
from services.exchange.web.i18n import Lang


@lru_cache(maxsize=8)
def _names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {code: str(territories.get(code, code)) for code in COUNTRIES}


def country_names(lang: Lang) -> dict[str, str]:
    """Every ISO 3166-1 country code and its name as the reader's locale writes it (CLDR)."""
    return _names(lang.locale)


def country_choices(lang: Lang) -> list[tuple[str, str]]:
    """(code, name) pairs in the order of the names, for a select."""
    return sorted(country_names(lang).items(), key=lambda pair: pair[1])
