"""Conversion of UNIMARC linking fields (4XX) into MARC 21 linking entries (76X-78X).

UNIMARC usually describes the related item with whole embedded fields, each starting
with $1 and its tag ("$1 2001 $a Title"); MARC 21 gives the same facts as subfields of
one linking field ($t title, $w control number, $x ISSN ...). Embedded fields the
conversion does not know, or embedded subfields it does not use, make the source field
be kept whole in 886 as well.
"""

from collections.abc import Callable

import pymarc

from marc.crosswalk_table import FieldMapping
from marc.isbd import (
    Parts,
    add_imprint,
    clean,
    field_from,
    join_name,
)
from marc.unimarc_context import Context, indicator
from marc.unimarc_descriptions import edition_statement
from marc.unimarc_embedded import embedded_fields


def link(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    """4XX: the related item, from embedded fields ($1) or standard subfields."""
    found: dict[str, list[str]] = {}

    def add(code: str, text: str) -> None:
        if text:
            found.setdefault(code, []).append(text)

    for tag, _indicators, group in embedded_fields(source):
        key = tag or ""
        known = _EMBEDDED_CODES.get(key) or _EMBEDDED_CODES.get(key[:2], frozenset())
        if any(code not in known for code, _ in group):
            context.keep_whole = True
        values: dict[str, list[str]] = {}
        for code, value in group:
            values.setdefault(code, []).append(clean(value))
        first = {code: texts[0] for code, texts in values.items()}
        if tag is None:
            _standard_link_subfields(group, add)
        elif tag == "001":
            add("w", first.get("data", ""))
        elif tag == "200":
            text = first.get("a", "")
            for extra, joiner in (("e", " : "), ("h", ". "), ("i", ", "), ("f", " / ")):
                if extra in first:
                    text += joiner + first[extra]
            add("t", text)
            add("g", first.get("v", ""))
        elif tag[:2] == "70" or tag[:2] == "72":
            add("a", join_name(first.get("a", ""), first.get("b", "")))
        elif tag[:2] == "71":
            add("a", ". ".join(value for value in (first.get("a"), first.get("b")) if value))
        elif tag == "205":
            add("b", " ".join(text for _, text in edition_statement(group)))
        elif tag == "210":
            imprint: Parts = []
            for code, value in group:
                if code in ("a", "c", "d") and clean(value):
                    add_imprint(imprint, "acd".index(code), clean(value))
            add("d", " ".join(value for _, value in imprint))
        elif tag == "215":
            add("h", first.get("a", ""))
        elif tag == "225":
            add("k", "; ".join(value for value in (first.get("a"), first.get("v")) if value))
        elif tag == "010":
            add("z", first.get("a", ""))
        elif tag == "011":
            add("x", first.get("a", ""))
        elif tag == "500":
            add("s", first.get("a", ""))
        else:
            context.keep_whole = True
    parts: list[tuple[str, str]] = list(mapping.constants)
    for code in "astbdghkwxz":  # the order MARC 21 gives these subfields
        parts += [(code, text) for text in found.get(code, [])]
    if len(parts) == len(mapping.constants):
        return []
    display, relation = (indicator(spec, source) for spec in mapping.indicators)
    return [field_from(mapping.target, display, relation, parts)]


# Subfields the link conversion uses, by embedded tag (or first two digits of it);
# "" is the standard-subfields technique, without $1.


_EMBEDDED_CODES: dict[str, frozenset[str]] = {
    "": frozenset("acdehnptvxy0"),
    "001": frozenset({"data"}),
    "200": frozenset("aefhiv"),
    "70": frozenset("ab"),
    "72": frozenset("ab"),
    "71": frozenset("ab"),
    "205": frozenset("abdfg"),
    "210": frozenset("acd"),
    "215": frozenset("a"),
    "225": frozenset("av"),
    "010": frozenset("a"),
    "011": frozenset("a"),
    "500": frozenset("a"),
}


def _standard_link_subfields(group: list[tuple[str, str]], add: Callable[[str, str], None]) -> None:
    place_and_name: Parts = []
    for code, value in group:
        text = clean(value)
        if code in ("c", "n", "d"):
            add_imprint(place_and_name, "cnd".index(code), text)
        elif code in ("a", "t", "x"):
            add(code, text)
        elif code == "e":
            add("b", text)
        elif code == "p":
            add("h", text)
        elif code in ("v", "h"):
            add("g", text)
        elif code == "y":
            add("z", text)
        elif code == "0":
            add("w", text)
    if place_and_name:
        add("d", " ".join(value for _, value in place_and_name))
