"""The server's English messages (refusals, errors) in the reader's language.

The workflows, the service layer and the API word their refusals in English, for the API's
``detail`` (which stays English: clients match on it and log it). Their fixed texts and the
templates of those with values ("claim {claim_no} is not open") are marked for the catalogs
(``N_`` in ``workflows/``, which cannot import ``services/``). A page shows such a text through
``translate``: the text itself when the catalog has it, else the catalog message whose template
it fills, with the values taken back out of the English text and put into the translation
(a value that is a data word, like a state, is translated too).
"""

from __future__ import annotations

import re
from functools import cache

from services.exchange.web.i18n import TRANSLATIONS, Lang
from services.exchange.web.words import DATA_WORDS

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_WORDS = frozenset(DATA_WORDS)


def _pattern(msgid: str) -> re.Pattern[str] | None:
    """The regular expression an English text filled from ``msgid`` matches."""
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(msgid[position:]))
    try:
        return re.compile("".join(parts), re.DOTALL)
    except re.error:
        return None


@cache
def _templates(code: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The language's translated messages with placeholders, the most specific first (the
    most fixed words), so "{what}: {problem}" is only tried when nothing closer fits."""
    catalog: dict[object, str] = getattr(TRANSLATIONS[code], "_catalog", {})
    found = []
    for msgid, translated in catalog.items():
        if not isinstance(msgid, str) or not translated or not _PLACEHOLDER.search(msgid):
            continue
        pattern = _pattern(msgid)
        fixed = len(_PLACEHOLDER.sub("", msgid))
        if pattern is not None and fixed >= 3:
            found.append((fixed, msgid, pattern))
    found.sort(key=lambda item: -item[0])
    return tuple((pattern, msgid) for _, msgid, pattern in found)


def translate(lang: Lang, english: str | None) -> str:
    """An English message of the server as the reader's language has it (else as it is)."""
    if not english:
        return ""
    if lang.code == "en":
        return english
    direct = lang.gettext(english)
    if direct != english:
        return direct
    for pattern, msgid in _templates(lang.code):
        match = pattern.fullmatch(english)
        if match is None:
            continue
        values = {
            name: lang.gettext(value) if value in _WORDS else translate(lang, value)
            for name, value in match.groupdict().items()
        }
        return lang.gettext(msgid, **values)
    return english
