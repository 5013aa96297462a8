"""Match rules: which identifiers say two records are one publication, in which order.

The rules are data (``MATCH_RULES``, shown at ``GET /api/v1/match-rules``) so that a
cataloguer can read them and a later version can let a library change them.

A record's keys are strings with a prefix per kind. Identity keys (ISBN, ISSN, a system
number, a control number with its source) are trusted: one catalogue candidate on them is a
merge, and a second record of the same file sharing one is a duplicate. Review keys (a
control number whose source nobody knows, with the title; title + author + year) are stored
like the others so that later imports find the record by them, but they only ever propose a
candidate for a cataloguer to confirm, and only for a record with no ISBN or ISSN (a new
standard number is another edition): two different books can share them.

A control number means nothing without the system that gave it, so it is keyed with its
source, whichever way the source is known: the record's 003, the ISIL of the partner whose
exchange the batch belongs to (its records carry that partner's numbers), or a 035
``(agency)number`` (which the UNIMARC converter writes as ``(ISIL)number``). All three become
the one key ``ctl:agency|number``, so a record imported twice by different routes meets
itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import pymarc

import marc
from services.exchange.models import ExchangeLine

ISBN, ISSN, SYSTEM, CONTROL = "isbn:", "issn:", "sys:", "ctl:"
BARE_CONTROL, TITLE_AUTHOR_YEAR = "001:", "tay:"
IDENTITY_PREFIXES = (ISBN, ISSN, SYSTEM, CONTROL)  # in the order they decide
REVIEW_PREFIXES = (BARE_CONTROL, TITLE_AUTHOR_YEAR)
POINTS = {
    ISBN: "isbn",
    ISSN: "issn",
    SYSTEM: "system_number",
    CONTROL: "control_number",
    BARE_CONTROL: "control_number_only",
    TITLE_AUTHOR_YEAR: "title_author_year",
}
KEY_LENGTH = 200  # record_key.key and batch_key.key
_TITLE_IN_KEY = 150

MATCH_RULES: dict[str, object] = {
    "catalogue": {
        "points": [
            {"point": "isbn", "key": "isbn", "source": "020 $a (UNIMARC 010 $a), as ISBN-13"},
            {"point": "issn", "key": "issn", "source": "022 $a (UNIMARC 011 $a)"},
            {
                "point": "system_number",
                "key": "sys",
                "source": "035 $a, normalised (OCLC numbers without ocm/ocn/on and zeros)",
            },
            {
                "point": "control_number",
                "key": "ctl",
                "source": (
                    "001 with its source, one key (source)number however the source is known: "
                    "the record's 003; else, for a batch of an exchange the partner sends, the "
                    "partner's ISIL (its code here when it has none); and every 035 "
                    "'(agency)number', such as the '(ISIL)number' the UNIMARC converter writes"
                ),
            },
            {
                "point": "control_number_only",
                "key": "001",
                "review_only": True,
                "source": "001 without its source, with the normalised title proper: asked "
                "only for a record whose source is not known (no 003, no partner, no 035 with "
                "an agency)",
            },
            {
                "point": "title_author_year",
                "key": "tay",
                "review_only": True,
                "source": (
                    "the title proper (245 $a $n $p, without the subtitle $b), the author's "
                    "surname (1XX, else the first 7XX) and the year, all three known, each "
                    "normalised"
                ),
            },
        ],
        "decision": (
            "the first point, in this order, on which the record has catalogue candidates "
            "decides: one candidate is merged (holdings + 1), more than one is a multi-match "
            "left for review. If no identity point (isbn, issn, system_number, control_number) "
            "has a candidate and the record has no ISBN or ISSN, the review-only points are "
            "asked (only records without ISBN or ISSN have review keys): any candidates they "
            "find are "
            "proposed for review as a multi-match, never merged automatically. No candidate "
            "on any point creates a new record. Importing the same file again therefore "
            "creates nothing: every record meets itself on its ISBN, ISSN or control number, "
            "or is proposed for review"
        ),
    },
    "batch": {
        "decision": (
            "a record sharing an identity key (isbn, issn, system_number, control_number) "
            "with an earlier record of the same file is reported as a duplicate and not "
            "imported again; review-only keys do not make duplicates"
        )
    },
    "exchange_lines": {
        "points": [
            {"point": "isbn", "score": 1.0},
            {"point": "issn", "score": 1.0},
            {
                "point": "title_proper",
                "score": 1.0,
                "source": "the line's title equals the record's title proper (245 $a $n $p, "
                "the subtitle $b and trailing ISBD punctuation ' :', ' /', ' ;', ' =' left out)",
            },
            {"point": "title_author_year", "score": "similarity of the normalised titles"},
        ],
        "title_similarity_at_least": 0.85,
        "year_must_agree_when_both_known": True,
        "author": "1XX $a, else the first 7XX $a; a different author lowers the score by 0.1",
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


def surname(author: str | None) -> str:
    """The part of a heading before its first comma, normalised: "Tolstoy, Leo" and
    "Tolstoy, L. N." are one author for a review candidate."""
    if not author:
        return ""
    return normalise_title(author.split(",", 1)[0])


def control_key(agency: str, number: str) -> str | None:
    """The one key of a control number and its source, or None if either is empty.

    It goes through the 035 normalisation, so 003 "OCoLC" with 001 "ocm00012345" is the
    same key as 035 "(OCoLC)12345".
    """
    agency, number = agency.strip(), number.strip()
    if not agency or not number:
        return None
    normal = marc.normalise_system_number(f"({agency}){number}")
    if normal is None or not normal.startswith("("):
        return None
    source, _, rest = normal[1:].partition(")")
    return _bounded(f"{CONTROL}{source}|{rest}")


def record_keys(
    record: pymarc.Record, agency: str | None = None, index: marc.RecordIndex | None = None
) -> list[str]:
    """The record's match keys, identity keys in rule order, then review keys.

    ``agency`` is the source of the record's 001 when it has no 003: the ISIL of the partner
    whose exchange the batch belongs to (``import_sources.Source.control_agency``).
    ``index`` is the record's index if it was made already (for the review keys).

    Review keys are made only for a record without ISBN or ISSN: those are the records they
    are asked for, and the many records with one would pay for keys nobody asks (every
    import computes keys and every commit stores them).
    """
    keys: list[str] = []
    for f in record.get_fields("020"):
        for value in f.get_subfields("a"):
            isbn = marc.normalise_isbn(value)
            if isbn:
                keys.append(ISBN + isbn)
    for f in record.get_fields("022"):
        for value in f.get_subfields("a"):
            issn = marc.normalise_issn(value)
            if issn:
                keys.append(ISSN + issn)
    standard = bool(keys)
    sourced: list[str] = []
    control = _data(record, "001")
    if control:
        source = _data(record, "003") or (agency or "").strip()
        if source:
            sourced.append(control_key(source, control) or "")
    for f in record.get_fields("035"):
        for value in f.get_subfields("a"):
            number = marc.normalise_system_number(value)
            if number:
                keys.append(_bounded(SYSTEM + number))
                if number[0] == "(":  # already normalised: "(agency)number"
                    source, _, rest = number[1:].partition(")")
                    if source and rest:
                        sourced.append(_bounded(f"{CONTROL}{source}|{rest}"))
    keys += [key for key in sourced if key]
    if not standard:
        keys += review_keys(index or marc.index_record(record), control)
    return list(dict.fromkeys(keys))


def review_keys(idx: marc.RecordIndex, control: str | None) -> list[str]:
    """A record's review keys: its 001 with its title (for when nobody knows whose 001 it
    is), and title + author's surname + year when all three are known."""
    title = _title_in_key(idx)
    if not title:
        return []
    keys = [_bounded(f"{BARE_CONTROL}{control}|{title}")] if control else []
    author = surname(idx.author)
    if author and idx.year:
        keys.append(_bounded(f"{TITLE_AUTHOR_YEAR}{title}|{author}|{idx.year}"))
    return keys


def _title_in_key(idx: marc.RecordIndex) -> str:
    return normalise_title(idx.title_proper or idx.title)[:_TITLE_IN_KEY].strip()


def identity_keys(keys: list[str]) -> list[str]:
    """The keys that say two records of one file are the same (duplicates), in order."""
    return [key for key in keys if key.startswith(IDENTITY_PREFIXES)]


def point_of(key: str) -> str:
    """The match point (MATCH_RULES' name) a key belongs to."""
    return POINTS.get(key[: key.find(":") + 1], "other")


@dataclass(frozen=True, slots=True)
class CatalogueMatch:
    """What the rules propose for one record: create, merge (one candidate) or multi_match
    (candidates for review), the points that found the candidates, and why, in words."""

    proposed: str
    candidates: list[int] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def review_only(self) -> bool:
        return any(point in REVIEW_POINTS for point in self.points)


REVIEW_POINTS = frozenset(POINTS[prefix] for prefix in REVIEW_PREFIXES)
_IDENTITY_WORDS = {
    ISBN: "its ISBN",
    ISSN: "its ISSN",
    SYSTEM: "its system number (035)",
    CONTROL: "its control number (001 with its source)",
}
_REVIEW_WORDS = {
    BARE_CONTROL: "its 001 (of no known source) and title are those",
    TITLE_AUTHOR_YEAR: "its title, author and year are those",
}


def match_catalogue(keys: list[str], candidates_by_key: dict[str, set[int]]) -> CatalogueMatch:
    """The proposal for a record with ``keys``, given the catalogue records found per key."""
    for prefix in IDENTITY_PREFIXES:
        found = _found(keys, (prefix,), candidates_by_key)
        if len(found) == 1:
            return CatalogueMatch("merge", sorted(found), [POINTS[prefix]])
        if found:
            reason = f"{len(found)} catalogue records share {_IDENTITY_WORDS[prefix]}"
            return CatalogueMatch("multi_match", sorted(found), [POINTS[prefix]], reason)
    if any(key.startswith((ISBN, ISSN)) for key in keys):
        return CatalogueMatch("create")  # its standard number is new: another edition
    review = list(REVIEW_PREFIXES)
    if any(key.startswith(CONTROL) for key in keys):
        review.remove(BARE_CONTROL)  # its 001 has a known source, and that found nothing
    found = set()
    points: list[str] = []
    said: list[str] = []
    for prefix in review:
        more = _found(keys, (prefix,), candidates_by_key)
        if more:
            found |= more
            points.append(POINTS[prefix])
            said.append(f"{_REVIEW_WORDS[prefix]} of catalogue record {_listed(more)}")
    if found:
        reason = "; ".join(said) + ": only a cataloguer can tell whether it is the same publication"
        return CatalogueMatch("multi_match", sorted(found), points, reason)
    return CatalogueMatch("create")


def catalogue_decision(
    keys: list[str], candidates_by_key: dict[str, set[int]]
) -> tuple[str, list[int]]:
    """("create", []) or ("merge", [id]) or ("multi_match", ids), per the rules' order."""
    found = match_catalogue(keys, candidates_by_key)
    return found.proposed, found.candidates


def _found(keys: list[str], prefixes: tuple[str, ...], by_key: dict[str, set[int]]) -> set[int]:
    found: set[int] = set()
    for key in keys:
        if key.startswith(prefixes):
            found |= by_key.get(key, set())
    return found


def _listed(ids: set[int]) -> str:
    return ", ".join(str(i) for i in sorted(ids))


def _data(record: pymarc.Record, tag: str) -> str:
    f = record.get(tag)
    return (f.data or "").strip() if f is not None and f.control_field else ""


def _bounded(key: str) -> str:
    return key[:KEY_LENGTH]


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
    """The exchange line this record describes, if any.

    An identifier decides; else the title: the line's title equal to the record's title
    proper (its subtitle left out) scores 1, else the similarity of the whole titles counts.
    A year both know must agree; an author both know and that differs costs 0.1.
    """
    key_set = set(keys)
    for target in targets:
        if target.isbn and f"{ISBN}{target.isbn}" in key_set:
            return target.line_id
        if target.issn and f"{ISSN}{target.issn}" in key_set:
            return target.line_id
    title = normalise_title(idx.title)
    proper = normalise_title(idx.title_proper)
    if not title and not proper:
        return None
    author = normalise_title(idx.author)
    best: tuple[float, str] | None = None
    for target in targets:
        if target.year and idx.year and target.year != idx.year:
            continue
        if proper and target.title == proper:
            score = 1.0
        else:
            score = SequenceMatcher(None, title, target.title).ratio()
        if target.author and author and target.author not in author and author not in target.author:
            score -= 0.1
        if score >= TITLE_SIMILARITY and (best is None or score > best[0]):
            best = (score, target.line_id)
    return best[1] if best else None
