"""Languages of the pages, and dates and numbers in the reader's locale.

Staff pages speak English and Bahasa Indonesia, the partner portal English and Russian. The
choice is kept in a cookie; without one, the browser's Accept-Language decides.

Messages are gettext catalogs: ``services/exchange/locale/<lang>/LC_MESSAGES/messages.po``, one
per language, with the language's own plural forms (Indonesian has one, Russian three). Babel
compiles them when the process starts, so a translator edits only the ``.po`` file, and there is
no build step to forget. The message ids are the English texts, so English needs no catalog and
an untranslated message still reads. ``make messages`` extracts the ids from the code and the
templates and merges them into each catalog.
"""

from __future__ import annotations

import gettext as _gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from starlette.requests import Request

from workflows.errors import N_ as N_  # one marker for the catalogs, shared with workflows

LOCALE_DIR = Path(__file__).parents[1] / "locale"

STAFF_LANGUAGES = ("en", "id")
PARTNER_LANGUAGES = ("en", "ru")
LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia", "ru": "Русский"}
LANG_COOKIE = "exchange_lang"
_DEFAULT_LOCALE = {"en": "en_GB", "id": "id_ID", "ru": "ru_RU"}


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"


def _compile(code: str) -> _gettext.NullTranslations:
    """The language's catalog, compiled by Babel in memory; English needs none."""
    path = catalog_path(code)
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


TRANSLATIONS: dict[str, _gettext.NullTranslations] = {
    code: _compile(code) for code in LANGUAGE_NAMES
}


@dataclass(frozen=True, slots=True)
class Lang:
    """One reader's language and locale, with the formatters the templates use."""

    code: str
    locale: str
    timezone: ZoneInfo

    def gettext(self, text: str, **values: object) -> str:
        if not text:
            return ""  # gettext("") is the catalog's header
        translated = TRANSLATIONS[self.code].gettext(text)
        return translated.format(**values) if values else translated

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The form the language uses for ``n``; ``{n}`` is written in the reader's locale."""
        translated = TRANSLATIONS[self.code].ngettext(singular, plural, n)
        return translated.format(n=self.number(n), **values)

    def date(self, value: date | None) -> str:
        return format_date(value, format="medium", locale=self.locale) if value else ""

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, format="medium", tzinfo=self.timezone, locale=self.locale)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.locale)


def _accepted(request: Request) -> list[str]:
    """Language tags from Accept-Language, best first (quality values respected)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def _locale_for(code: str, accepted: list[str]) -> str:
    """The browser's own regional variant of the language when it names one (en_US, en_AU)."""
    for tag in accepted:
        if tag.split("_")[0].lower() == code and "_" in tag:
            try:
                return str(Locale.parse(tag))
            except (ValueError, UnknownLocaleError):
                continue
    return _DEFAULT_LOCALE[code]


def choose(request: Request, languages: tuple[str, ...], timezone: ZoneInfo) -> Lang:
    accepted = _accepted(request)
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen not in languages:
        chosen = next(
            (tag.split("_")[0].lower() for tag in accepted if tag.split("_")[0] in languages),
            languages[0],
        )
    assert chosen is not None
    return Lang(code=chosen, locale=_locale_for(chosen, accepted), timezone=timezone)
