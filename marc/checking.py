"""Checking a record the way a cataloguer would, in the spirit of MARC::Lint.

A record that reached this point was read without loss (the reader has already
rejected any record whose leader, directory or lengths do not fit its bytes), so what
is checked is the structure a program can still get wrong (leader values, indicators,
subfield codes) and the MARC 21 rules that matter for exchange (one title, at most one
main entry, valid ISBN and ISSN check digits). Each finding names the field and
says in a sentence what is wrong; "error" means the record breaks a MARC 21 rule,
"warning" that it is legal but probably not what was meant.

Checking runs on every imported record, so it makes a single pass over the fields
and looks everything else up in the tables of lint_rules.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pymarc

from marc.identifiers import isbn_problem, issn_problem, normalise_lccn
from marc.lint_rules import (
    BIBLIOGRAPHIC_TYPES,
    INDICATORS,
    LEADER_VALUES,
    NOT_REPEATABLE,
    OTHER_FORMAT_TYPES,
    SUBFIELD_CODES,
)
from marc.outcomes import Dialect

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    tag: str  # "LDR" for the leader
    message: str


_FieldCheck = Callable[[pymarc.Field, list[Finding]], None]

# Subfields whose blanks are data: 886 $b holds a foreign field's indicators (or its
# leader, or a control field's content), and blank indicators are indicators.
_BLANKS_ARE_CONTENT = frozenset({("886", "b")})


def check_record(record: pymarc.Record, dialect: Dialect = "marc21") -> list[Finding]:
    """Every finding for ``record``, in field order; an empty list for a clean record.

    Only MARC 21 records get the content checks; a UNIMARC record is checked for
    structure, and for content once it has been converted.
    """
    findings: list[Finding] = []
    leader = str(record.leader)
    bibliographic = dialect == "marc21" and _check_leader(leader, findings)
    counts: dict[str, int] = {}
    content_checks = _CONTENT_CHECKS if bibliographic else {}
    indicator_rules = INDICATORS if bibliographic else {}
    codes = SUBFIELD_CODES
    for field in record.fields:
        tag = field.tag
        counts[tag] = counts.get(tag, 0) + 1
        if field.control_field:
            if not field.data:
                findings.append(Finding("warning", tag, f"Field {tag} is empty."))
            elif tag == "008" and bibliographic:
                _check_008(field, findings)
            continue
        subfields = field.subfields
        if not subfields:
            findings.append(Finding("error", tag, f"Field {tag} has no subfields."))
            continue
        rule = indicator_rules.get(tag)
        if rule is not None:
            first, second = field.indicators  # type: ignore[misc]
            if first not in rule[0] or second not in rule[1]:
                _check_indicators(field, rule, findings)
        for code, value in subfields:
            if code not in codes or not value or value.isspace():
                _check_subfield(tag, code, value, findings)
        check = content_checks.get(tag)
        if check is not None:
            check(field, findings)
    if "001" not in counts:
        findings.append(Finding("warning", "001", "The record has no control number (001)."))
    if bibliographic:
        _check_counts(counts, findings)
    elif dialect == "unimarc":
        _check_unimarc_counts(counts, findings)
    return findings


def _check_leader(leader: str, findings: list[Finding]) -> bool:
    """Check the leader; True if the record is bibliographic (and gets content checks)."""
    if len(leader) != 24 or not leader.isascii():
        findings.append(
            Finding("error", "LDR", f"The leader is {len(leader)} characters; it must be 24.")
        )
        return False
    if leader[6] in OTHER_FORMAT_TYPES:
        return False  # authority, holdings, classification: not checked as bibliographic
    for position, (name, allowed) in LEADER_VALUES.items():
        value = leader[position]
        if value not in allowed:
            findings.append(
                Finding(
                    "error" if position in (6, 7) else "warning",
                    "LDR",
                    f"Leader/{position:02d} ({name}) is '{value}'; MARC 21 allows "
                    f"{_allowed(allowed)}.",
                )
            )
    if leader[20:24] != "4500":
        findings.append(
            Finding("warning", "LDR", f"Leader/20-23 are '{leader[20:24]}'; MARC 21 has '4500'.")
        )
    return leader[6] in BIBLIOGRAPHIC_TYPES


def _check_subfield(tag: str, code: str, value: str, findings: list[Finding]) -> None:
    if code not in SUBFIELD_CODES:
        findings.append(
            Finding(
                "error",
                tag,
                f"Field {tag} has subfield code '{code}'; codes are lowercase letters or digits.",
            )
        )
    if not value.strip() and not (value and (tag, code) in _BLANKS_ARE_CONTENT):
        findings.append(Finding("warning", tag, f"Field {tag} ${code} is empty."))


def _check_indicators(field: pymarc.Field, rule: tuple[str, str], findings: list[Finding]) -> None:
    indicators = field.indicators
    assert indicators is not None  # a data field
    for number, value, allowed in zip(("First", "Second"), indicators, rule, strict=True):
        if value not in allowed:
            findings.append(
                Finding(
                    "error",
                    field.tag,
                    f"{number} indicator of field {field.tag} is '{value}'; it must be "
                    f"{_allowed(allowed)}.",
                )
            )


def _check_counts(counts: dict[str, int], findings: list[Finding]) -> None:
    titles = counts.get("245", 0)
    if titles == 0:
        findings.append(Finding("error", "245", "The record has no title (field 245)."))
    main_entries = [tag for tag in ("100", "110", "111", "130") if tag in counts]
    if len(main_entries) > 1 or any(counts[tag] > 1 for tag in main_entries):
        shown = ", ".join(main_entries)
        findings.append(
            Finding("error", main_entries[0], f"The record has more than one main entry ({shown}).")
        )
    for tag, count in counts.items():
        if count > 1 and tag in NOT_REPEATABLE and tag not in ("100", "110", "111", "130"):
            findings.append(
                Finding("error", tag, f"Field {tag} occurs {count} times; it may occur only once.")
            )
    if "008" not in counts:
        findings.append(Finding("warning", "008", "The record has no fixed-length data (008)."))


def _check_unimarc_counts(counts: dict[str, int], findings: list[Finding]) -> None:
    if counts.get("200", 0) != 1:
        count = counts.get("200", 0)
        message = (
            "The record has no title (field 200)."
            if count == 0
            else f"Field 200 occurs {count} times; it may occur only once."
        )
        findings.append(Finding("error", "200", message))
    if "100" not in counts:
        findings.append(Finding("error", "100", "The record has no general processing data (100)."))


def _check_008(field: pymarc.Field, findings: list[Finding]) -> None:
    length = len(field.data or "")
    if length != 40:
        findings.append(
            Finding("error", "008", f"Field 008 is {length} characters; it must be 40.")
        )


def _check_010(field: pymarc.Field, findings: list[Finding]) -> None:
    for value in field.get_subfields("a"):
        if normalise_lccn(value) is None:
            findings.append(Finding("warning", "010", f"010 $a '{value}' is not a valid LCCN."))


def _check_020(field: pymarc.Field, findings: list[Finding]) -> None:
    for value in field.get_subfields("a"):
        problem = isbn_problem(value)
        if problem is not None:
            findings.append(Finding("warning", "020", f"020 $a: {problem}."))


def _check_022(field: pymarc.Field, findings: list[Finding]) -> None:
    for value in field.get_subfields("a"):
        problem = issn_problem(value)
        if problem is not None:
            findings.append(Finding("warning", "022", f"022 $a: {problem}."))


def _check_041(field: pymarc.Field, findings: list[Finding]) -> None:
    for code, value in field.subfields:
        if code.isalpha() and (len(value) % 3 or not value.isalpha()):
            findings.append(
                Finding(
                    "warning",
                    "041",
                    f"041 ${code} '{value}' is not made of three-letter language codes.",
                )
            )


def _check_245(field: pymarc.Field, findings: list[Finding]) -> None:
    titles = field.get_subfields("a")
    if not titles:
        findings.append(Finding("error", "245", "Field 245 has no title proper ($a)."))
        return
    second = field.indicator2
    if second.isdigit() and int(second) >= len(titles[0]):
        findings.append(
            Finding(
                "error",
                "245",
                f"Field 245 says the first {second} characters of the title are not filed, "
                f"but the title is only {len(titles[0])} characters long.",
            )
        )


def _check_880(field: pymarc.Field, findings: list[Finding]) -> None:
    if not field.get_subfields("6"):
        findings.append(Finding("warning", "880", "Field 880 has no linkage ($6)."))


_CONTENT_CHECKS: dict[str, _FieldCheck] = {
    "010": _check_010,
    "020": _check_020,
    "022": _check_022,
    "041": _check_041,
    "245": _check_245,
    "880": _check_880,
}


def _allowed(values: str) -> str:
    shown = ["blank" if value == " " else value for value in values]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]
