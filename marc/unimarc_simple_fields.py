"""Conversions of UNIMARC fields whose MARC 21 form is a plain rearrangement.

Numbers, codes, notes and control fields: subfields are renamed by the crosswalk
table, indicators taken from it, and nothing needs ISBD punctuation beyond what the
table's row lists.
"""

import pymarc

from marc.crosswalk_table import FieldMapping
from marc.isbd import (
    Parts,
    clean,
    end_with,
    field_from,
)
from marc.record_parts import control_field
from marc.unimarc_codes import marc_country
from marc.unimarc_context import Context, indicator

_FILL_OR_BLANK = "| "  # "|" is UNIMARC's fill character: no attempt to code


def subfields(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    """The plain case: subfields renamed by the table, with its punctuation if any."""
    codes = dict(mapping.subfields)
    punctuation = dict(mapping.punctuation)
    parts: Parts = []
    for code, value in source.subfields:
        target = codes.get(code)
        text = clean(value)
        if target is None or len(target) != 1 or not text:
            continue
        if parts and target in punctuation:
            end_with(parts, punctuation[target])
        parts.append([target, text])
    if not parts:
        return []
    parts += [[code, value] for code, value in mapping.constants]
    first, second = (indicator(spec, source) for spec in mapping.indicators)
    return [field_from(mapping.target, first, second, parts)]


def control_number(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    number = clean(source.data or "")
    fields = [control_field("001", number)]
    if context.source_isil and number:
        fields.append(control_field("003", context.source_isil))
        fields.append(field_from("035", " ", " ", [("a", f"({context.source_isil}){number}")]))
    return fields


def control_copy(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    return [control_field(mapping.target, source.data or "")]


def persistent_identifier(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    value = clean(source.data or "")
    if not value:
        return []
    parts = [("a", value), *mapping.constants]
    first, second = (indicator(spec, source) for spec in mapping.indicators)
    return [field_from(mapping.target, first, second, parts)]


def fixed_data(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    return []  # read by unimarc_fixed when the leader and 008 are built


def language(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    """041 from 101; fill characters ("|||", no attempt to code) are not languages."""
    codes = dict(mapping.subfields)
    parts = [
        [codes[code], clean(value).lower()]
        for code, value in source.subfields
        if code in codes and clean(value).strip(_FILL_OR_BLANK)
    ]
    if not parts:
        return []
    first = {"0": "0", "1": "1", "2": "1"}.get(source.indicator1, " ")
    return [field_from(mapping.target, first, " ", parts)]


def country(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    codes = dict(mapping.subfields)
    found = [(codes[code], clean(value)) for code, value in source.subfields if code in codes]
    iso = [value for code, value in found if code == "c" and value]
    marc = [code for code in (marc_country(value) for value in iso) if code]
    parts = [("a", code) for code in marc]
    parts += [(code, value) for code, value in found if code == "b" and value]
    parts += [("c", value) for value in iso]
    parts += [(code, value) for code, value in found if code == "2" and value]
    return [field_from(mapping.target, " ", " ", parts)] if parts else []


def contents(source: pymarc.Field, mapping: FieldMapping, context: Context) -> list[pymarc.Field]:
    items = [clean(value) for code, value in source.subfields if code == "a" and clean(value)]
    if not items:
        return []
    first = {"0": "1", "1": "0", "2": "2"}.get(source.indicator1, "0")
    return [field_from(mapping.target, first, " ", [("a", " -- ".join(items))])]


def cataloguing_source(
    source: pymarc.Field, mapping: FieldMapping, context: Context
) -> list[pymarc.Field]:
    """All 801 fields of the record make one 040, written for the first of them."""
    if "040" in context.done:
        return []
    context.done.add("040")
    by_role: dict[str, list[str]] = {}
    rules: list[str] = []
    for statement in context.cataloguing_sources:
        agency = clean(statement.get("b") or "")
        if agency:
            by_role.setdefault(statement.indicator2, []).append(agency)
        for value in statement.get_subfields("g"):
            if clean(value) and clean(value) not in rules:
                rules.append(clean(value))
    originals = by_role.get("0") or by_role.get("1") or by_role.get("2") or by_role.get("3")
    if not originals:
        return []
    parts: list[tuple[str, str]] = [("a", originals[0])]
    if context.language_of_cataloguing:
        parts.append(("b", context.language_of_cataloguing))
    parts.append(("c", (by_role.get("1") or originals)[0]))
    parts += [("d", agency) for agency in by_role.get("2", [])]
    parts += [("e", rule) for rule in rules]
    return [field_from(mapping.target, " ", " ", parts)]
