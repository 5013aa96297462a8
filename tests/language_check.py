"""What a page in Bahasa Indonesia or Russian must not show, checked against the catalogs.

Used by the browser walk (``tests/test_web_browser_languages.py``): the page's visible text is
read in Chromium, then held against the language's ``.po`` catalog, not a hand-made list:

- English left over: a piece of text that is an English message id the catalog translates
  into something else (a whole text node, or a part of one between separators);
- raw codes: a data word with an underscore (``claim_answer``, ``written_off``) anywhere;
- wrong plurals: every form of every plural message is looked for in the text, and the number
  found in it must take that form by the catalog's plural rule ("2 позиций" fails: 2 takes
  "позиции"); an English plural form found in the text is English left over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import get_group_symbol

from services.exchange.web.i18n import TRANSLATIONS, catalog_path
from services.exchange.web.words import DATA_WORDS, NOTICE_EVENTS

# The text a person sees: visible text nodes, and the options of visible selects.
VISIBLE_TEXT = """
() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, noscript, template, option')) continue;
    if (!parent.checkVisibility({checkVisibilityCSS: true})) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const select of document.querySelectorAll('select')) {
    if (!select.checkVisibility()) continue;
    for (const option of select.options) {
      const text = option.textContent.replace(/\\s+/g, ' ').trim();
      if (text) out.push(text);
    }
  }
  for (const input of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (input.checkVisibility() && input.value) out.push(input.value.trim());
  }
  return out;
}
"""
_SEPARATORS = re.compile(r"\s*(?:[·:;,()\[\]—–|«»\"]|\s-\s)\s*")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SNAKE_CASE = re.compile(r"(?<![\w/.=@-])[a-z]+(?:_[a-z]+)+(?![\w/.@-])")
CODES = tuple(word for word in (*DATA_WORDS, *NOTICE_EVENTS) if "_" in word)


@dataclass(frozen=True)
class _Plural:
    english: tuple[str, str]
    forms: tuple[str, ...]


@cache
def _catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language)


@cache
def _english(language: str) -> frozenset[str]:
    """English texts (without placeholders) the catalog translates into other words."""
    found = set()
    for entry in _catalog(language):
        if isinstance(entry.id, str) and entry.id and isinstance(entry.string, str):
            if entry.string and entry.string != entry.id and not _PLACEHOLDER.search(entry.id):
                found.add(entry.id)
    return frozenset(found)


@cache
def _english_templates(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """English messages with values ("Signed in as {name}") the catalog translates into other
    words, as patterns that find them filled in; only those with words of their own to find."""
    found = []
    for entry in _catalog(language):
        if not (isinstance(entry.id, str) and isinstance(entry.string, str) and entry.string):
            continue
        fixed = _PLACEHOLDER.sub(" ", entry.id)
        if entry.string == entry.id or not _PLACEHOLDER.search(entry.id):
            continue
        if not re.search(r"[A-Za-z]{3,}", fixed):
            continue  # "{what}: {problem}": no English words to find
        parts, position = [], 0
        for match in _PLACEHOLDER.finditer(entry.id):
            parts.append(re.escape(entry.id[position : match.start()]))
            parts.append(r"\d[\d.,\s]*?" if match.group(1) == "n" else r".+?")
            position = match.end()
        parts.append(re.escape(entry.id[position:]))
        found.append((entry.id, re.compile(r"(?<![\w])" + "".join(parts) + r"(?![\w])")))
    return tuple(found)


@cache
def _plurals(language: str) -> tuple[_Plural, ...]:
    found = []
    for entry in _catalog(language):
        forms = entry.string
        if isinstance(entry.id, tuple) and isinstance(forms, (tuple, list)) and all(forms):
            found.append(_Plural((entry.id[0], entry.id[1]), tuple(forms)))
    return tuple(found)


def _pattern(form: str, group: str) -> re.Pattern[str] | None:
    """A form as a regular expression: ``{n}`` a number as the locale writes it, other
    values any text; None when the form has no ``{n}`` to check."""
    if "{n}" not in form:
        return None
    number = rf"(?P<n>\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d+)"
    parts, seen, position = [], False, 0
    for match in _PLACEHOLDER.finditer(form):
        parts.append(re.escape(form[position : match.start()]))
        if match.group(1) == "n" and not seen:
            parts.append(number)
            seen = True
        else:
            parts.append(r"\S+?" if match.group(1) != "n" else r"\d+")
        position = match.end()
    parts.append(re.escape(form[position:]))
    return re.compile(r"(?<![\w.,])" + "".join(parts) + r"(?![\w])")


def problems(language: str, locale: str, texts: list[str]) -> list[str]:
    """Every English leftover, raw code and wrong plural in a page's visible texts."""
    english = _english(language)
    found: list[str] = []
    for text in texts:
        pieces = {text, *filter(None, _SEPARATORS.split(text))}
        found += [f"English: {piece!r} in {text!r}" for piece in sorted(pieces & english)]
    page = "\n".join(texts)
    for msgid, template in _english_templates(language):
        found += [f"English: {m.group(0)!r} ({msgid!r})" for m in template.finditer(page)]
    for code in CODES:
        if re.search(rf"(?<![\w/=-]){re.escape(code)}(?![\w])", page):
            found.append(f"raw code: {code!r}")
    # A code that no list names yet: words joined by underscores are never prose.
    for match in _SNAKE_CASE.finditer(page):
        if match.group(0) not in CODES:
            found.append(f"raw code: {match.group(0)!r}")
    group = get_group_symbol(locale)
    plural_of = TRANSLATIONS[language].plural  # type: ignore[attr-defined]
    # (start, end, fault or None) of every form found; a wrong-looking match inside a longer
    # right one is a part of another message ("из 21 записи" holds "21 записи").
    spans: list[tuple[int, int, str | None]] = []
    for message in _plurals(language):
        for form in dict.fromkeys(message.forms):
            pattern = _pattern(form, group)
            for match in pattern.finditer(page) if pattern else ():
                n = int(re.sub(r"\D", "", match.group("n")))
                wanted = message.forms[plural_of(n)]
                right = wanted == form or _matches(wanted, group, match.group(0))
                fault = None if right else f"plural: {match.group(0)!r} for {n}, not {wanted!r}"
                spans.append((match.start(), match.end(), fault))
        for english_form in message.english:
            pattern = _pattern(english_form, group)
            if pattern and english_form not in message.forms:
                found += [f"English plural: {m.group(0)!r}" for m in pattern.finditer(page)]
    for start, end, fault in spans:
        inside_a_right_one = any(
            s <= start and end <= e and (e - s) > (end - start) and f is None for s, e, f in spans
        )
        if fault and not inside_a_right_one:
            found.append(fault)
    return found


def _matches(form: str, group: str, text: str) -> bool:
    pattern = _pattern(form, group)
    return bool(pattern and pattern.fullmatch(text))
