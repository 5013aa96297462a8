"""The crosswalk as a Markdown document for cataloguers, generated from the code's table.

Run ``python -m marc.crosswalk_doc > docs/marc-crosswalk.md`` after changing
crosswalk_table or unimarc_codes; a test fails while the document and the table
disagree, so the document a cataloguer reads is always the mapping the code applies.
"""

import sys

import pymarc

from marc.charset_declarations import UNIMARC_CHARACTER_SETS
from marc.charsets import ENCODING_NAMES
from marc.crosswalk_table import (
    ALSO_KEPT,
    BY_SOURCE,
    COMPUTED,
    FIELDS,
    FROM_IND1,
    FROM_IND2,
    POSITIONS,
    FieldMapping,
)
from marc.record_parts import data_field, subfield
from marc.unimarc_codes import COUNTRIES, RELATORS, RUSSIAN_RELATOR_TERMS
from marc.unimarc_context import HEADING_FORMS, Context, HeadingForm
from marc.unimarc_names import corporate_name, personal_name

_INTRODUCTION = """\
# UNIMARC to MARC 21 crosswalk

How records from partners that catalogue in UNIMARC (RUSMARC and BELMARC included) become
MARC 21 when they are imported. This document is generated from the table the converter
runs on (`marc/crosswalk_table.py`, with the code lists in `marc/unimarc_codes.py`) by
`python -m marc.crosswalk_doc > docs/marc-crosswalk.md`; do not edit it by hand.

## What is never lost

- A UNIMARC field that has no row below (local 9XX fields, RUSMARC 899, ...) is kept
  whole in MARC 21 field **886** (foreign MARC information field): first indicator 2,
  `$2` the source format (`unimarc`, or `rusmarc` when 801 `$2` says so), `$a` the
  UNIMARC tag, `$b` its two indicators, then its subfields with their own codes.
- A field with a row, but holding a subfield the row does not list, is converted *and*
  kept whole in 886.
- The UNIMARC leader is kept in 886 with first indicator 0 (`$a 000`, `$b` the leader),
  and fields {also_kept} are always kept in 886 too, because MARC 21 has no place for
  every position they code.
- The source's control number stays in 001. When the partner's ISIL is known it also
  goes to 003, and the number to 035 as `(ISIL)number`.

## Punctuation

UNIMARC leaves ISBD punctuation to the display; MARC 21 records carry it. The conversion
supplies it in 245, 250, 264, 300 and 490 (and before subfields such as `$b` of 246),
and sets Leader/18 to `i`. Access points (1XX, 6XX, 7XX) get no closing period; in the
LC heading form they get the commas between name, titles and dates (see Name headings).

## Name headings

Names of persons, families and corporate bodies (700-722 into 100/110/111 and
700/710/711, and 600-602 as subjects) are formed in one of two ways.

- **National form**, as the Russian State Library writes headings in its own MARC 21,
  so that a partner's records match the ones its national library publishes: the full
  forenames of UNIMARC `$g` in `$a` (the initials of `$b` only when there is no `$g`),
  no punctuation added between subfields, and before each `$4` code a Russian relator
  term in `$e` (`$j` for a meeting), in records catalogued in Russian (100 `$a`/22-24
  `rus`). A code with no term in the relator table gets `$4` only.
- **LC form**, as the Library of Congress's UNIMARC to MARC 21 conversion specifications
  say: surname and initials (`$a, $b`) in `$a`, the full forenames of `$g` in
  parentheses in `$q`, commas before `$c` and `$d`, a period before a corporate body's
  `$b`, and the relator code in `$4` only.

RUSMARC and BELMARC records get the national form: a record is taken as one when the
partner is registered with that format, when 801 `$2` names it, or when the agency that
made the record (801 `$a`) is in Russia (`RU`) or Belarus (`BY`). Every other UNIMARC
record gets the LC form. Either form can be asked for instead (`heading_form="national"`
or `"lc"` in `marc.to_marc21_record`), so that an import can choose it per partner.

{examples}
"""


def render() -> str:
    """The whole document."""
    parts = [
        _INTRODUCTION.format(also_kept=", ".join(sorted(ALSO_KEPT)), examples=_examples()),
        _fields(),
        _positions(),
        _character_sets(),
        _relators(),
        _code_table(
            "Country codes", "UNIMARC 102 $a (ISO 3166)", "MARC 21 008/15-17, 044 $a", COUNTRIES
        ),
    ]
    return "\n".join(parts)


def _fields() -> str:
    lines = [
        "## Fields",
        "",
        "Indicators: a character is written as it is (`#` is blank); *1st*/*2nd* is the "
        "UNIMARC field's own first/second indicator; *computed* is explained in the notes.",
        "",
        "| UNIMARC | MARC 21 | Subfields | Indicators | Notes |",
        "|---|---|---|---|---|",
    ]
    for mapping in FIELDS:
        lines.append(
            f"| {mapping.source} | {mapping.target} | {_subfields(mapping)} | "
            f"{_indicators(mapping)} | {_cell(_note(mapping))} |"
        )
    return "\n".join(lines) + "\n"


def _subfields(mapping: FieldMapping) -> str:
    shown: list[str] = []
    for source, target in dict.fromkeys(mapping.subfields):  # a pair listed twice once
        if len(target) == 1:
            shown.append(f"${source}→${target}")
        else:
            shown.append(f"${source}→{target}")
    shown += [f"+${code} {value}" for code, value in mapping.constants]
    return _cell(", ".join(shown)) or "—"


def _indicators(mapping: FieldMapping) -> str:
    names = {FROM_IND1: "1st", FROM_IND2: "2nd", COMPUTED: "computed", " ": "#"}
    return " / ".join(names.get(spec, spec) for spec in mapping.indicators)


def _note(mapping: FieldMapping) -> str:
    if not mapping.punctuation:
        return mapping.note
    marks = ", ".join(f"'{mark.strip()}' before ${code}" for code, mark in mapping.punctuation)
    return f"{mapping.note} Punctuation: {marks}."


def _positions() -> str:
    lines = [
        "## Leader and fixed-length data (008)",
        "",
        "Codes are shown UNIMARC→MARC 21; `#` is blank. A position the source does not code "
        "becomes `|` (no attempt to code).",
        "",
        "| UNIMARC | MARC 21 | Codes | Notes |",
        "|---|---|---|---|",
    ]
    for position in POSITIONS:
        codes = ", ".join(f"{source}→{target}" for source, target in position.values) or "—"
        lines.append(
            f"| {_cell(position.source)} | {_cell(position.target)} | {_cell(codes)} | "
            f"{_cell(position.note)} |"
        )
    return "\n".join(lines) + "\n"


def _character_sets() -> str:
    lines = [
        "## Character sets",
        "",
        "UNIMARC 100 $a/26-29 declares the character sets (MARC 21 uses Leader/09: `a` UTF-8, "
        "blank MARC-8). The declaration is checked against the bytes: text that is valid "
        "UTF-8 is read as UTF-8 whatever it says, and text declared UTF-8 that is clearly "
        "legacy text is read as ISO 5426 (MARC-8 for MARC 21); the record is flagged either "
        "way. Everything is written as UTF-8, in Unicode NFC.",
        "",
        "| 100 $a/26-29 code | read as |",
        "|---|---|",
    ]
    for code, encoding in UNIMARC_CHARACTER_SETS.items():
        lines.append(f"| {code} | {ENCODING_NAMES[encoding]} |")
    return "\n".join(lines) + "\n"


# The examples are converted when the document is made, so they show what the code does.
# The first is a heading of the Russian State Library's RUSMARC record 002988236, whose
# MARC 21 700 reads "$aПаренаго, Михаил Алексеевич$d1780-1832$eпер.$4trl".
_EXAMPLES: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "702",
        " ",
        "1",
        (
            ("a", "Паренаго"),
            ("b", "М. А."),
            ("f", "1780-1832"),
            ("g", "Михаил Алексеевич"),
            ("4", "730"),
        ),
    ),
    ("712", "0", "2", (("a", "Московский университет"), ("b", "Типография"), ("4", "610"))),
)


def _examples() -> str:
    lines = [
        "| UNIMARC | heading form | MARC 21 |",
        "|---|---|---|",
    ]
    for tag, first, second, codes in _EXAMPLES:
        source = data_field(tag, first, second, [subfield(code, value) for code, value in codes])
        for form in HEADING_FORMS:
            converted = _heading(source, form)
            lines.append(f"| {_cell(_shown(source))} | {form} | {_cell(_shown(converted))} |")
    return "\n".join(lines)


def _heading(source: pymarc.Field, form: HeadingForm) -> pymarc.Field:
    context = Context(
        has_main_entry=True,
        language_of_cataloguing="rus",
        source_isil=None,
        cataloguing_sources=[],
        source_format="rusmarc",
        heading_form=form,
    )
    context.done.add("main entry")  # an added entry, as in the record it comes from
    convert = personal_name if source.tag.startswith("70") else corporate_name
    [field] = convert(source, BY_SOURCE[source.tag], context)
    return field


def _shown(field: pymarc.Field) -> str:
    indicators = "".join(value if value != " " else "#" for value in field.indicators or ())
    codes = "".join(f"${code}{value}" for code, value in field.subfields)
    return f"`{field.tag} {indicators} {codes}`"


def _relators() -> str:
    lines = [
        "## Relator codes",
        "",
        "The Russian term goes in `$e` beside `$4` in the national heading form.",
        "",
        "| UNIMARC $4 | MARC 21 $4 | Russian term |",
        "|---|---|---|",
    ]
    for code, marc_code in sorted(RELATORS.items()):
        lines.append(f"| {code} | {marc_code} | {RUSSIAN_RELATOR_TERMS.get(code, '—')} |")
    return "\n".join(lines) + "\n"


def _code_table(title: str, source: str, target: str, codes: dict[str, str]) -> str:
    lines = [f"## {title}", "", f"| {source} | {target} |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in sorted(codes.items())]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    sys.stdout.write(render())
