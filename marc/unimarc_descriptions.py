"""Conversions of the UNIMARC descriptive fields, which need ISBD punctuation.

Title (200), edition (205), publication (210, 214), physical description (215),
series (225) and uniform title (500): the areas of the ISBD description, whose parts
MARC 21 separates with the punctuation ISBD prescribes.
"""

from collections.abc import Iterable

import pymarc

from marc.crosswalk_table import FieldMapping
from marc.isbd import (
    Parts,
    add_imprint,
    append_to,
    clean,
    date_end,
    end_with,
    field_from,
    finish,
    non_filing,
)
from marc.unimarc_context import Context, indicator


def title(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    if "245" in context.done:  # 200 is not repeatable: a second one stays in 886
        context.keep_whole = True
        return []
    parts: Parts = []
    skipped = 0
    for code, value in source.subfields:
        if code == "a" and not any(part[0] == "a" for part in parts):
            skipped, text = non_filing(value)
            if text:
                parts.append(["a", text])
            continue
        text = clean(value)
        if not text:
            continue
        if code == "a":  # another title by the same author
            append_to(parts, "b", text, " ; ")
        elif code == "b":
            parts.append(["h", f"[{text}]"])
        elif code == "c" and parts:  # a title by another author: a new sentence
            end_with(parts, ".")
            parts[-1][1] += " " + text
        elif code == "c":
            parts.append(["a", text])
        elif code == "d":
            append_to(parts, "b", text, " = ")
        elif code == "e":
            append_to(parts, "b", text, " : ")
        elif code == "f":
            if any(part[0] == "c" for part in parts):
                append_to(parts, "c", text, " ; ")
            else:
                end_with(parts, " /")
                parts.append(["c", text])
        elif code == "g":
            if any(part[0] == "c" for part in parts):
                append_to(parts, "c", text, " ; ")
            else:
                end_with(parts, " /")
                parts.append(["c", text])
        elif code in ("h", "v"):
            end_with(parts, ".")
            parts.append(["n", text])
        elif code == "i":
            end_with(parts, "," if parts and parts[-1][0] == "n" else ".")
            parts.append(["p", text])
    if not parts:
        return []
    context.done.add("245")
    first = "1" if context.has_main_entry else "0"
    return [field_from(mapping.target, first, str(skipped), finish(parts))]


def edition(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    parts = edition_statement(source.subfields)
    return [field_from(mapping.target, " ", " ", finish(parts))] if parts else []


def edition_statement(subfields: Iterable[tuple[str, str]]) -> Parts:
    """The edition area of 205's subfields with its ISBD punctuation, as 250 $a and $b.

    A linking field's embedded 205 gives the same statement, joined into one subfield.
    """
    parts: Parts = []
    for code, value in subfields:
        text = clean(value)
        if not text:
            continue
        if code == "a" and not parts:
            parts.append(["a", text])
        elif code in ("a", "b"):
            append_to(parts, "a", text, ", ")
        elif code == "d":
            append_to(parts, "a", text, " = ")
        elif code in ("f", "g"):
            if any(part[0] == "b" for part in parts):
                append_to(parts, "b", text, " ; ")
            else:
                end_with(parts, " /")
                parts.append(["b", text])
    return parts


def publication(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    """Publication, and manufacture (210 $e $g $h) as a second 264."""
    published: Parts = []
    made: Parts = []
    for code, value in source.subfields:
        text = clean(value)
        if not text:
            continue
        if code in ("a", "c", "d"):
            add_imprint(published, "acd".index(code), text)
        elif code in ("e", "g", "h") and source.tag == "210":
            add_imprint(made, "egh".index(code), text)
    if source.tag == "214":
        second = source.indicator2 if source.indicator2 in "01234" else "1"
    else:
        second = "0" if source.indicator2 == "1" else "1"
    fields = []
    if published:
        fields.append(field_from(mapping.target, " ", second, date_end(published)))
    if made:
        fields.append(field_from(mapping.target, " ", "3", date_end(made)))
    return fields


def extent(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    codes = dict(mapping.subfields)
    before = {"b": " :", "c": " ;", "e": " +"}
    parts: Parts = []
    for code, value in source.subfields:
        target = codes.get(code)
        text = clean(value)
        if target is None or not text:
            continue
        if parts and target in before:
            end_with(parts, before[target])
        elif parts:
            end_with(parts, " ;")
        parts.append([target, text])
    return [field_from(mapping.target, " ", " ", parts)] if parts else []


def series(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    joins = {"d": " = ", "e": " : ", "f": " / ", "h": ". ", "i": ", "}
    parts: Parts = []
    for code, value in source.subfields:
        text = clean(value)
        if not text:
            continue
        if code == "a" and not parts:
            parts.append(["a", text])
        elif code == "a":
            append_to(parts, "a", text, ". ")
        elif code in joins:
            append_to(parts, "a", text, joins[code])
        elif code == "v":
            end_with(parts, " ;")
            parts.append(["v", text])
        elif code == "x":
            end_with(parts, ",")
            parts.append(["x", text])
    first = indicator(mapping.indicators[0], source)
    return [field_from(mapping.target, first, " ", parts)] if parts else []


def uniform_title(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    codes = dict(mapping.subfields)
    parts: Parts = []
    skipped = 0
    for code, value in source.subfields:
        target = codes.get(code)
        if target is None:
            continue
        if target == "a" and not parts:
            skipped, text = non_filing(value)
        else:
            text = clean(value)
        if not text:
            continue
        if parts and target in ("n", "p", "l", "k", "f", "s"):
            end_with(parts, "," if target == "p" and parts[-1][0] == "n" else ".")
        parts.append([target, text])
    if not parts:
        return []
    if "uniform title" in context.done:  # further uniform titles are added entries
        return [field_from("730", str(skipped), " ", parts)]
    context.done.add("uniform title")
    if context.has_main_entry:
        first = "1" if source.indicator1 == "1" else "0"
        return [field_from("240", first, str(skipped), parts)]
    return [field_from("130", str(skipped), " ", parts)]
