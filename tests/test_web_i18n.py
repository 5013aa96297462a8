"""Every text a person reads is in the gettext catalogs, translated, with real plural forms.

The messages are extracted from the code and the templates with Babel, the same extraction
``make messages`` runs, so a new ``_()``, ``ngettext`` or ``N_`` without its translations fails
here. Staff pages need Bahasa Indonesia, the partner portal Russian, the pages both sides see
(and everything outside the two page folders: history notes, errors, e-mails) both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.exchange.web.i18n import LANGUAGE_NAMES, TRANSLATIONS, catalog_path
from services.exchange.web.words import DATA_WORDS
from workflows.exchange import types as shared

ROOT = Path(__file__).parents[1]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
METHODS = [
    ("services/**.py", "python"),
    ("workflows/**.py", "python"),
    ("services/exchange/web/templates/**.html", "jinja2"),
]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_STAFF = re.compile(r"web/(templates/staff/|staff[a-z_]*\.py$)")
_PORTAL = re.compile(r"web/(templates/portal/|portal[a-z_]*\.py$)")

Message = str | tuple[str, str]


def _languages(path: str) -> tuple[str, ...]:
    if _STAFF.search(path):
        return ("id",)
    if _PORTAL.search(path):
        return ("ru",)
    return ("id", "ru")


@cache
def _extracted() -> dict[Message, set[str]]:
    """Every message in the code and templates, with the languages it needs."""
    found: dict[Message, set[str]] = {}
    for directory in ("services", "workflows"):
        for path, _, message, _, _ in extract_from_dir(
            ROOT / directory,
            method_map=[(p.split("/", 1)[1], m) for p, m in METHODS if p.startswith(directory)],
            keywords=KEYWORDS,
        ):
            key: Message = message if isinstance(message, str) else (message[0], message[1])
            if key:
                found.setdefault(key, set()).update(_languages(f"{directory}/{path}"))
    return found


@cache
def _catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language)


def _needed(language: str) -> Iterator[Message]:
    return (m for m, languages in _extracted().items() if language in languages)


def test_the_extraction_finds_the_pages_messages() -> None:
    messages = _extracted()
    assert len(messages) > 300
    assert "Decision recorded." in messages  # a flash message marked in Python
    assert "written_off" in messages  # a data word


@pytest.mark.parametrize("language", ["id", "ru"])
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(language)
    missing = []
    for message in _needed(language):
        entry = catalog.get(message if isinstance(message, str) else message[0])
        if entry is None or entry.fuzzy or not all(_forms(entry.string)):
            missing.append(message)
    assert sorted(map(str, missing)) == []


@pytest.mark.parametrize("language", ["id", "ru"])
def test_plural_messages_have_every_form_of_the_language(language: str) -> None:
    catalog = _catalog(language)
    plurals = [m for m in _needed(language) if isinstance(m, tuple)]
    for singular, plural in plurals:
        entry = catalog.get(singular)
        assert entry is not None, singular
        assert entry.id == (singular, plural), f"{singular}: the catalog's plural differs"
        assert len(_forms(entry.string)) == catalog.num_plurals, singular


def test_the_catalogs_plural_rules_are_the_languages() -> None:
    """Russian says 1 экземпляр, 2 экземпляра, 5 экземпляров, 21 экземпляр; Indonesian one form."""
    assert _catalog("id").num_plurals == 1
    assert _catalog("ru").num_plurals == 3
    plural = TRANSLATIONS["ru"].plural  # type: ignore[attr-defined]
    assert [plural(n) for n in (1, 2, 5, 11, 21, 22, 111, 1000)] == [0, 1, 2, 2, 0, 1, 2, 2]


@pytest.mark.parametrize("language", ["id", "ru"])
def test_translations_keep_their_placeholders(language: str) -> None:
    for entry in _catalog(language):
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        wanted = set().union(*(_PLACEHOLDER.findall(i) for i in ids))
        for form in filter(None, _forms(entry.string)):  # empty: not needed, English shows
            # One form may leave {n} out ("одна"), never add or rename a placeholder.
            assert set(_PLACEHOLDER.findall(form)) <= wanted, (entry.id, form)
            assert set(_PLACEHOLDER.findall(form)) >= wanted - {"n"}, (entry.id, form)


@pytest.mark.parametrize("language", ["id", "ru"])
def test_the_catalogs_hold_no_message_the_code_no_longer_uses(language: str) -> None:
    used = {m if isinstance(m, str) else m[0] for m in _extracted()}
    stale = sorted(e.id if isinstance(e.id, str) else e.id[0] for e in _catalog(language) if e.id)
    assert [m for m in stale if m not in used] == []


def test_data_words_are_listed_for_the_catalogs() -> None:
    """States, steps, claim kinds and claim states appear on every exchange page."""
    words = {
        value
        for name, value in vars(shared).items()
        if isinstance(value, str)
        and (name.startswith("CLAIM_") or name.isupper())
        and value.islower()
        and value.isidentifier()
        and not name.startswith(("ERR_", "WORKFLOW"))
    }
    assert "proposed" in words and "written_off" in words
    assert sorted(words - set(DATA_WORDS)) == []


def test_every_language_of_the_pages_compiles() -> None:
    assert set(TRANSLATIONS) == set(LANGUAGE_NAMES)
    for code in ("id", "ru"):
        assert TRANSLATIONS[code].gettext("Sign out") != "Sign out"


def _forms(string: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if string is None:
        return [""]
    return [string] if isinstance(string, str) else list(string)
