"""Conformance over real files other MARC projects test with (../shared/marc-corpus).

MANIFEST.tsv says for each file its format and how many records a careful reader must
account for; every one has to come back, read or rejected, with no exception escaping.
"""

import csv
import unicodedata
from pathlib import Path

import pytest

from marc import (
    MarcFormatError,
    ReadRecord,
    RejectedRecord,
    detect_format,
    index_record,
    read_records,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "marc-corpus"

if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(
        "../shared/marc-corpus is absent: conformance files are not part of a user's clone",
        allow_module_level=True,
    )

with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as manifest:
    ROWS = list(csv.DictReader(manifest, delimiter="\t"))

# MANIFEST counts only the 18 complete records of this file; the 19th, cut off
# mid-leader, is reported as a rejected record ("truncated: ...") like any other.
EXPECTED_OVERRIDES = {"marc4j/008008027.mrc": 19}

READABLE = [
    row for row in ROWS if row["format"].startswith("marc21-binary") or row["format"] == "marcxml"
]
NOT_MARC = [row for row in ROWS if row["format"].startswith("other")]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _outcomes(relative: str) -> list[ReadRecord | RejectedRecord]:
    return list(read_records(CORPUS / relative))


def _read(relative: str) -> list[ReadRecord]:
    return [o for o in _outcomes(relative) if isinstance(o, ReadRecord)]


@pytest.mark.parametrize("row", READABLE, ids=[row["path"] for row in READABLE])
def test_every_record_is_accounted_for(row: dict[str, str]) -> None:
    outcomes = _outcomes(row["path"])

    expected = EXPECTED_OVERRIDES.get(row["path"], int(row["records_in_file"]))
    assert len(outcomes) == expected
    assert [o.index for o in outcomes] == list(range(1, expected + 1))
    for outcome in outcomes:
        if isinstance(outcome, RejectedRecord):
            assert outcome.reason
            assert outcome.reason[0].islower()  # a sentence fragment, not an exception name


@pytest.mark.parametrize("row", NOT_MARC, ids=[row["path"] for row in NOT_MARC])
def test_files_that_are_not_marc_are_refused_not_misread(row: dict[str, str]) -> None:
    try:
        outcomes = list(read_records(CORPUS / row["path"]))
    except MarcFormatError as error:
        assert str(error)
    else:
        assert outcomes
        assert all(isinstance(o, RejectedRecord) for o in outcomes)


def test_detection_ignores_the_misleading_name() -> None:
    assert detect_format(CORPUS / "marcli/test_bad.xml") == "marc21"
    assert detect_format(CORPUS / "marcli/bad") == "marcxml"


def test_utf8_without_leader_flag_decodes_like_the_flagged_and_marc8_copies() -> None:
    [unflagged] = _read("pymarc/utf8_without_leader_flag.dat")
    [flagged] = _read("pymarc/utf8_with_leader_flag.dat")
    [marc8] = _read("pymarc/marc8.dat")

    assert index_record(unflagged.record).title == "Escape from loneliness"
    # The UTF-8 copies hold decomposed accents; pymarc's MARC-8 decoder composes them.
    assert _nfc(unflagged.record["240"]["a"]) == "De la solitude à la communauté."
    fields = [str(field) for field in unflagged.record.fields]
    assert fields == [str(field) for field in flagged.record.fields]
    assert [_nfc(field) for field in fields] == [str(field) for field in marc8.record.fields]


def test_truncated_file_gives_18_records_and_one_rejection() -> None:
    outcomes = _outcomes("marc4j/008008027.mrc")

    assert sum(isinstance(o, ReadRecord) for o in outcomes) == 18
    [rejected] = [o for o in outcomes if isinstance(o, RejectedRecord)]
    assert rejected.index == 19
    assert rejected.reason.startswith("truncated: file ends without a record terminator")


def test_marc_schema_test_accounts_for_all_100() -> None:
    outcomes = _outcomes("neb-catalog/marc-schema-test.mrc")
    rejected = [o for o in outcomes if isinstance(o, RejectedRecord)]

    assert len(outcomes) == 100
    assert rejected[0].index == 6
    assert rejected[0].reason.startswith(
        "record length in leader (00708) does not match the 711 bytes up to the record terminator"
    )
    assert all(r.reason.startswith("record length in leader") for r in rejected)


def test_bad_length_is_explained_in_the_leaders_terms() -> None:
    [rejected] = _outcomes("pymarc/bad_subfield_code.dat")

    assert isinstance(rejected, RejectedRecord)
    assert rejected.reason.startswith(
        "record length in leader (00755) does not match the 756 bytes up to the record terminator"
    )


def test_records_after_a_broken_one_are_not_lost() -> None:
    badldr = _outcomes("marc-perl/badldr.usmarc")
    cameleof = _outcomes("marc-perl/cameleof.usmarc")
    filler = _outcomes("marc-perl/filler.usmarc")

    assert [type(o) for o in badldr] == [ReadRecord] * 6 + [RejectedRecord]
    assert all(isinstance(o, ReadRecord) for o in cameleof + filler)
    assert (len(cameleof), len(filler)) == (10, 3)


def test_broken_xml_record_costs_only_itself() -> None:
    outcomes = _outcomes("ruby-marc/three-records-second-bad.xml")

    assert [(o.index, type(o)) for o in outcomes] == [
        (1, ReadRecord),
        (2, RejectedRecord),
        (3, ReadRecord),
    ]


def test_windows_1251_is_refused_rather_than_read_as_garbage() -> None:
    outcomes = _outcomes("pymarc/1251.dat")

    assert len(outcomes) == 6
    for outcome in outcomes:
        assert isinstance(outcome, RejectedRecord)
        assert "MARC-8" in outcome.reason


def test_oai_dublin_core_is_not_mistaken_for_marc() -> None:
    with pytest.raises(MarcFormatError, match="hold no MARC fields"):
        _outcomes("traject/sample-oai-no-namespace.xml")


def test_marc8_scripts_decode() -> None:
    [hebrew] = _read("marc-perl/hebrew1.marc")
    cyrillic = _read("marc4j/cyrillic_capital_e.mrc")

    assert any(
        "\u0590" <= ch <= "\u05ff" for f in hebrew.record.get_fields("880") for ch in f.value()
    )
    assert any(
        "\u0400" <= ch <= "\u04ff"
        for o in cyrillic
        for f in o.record.get_fields("880")
        for ch in f.value()
    )
