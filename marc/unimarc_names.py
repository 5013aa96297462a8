"""Conversions of UNIMARC names and subjects into MARC 21 access points.

UNIMARC splits a personal name into entry element ($a) and the rest ($b) and codes
roles as numbers; MARC 21 wants "Surname, Forename" in $a, its own subfield order and
relator codes, and for subjects a second indicator naming the thesaurus.

Headings come in the context's heading form. The LC form follows the Library of
Congress's conversion specification: "$a Surname, initials" with the full forenames of
$g in parentheses in $q, commas before $c and $d, the relator code in $4. The national
form is how the Russian State Library writes the same heading in its own MARC 21, so
records from RUSMARC partners match the ones their national library publishes: the
full forenames in $a ("Иванов, Иван Петрович"), no punctuation between subfields, and
a Russian relator term in $e ($j for a meeting) beside the code in $4.
"""

import pymarc

from marc.crosswalk_table import FieldMapping
from marc.isbd import (
    Parts,
    append_to,
    clean,
    end_with,
    field_from,
    join_name,
    non_filing,
)
from marc.unimarc_codes import marc_relator, russian_relator_term
from marc.unimarc_context import Context
from marc.unimarc_embedded import embedded_fields
from marc.unimarc_simple_fields import subfields

_MAIN_ENTRIES = frozenset({"100", "110", "111"})
_NAME_ORDER = {code: rank for rank, code in enumerate("abcqdeutvxyz2054")}
# Relator terms are Russian, so they are given only in records catalogued in Russian
# (100$a/22-24 "rus", or not said).
_RUSSIAN_CATALOGUING = frozenset({"rus", ""})


def personal_name(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    codes = dict(mapping.subfields)
    national = context.heading_form == "national"
    surname = " ".join(clean(value) for code, value in source.subfields if code == "a")
    forename = " ".join(clean(value) for code, value in source.subfields if code == "b")
    if not surname and not forename:
        return []
    fuller = " ".join(clean(value) for code, value in source.subfields if code == "g")
    if national and fuller:
        forename = fuller  # the initials of $b are what $g spells out
    found: list[tuple[str, str]] = [("a", join_name(surname, forename))]
    for code, value in source.subfields:
        text = clean(value)
        target = codes.get(code)
        if code in ("a", "b") or target is None or not text:
            continue
        if target == "q":
            if national:
                continue  # already in $a
            text = text if text.startswith("(") else f"({text})"
        elif target == "4":
            found += [("e", term) for term in _relator_term(text, context)]
            text = marc_relator(text)
        found.append((target, text))
    # MARC 21 order ($a $b $c $q $d $e, subdivisions, then identifiers); the LC form
    # puts commas before $c and $d.
    parts: Parts = []
    for target, text in sorted(found, key=lambda item: _NAME_ORDER.get(item[0], 99)):
        if target in ("c", "d") and not national:
            end_with(parts, ",")
        parts.append([target, text])
    first = "1" if source.indicator2 == "1" else "0"
    tag = _entry_tag(mapping.target, context)
    return [field_from(tag, first, subject_indicator(source, mapping), parts)]


def family_name(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    codes = dict(mapping.subfields)
    parts: Parts = []
    for code, value in source.subfields:
        target = codes.get(code)
        text = clean(value)
        if target is None or not text:
            continue
        if target == "d" and context.heading_form == "lc":
            end_with(parts, ",")
        elif target == "4":
            parts += [["e", term] for term in _relator_term(text, context)]
            text = marc_relator(text)
        parts.append([target, text])
    if not parts:
        return []
    tag = _entry_tag(mapping.target, context)
    return [field_from(tag, "3", subject_indicator(source, mapping), parts)]


def corporate_name(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    meeting = source.indicator1 == "1"
    tag = mapping.target[:2] + "1" if meeting else mapping.target
    codes = dict(mapping.subfields)
    parts: Parts = []
    meeting_details: list[tuple[str, str]] = []
    for code, value in source.subfields:
        target = codes.get(code)
        text = clean(value)
        if target is None or not text:
            continue
        if code == "c" and parts:
            parts[-1][1] = f"{parts[-1][1].rstrip()} ({text})"
        elif code in ("g", "h") and parts:
            append_to(parts, "a", text, ", ")
        elif code in ("d", "e", "f"):
            meeting_details.append((target, text))
        elif code == "b":
            if context.heading_form == "lc":
                end_with(parts, ".")
            parts.append(["e" if meeting else "b", text])
        elif target == "4":
            parts += [["j" if meeting else "e", term] for term in _relator_term(text, context)]
            parts.append(["4", marc_relator(text)])
        else:
            parts.append([target, text])
    if not parts:
        return []
    if meeting_details:
        _meeting(parts, meeting_details, ("a", "e") if meeting else ("a",))
    first = source.indicator2 if source.indicator2 in "012" else "2"
    tag = _entry_tag(tag, context)
    return [field_from(tag, first, subject_indicator(source, mapping), parts)]


def _meeting(parts: Parts, details: list[tuple[str, str]], name: tuple[str, ...]) -> None:
    """Number, date and place of a meeting: "(5th : 1990 : Moscow)" after the name.

    ``name`` are the codes of the name's parts ($e is a meeting's subordinate unit, but
    a relator term in a corporate body's heading).
    """
    ordered = sorted(details, key=lambda detail: "ndc".index(detail[0]))
    name_end = next((index for index, part in enumerate(parts) if part[0] not in name), len(parts))
    inserted: Parts = []
    for number, (code, text) in enumerate(ordered):
        first, last = number == 0, number == len(ordered) - 1
        inserted.append([code, ("(" if first else "") + text + (")" if last else " :")])
    parts[name_end:name_end] = inserted


def _relator_term(code: str, context: Context) -> list[str]:
    """The relator term a national-form heading gives beside ``code`` (none or one)."""
    if context.heading_form != "national":
        return []
    if context.language_of_cataloguing not in _RUSSIAN_CATALOGUING:
        return []
    term = russian_relator_term(code)
    return [term] if term else []


def _entry_tag(tag: str, context: Context) -> str:
    """A record has one main entry (1XX); a second primary name becomes an added entry."""
    if tag not in _MAIN_ENTRIES:
        return tag
    if "main entry" in context.done:
        return "7" + tag[1:]
    context.done.add("main entry")
    return tag


def name_title_subject(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    """604: a name and a title, given as embedded fields or as $a and $t."""
    name: str | None = None
    name_tag = "600"
    first = "1"
    title_text: str | None = None
    rest: Parts = []
    codes = dict(mapping.subfields)
    for tag, indicators, group in embedded_fields(source):
        if tag is None:
            for code, value in group:
                target = codes.get(code)
                text = clean(value)
                if code == "a" and text:
                    name = text
                elif code == "t" and text:
                    title_text = text
                elif target and len(target) == 1 and text:
                    rest.append([target, text])
            continue
        values = {code: clean(value) for code, value in reversed(group)}
        if tag in ("700", "701", "702"):
            name = join_name(values.get("a", ""), values.get("b", ""))
            first = "1" if indicators[1:2] == "1" else "0"
        elif tag in ("710", "711", "712"):
            name, name_tag, first = values.get("a", ""), "610", "2"
        elif tag in ("500", "200", "530"):
            title_text = values.get("a")
        else:
            context.keep_whole = True
        for code, value in group:
            target = codes.get(code)
            if code in "jxyz23" and target and clean(value):
                rest.append([target, clean(value)])
    if not name and not title_text:
        return []
    parts: Parts = []
    if name:
        parts.append(["a", name])
    if title_text:
        end_with(parts, ".")
        parts.append(["t", title_text])
    parts += rest
    return [field_from(name_tag, first, subject_indicator(source, mapping), parts)]


def subject(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    converted = subfields(source, mapping, context)
    for target in converted:
        target.indicators = pymarc.Indicators(target.indicator1, subject_indicator(source, mapping))
        if mapping.target == "630":
            skipped, _ = non_filing(source.get("a") or "")
            target.indicators = pymarc.Indicators(str(skipped), target.indicator2)
    return converted


def subject_indicator(source: pymarc.Field, mapping: FieldMapping) -> str:
    """Subject fields say where the heading comes from: 7 with $2, else 4."""
    if not mapping.target.startswith("6"):
        return " "
    return "7" if any(code == "2" for code, _ in source.subfields) else "4"
