"""Defects found on real files (issue 13), checked on the files that show them.

The files are other projects' test data in ../shared/marc-corpus (see its MANIFEST.tsv);
the defects the corpus does not show are tested on records built in the other modules.
"""

import re
from pathlib import Path

import pytest

from marc import ReadRecord, RejectedRecord, check_record, read_records, to_marc21_record

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "marc-corpus"

if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(
        "../shared/marc-corpus is absent: conformance files are not part of a user's clone",
        allow_module_level=True,
    )

RUSMARC_FILES = [
    "loge-gh-rusmarc/TEST1.ISO",
    "loge-gh-rusmarc/TEST2.ISO",
    "loge-gh-rusmarc/ur.iso",
    "neb-catalog/7_rusmarc.mrc",
    "neb-catalog/RuSpRNB-009670326-rusmarc-language.mrc",
    "neb-catalog/NLR005177748.mrc",
    "neb-catalog/NLR009673669.mrc",
    "neb-catalog/NLR001087167.mrc",
]
UNIMARC_FILES = [*RUSMARC_FILES, "pymarc/testunimarc.dat", "neb-catalog/rusmarc2marc-rusmarc.mrc"]
_CYRILLIC = re.compile("[А-Яа-яЁё]")


def _read(relative: str) -> list[ReadRecord]:
    return [o for o in read_records(CORPUS / relative) if isinstance(o, ReadRecord)]


def test_a_marc8_reference_to_the_replacement_character_is_flagged() -> None:
    [outcome] = _read("ruby-marc/escaped_character_reference.marc8.marc")

    assert "\ufffd" in outcome.record["260"]["a"]
    assert outcome.flags == (
        "field 260 $a holds U+FFFD, the replacement character a program writes where it "
        "could not decode a character: text was lost before the record was sent",
    )


@pytest.mark.parametrize("relative", UNIMARC_FILES)
def test_the_converters_886_fields_draw_no_findings(relative: str) -> None:
    for outcome in _read(relative):
        converted = to_marc21_record(outcome.record, outcome.dialect)

        assert converted.get_fields("886")
        assert [f for f in check_record(converted) if f.tag == "886"] == [], outcome.index


def _fuller_headings(outcome: ReadRecord) -> list[str]:
    """'Surname, full forenames' for each 70X that gives the full forenames in $g."""
    headings = []
    for field in outcome.record.get_fields("700", "701", "702"):
        if field.indicator2 == "1" and field.get("a") and field.get("g"):
            headings.append(f"{field['a'].strip()}, {field['g'].strip()}")
    return headings


@pytest.mark.parametrize("relative", RUSMARC_FILES)
def test_rusmarc_headings_carry_the_full_forenames_in_a(relative: str) -> None:
    outcomes = _read(relative)
    assert sum(len(_fuller_headings(o)) for o in outcomes) > 0

    for outcome in outcomes:
        national = to_marc21_record(outcome.record, outcome.dialect)
        lc = to_marc21_record(outcome.record, outcome.dialect, heading_form="lc")
        names = national.get_fields("100", "700")

        assert set(_fuller_headings(outcome)) <= {f["a"] for f in names}, outcome.index
        assert not [f for f in names if f.get("q")], outcome.index
        assert len([f for f in lc.get_fields("100", "700") if f.get("q")]) >= len(
            _fuller_headings(outcome)
        )


def test_test1_translators_get_the_term_rsl_uses() -> None:
    translators = [
        field
        for outcome in _read("loge-gh-rusmarc/TEST1.ISO")
        for field in to_marc21_record(outcome.record, outcome.dialect).get_fields("700")
        if "trl" in field.get_subfields("4")
    ]

    assert translators
    assert all(field.get_subfields("e") == ["пер."] for field in translators)


def test_windows_1251_marc21_is_rejected_unless_its_character_set_is_named() -> None:
    path = CORPUS / "pymarc/1251.dat"

    unnamed = list(read_records(path))
    named = list(read_records(path, encoding="cp1251"))

    assert [type(o) for o in unnamed] == [RejectedRecord] * 6
    assert all("Windows-1251" in o.reason for o in unnamed if isinstance(o, RejectedRecord))
    assert [type(o) for o in named] == [ReadRecord] * 6
    titles = [o.record["245"]["a"] for o in named if isinstance(o, ReadRecord)]
    assert titles[0].startswith("Основы гидравлического расчета инженерных сетей")
    assert all(_CYRILLIC.match(title) for title in titles), titles
    assert all(o.flags == () for o in named if isinstance(o, ReadRecord))
