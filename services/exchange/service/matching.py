"""Match rules: which identifiers say two records are one publication, in which order.

The rules are data (``MATCH_RULES``, shown at ``GET /api/v1/match-rules``) so that a
cataloguer can read them and a later version can let a library change them. Catalogue
matching trusts identifiers only; matching to exchange lines also compares title, author
and year, because lines are typed by people and often carry no identifier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

import pymarc

import marc
from services.exchange.models import ExchangeLine

MATCH_RULES: dict[str, object] = {
    "catalogue": {
        "points": [
            {"point": "isbn", "key": "isbn", "source": "020 $a (UNIMARC 010 $a), as ISBN-13"},
            {"point": "issn", "key": "issn", "source": "022 $a (UNIMARC 011 $a)"},
            {"point": "system_number", "key": "sys", "source": "035 $a, normalised"},
            {"point": "control_number", "key": "ctl", "source": "001 with its 003 agency"},
        ],
        "decision": (
            "the first point, in this order, on which the record has catalogue candidates "
            "decides: one candidate is merged (holdings + 1), more than one is a multi-match "
            "left for review; no candidate on any point creates a new record"
        ),
    },
    "batch": {
        "decision": (
            "a record sharing any identifier with an earlier record of the same file is "
            "reported as a duplicate and not imported again"
        )
    },
    "exchange_lines": {
        "points": [
            {"point": "isbn", "score": 1.0},
            {"point": "issn", "score": 1.0},
            {"point": "title_author_year", "score": "similarity of the normalised titles"},
        ],
        "title_similarity_at_least": 0.85,
        "year_must_agree_when_both_known": True,
        "normalisation": "Unicode NFKD, diacritics removed, case folded, punctuation removed",
    },
}

TITLE_SIMILARITY = 0.85
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_title(text: str | None) -> str:
    """Case, diacritics and punctuation do not make two titles different (any script)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def record_keys(record: pymarc.Record) -> list[str]:
    """The record's identifiers as match keys, in rule order."""
    keys: list[str] = []
    for field in record.get_fields("020"):
        for value in field.get_subfields("a"):
            isbn = marc.normalise_isbn(value)
            if isbn:
                keys.append(f"isbn:{isbn}")
    for field in record.get_fields("022"):
        for value in field.get_subfields("a"):
            issn = marc.normalise_issn(value)
            if issn:
                keys.append(f"issn:{issn}")
    for field in record.get_fields("035"):
        for value in field.get_subfields("a"):
            number = marc.normalise_system_number(value)
            if number:
                keys.append(f"sys:{number}")
    control = record.get_fields("001")
    agency = record.get_fields("003")
    if control and agency and control[0].data and agency[0].data:
        keys.append(f"ctl:{agency[0].data.strip()}|{control[0].data.strip()}")
    return list(dict.fromkeys(keys))


def catalogue_decision(
    keys: list[str], candidates_by_key: dict[str, set[int]]
) -> tuple[str, list[int]]:
    """("create", []) or ("merge", [id]) or ("multi_match", ids), per the rules' order."""
    for prefix in ("isbn:", "issn:", "sys:", "ctl:"):
        found: set[int] = set()
        for key in keys:
            if key.startswith(prefix):
                found |= candidates_by_key.get(key, set())
        if len(found) == 1:
            return "merge", sorted(found)
        if found:
            return "multi_match", sorted(found)
    return "create", []


@dataclass(frozen=True, slots=True)
class LineTarget:
    line_id: str
    isbn: str | None
    issn: str | None
    title: str
    author: str
    year: str | None

    @classmethod
    def of(cls, line: ExchangeLine) -> LineTarget:
        return cls(
            line_id=line.id,
            isbn=marc.normalise_isbn(line.isbn) if line.isbn else None,
            issn=marc.normalise_issn(line.issn) if line.issn else None,
            title=normalise_title(line.title),
            author=normalise_title(line.author),
            year=str(line.year) if line.year else None,
        )


def match_line(targets: list[LineTarget], keys: list[str], idx: marc.RecordIndex) -> str | None:
    """The exchange line this record describes, if any."""
    key_set = set(keys)
    for target in targets:
        if target.isbn and f"isbn:{target.isbn}" in key_set:
            return target.line_id
        if target.issn and f"issn:{target.issn}" in key_set:
            return target.line_id
    title = normalise_title(idx.title)
    if not title:
        return None
    best: tuple[float, str] | None = None
    for target in targets:
        if target.year and idx.year and target.year != idx.year:
            continue
        score = SequenceMatcher(None, title, target.title).ratio()
        if target.author and idx.author:
            author = normalise_title(idx.author)
            if author and target.author not in author and author not in target.author:
                score -= 0.1
        if score >= TITLE_SIMILARITY and (best is None or score > best[0]):
            best = (score, target.line_id)
    return best[1] if best else None
