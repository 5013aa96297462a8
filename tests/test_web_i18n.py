"""Every message a page shows has its translations: Bahasa Indonesia on staff pages, Russian
on the partner portal, both on the pages the two share."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.exchange.web.messages import CATALOGS
from workflows.exchange import types as shared

TEMPLATES = Path(__file__).parents[1] / "services" / "exchange" / "web" / "templates"
WEB = TEMPLATES.parent
_MESSAGE = re.compile(r"""_\((["'])((?:(?!\1).)+)\1""")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _languages(template: Path) -> tuple[str, ...]:
    part = template.relative_to(TEMPLATES).parts[0]
    return {"staff": ("id",), "portal": ("ru",)}.get(part, ("id", "ru"))


def _messages() -> list[tuple[str, str, str]]:
    """(template, language, message) for every message used in a template."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in _MESSAGE.finditer(template.read_text()):
            for language in _languages(template):
                found.append((template.name, language, match.group(2)))
    return found


def test_the_templates_use_messages() -> None:
    assert len({m for _, _, m in _messages()}) > 200


@pytest.mark.parametrize("language", ["id", "ru"])
def test_every_message_is_translated(language: str) -> None:
    missing = sorted(
        {f"{t}: {m}" for t, lang, m in _messages() if lang == language}
        - {f"{t}: {m}" for t, lang, m in _messages() if m in CATALOGS[language]}
    )
    assert missing == []


@pytest.mark.parametrize("language", ["id", "ru"])
def test_translations_keep_their_placeholders(language: str) -> None:
    for english, translated in CATALOGS[language].items():
        assert set(_PLACEHOLDER.findall(english)) == set(_PLACEHOLDER.findall(translated)), english


def test_data_words_are_translated_on_both_sides() -> None:
    """States, claim kinds and claim states appear on every exchange page."""
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
    for language in ("id", "ru"):
        assert sorted(w for w in words if w not in CATALOGS[language]) == []


def test_flash_messages_of_the_handlers_are_translated() -> None:
    """The confirmations the handlers pass to the next page, in the languages of their side."""
    sides = {
        "staff.py": ("id",),
        "staff_proposals.py": ("id",),
        "staff_partners.py": ("id",),
        "portal.py": ("ru",),
        "exchange_pages.py": ("id", "ru"),
        "batch_pages.py": ("id", "ru"),
    }
    seen = set()
    for module, languages in sides.items():
        text = (WEB / module).read_text()
        for message in re.findall(r'"([A-Z][^"]+\.)"\s*(?:,\s*step|\)|,\s*request)', text):
            seen.add(message)
            for language in languages:
                assert message in CATALOGS[language], (module, language, message)
    assert {"Decision recorded.", "Offer sent.", "Proposal sent."} <= seen
