"""Conformance over real files other MARC projects test with (../shared/marc-corpus).

MANIFEST.tsv says for each file its format and how many records a careful reader must
account for; every one has to come back, read or rejected, with no exception escaping.
Where MANIFEST gives the title a correct reading produces, ours must produce it too.
"""

import csv
import re
import unicodedata
from pathlib import Path

import pytest

from marc import (
    MarcFormatError,
    ReadRecord,
    RejectedRecord,
    TextEncoding,
    check_record,
    detect_format,
    index_record,
    read_records,
    to_marc21,
    to_marc21_record,
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
    row
    for row in ROWS
    if row["format"].startswith(("marc21-binary", "unimarc-binary"))
    or row["format"] in ("marcxml", "marcjson")
]
UNIMARC_FILES = [row["path"] for row in ROWS if row["format"] == "unimarc-binary"]

_TITLE = re.compile(r"title(?: via ([^:]+))?: (\w{3}):(.*)$")
TITLED = [row for row in ROWS if _TITLE.search(row["pymarc_5_4_behaviour"])]

# Files with a MANIFEST title whose records this reader refuses, and why: each holds
# bytes that no character set it is read in can turn into text, or a structure MARC
# 21 cannot hold. They come back as rejected records with their bytes.
REFUSED = {
    "pymarc/bad_eacc_encoding.dat": "a CJK character not in the MARC-8 EACC table",
    "pymarc/bad_marc8_escape.dat": "an escape sequence that selects no MARC-8 set",
    "pymarc/utf8_invalid.mrc": "U+FFFD used as a subfield code",
    "marc4j/not_unimarc_errors_3.mrc": "leader says UTF-8; non-UTF-8 bytes as subfield codes",
    "yaz/marc1.json": "DanMARC: a control field written with subfields",
    "yaz/marc1.xml": "DanMARC: a control field written with subfields",
    "yaz/marc2.json": "DanMARC: a control field written with subfields",
    "yaz/marc2.xml": "DanMARC: a control field written with subfields",
    "yaz/marc2.marc": "Latin-1 byte as a subfield code",
    "yaz/marc5.json": "Greek letter as a subfield code",
    "yaz/marc5.xml": "Greek letter as a subfield code",
    "yaz/marc10.marc": "DanMARC 2 character set, not MARC-8",
    "yaz/marc11.marc": "DanMARC 2 character set, not MARC-8",
    "yaz/marc12.marc": "an escape character used as a subfield code",
    "traject/bad_subfield_code.marc": "non-ASCII subfield code",
}
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


@pytest.mark.parametrize("row", TITLED, ids=[row["path"] for row in TITLED])
def test_titles_come_out_as_a_correct_reading_gives_them(row: dict[str, str]) -> None:
    match = _TITLE.search(row["pymarc_5_4_behaviour"])
    assert match is not None
    via, tag, expected = match.group(1), match.group(2), match.group(3).strip()
    encoding: TextEncoding | None = "cp1251" if via and "cp1251" in via else None
    read = [
        o
        for o in read_records(CORPUS / row["path"], encoding=encoding)
        if isinstance(o, ReadRecord)
    ]
    if row["path"] in REFUSED:
        assert read == []
        return
    field = read[0].record.get(tag)
    assert field is not None
    codes = ("a", "e") if tag == "200" else ("a", "b")
    assert _nfc(" ".join(field.get_subfields(*codes))).startswith(_nfc(expected))


def test_cyrillic_rusmarc_in_windows_1251_reads_by_its_100_declaration() -> None:
    read = _read("loge-gh-rusmarc/TEST1.ISO")

    assert len(read) == 81
    assert {o.dialect for o in read} == {"unimarc"}
    assert all(o.flags == () for o in read)
    titles = [o.record["200"]["a"] for o in read]
    assert titles[1] == "Задачи и этюды"
    assert sum(bool(re.search("[А-Яа-яЁё]", title)) for title in titles) == 80  # one is "1929-1939"
    assert not any(re.search("[ÐÑÃ\u00c0-\u00ff]", title) for title in titles)


def test_rusmarc_that_says_windows_1251_but_is_utf8_is_flagged() -> None:
    [record] = _read("loge-gh-rusmarc/ur.iso")

    assert record.record["200"]["a"] == "ПЕДАГОГИКА И ПСИХОЛОГИЯ НЕНАСИЛИЯ В ОБРАЗОВАНИИ"
    assert record.flags == (
        "100$a/26-29 is '89  ' (Windows-1251), but the text is UTF-8; it was read as UTF-8",
    )


def test_utf8_rusmarc_binary_and_marcxml_copies_agree() -> None:
    [binary] = _read("neb-catalog/NLR005177748.mrc")
    [xml] = _read("neb-catalog/NLR005177748.xml")

    assert binary.dialect == xml.dialect == "unimarc"
    assert binary.record["200"]["a"].startswith("История XVIII столетия")

    def squeezed(outcome: ReadRecord) -> list[tuple[str, str]]:  # the XML is pretty-printed
        return [(field.tag, " ".join(field.value().split())) for field in outcome.record.fields]

    assert squeezed(binary) == squeezed(xml)


def test_marc8_serbian_cyrillic_keeps_every_letter() -> None:
    [record] = _read("marc-perl/cyrillic.marc")

    titles = [f["a"] for f in record.record.get_fields("880") if f["6"].startswith("245")]
    assert titles == ["Одлуке и решења Савезног уставног суда."]


def test_marc8_declared_utf8_is_read_and_flagged() -> None:
    [record] = _read("ruby-marc/marc8_accented_chars.marc")

    assert record.record["245"]["a"] == 'Histoire du "nouveau théâtre."'
    assert record.flags == (
        "Leader/09 is 'a' (UTF-8), but the text is not UTF-8; it was read as MARC-8",
    )


def test_windows_1251_marc21_reads_when_the_partner_names_its_character_set() -> None:
    read = list(read_records(CORPUS / "pymarc/1251.dat", encoding="cp1251"))

    assert [type(o) for o in read] == [ReadRecord] * 6
    first = read[0]
    assert isinstance(first, ReadRecord)
    assert first.record["245"]["a"].startswith("Основы гидравлического расчета")


@pytest.mark.parametrize("relative", UNIMARC_FILES)
def test_every_unimarc_record_converts_to_clean_marc21(relative: str) -> None:
    for outcome in _read(relative):
        converted = to_marc21_record(outcome.record, outcome.dialect, source_isil="RU-SpRNB")
        errors = [f for f in check_record(converted) if f.severity == "error"]

        assert errors == [], outcome.index
        assert converted["245"] is not None
        assert converted["035"]["a"].startswith("(RU-SpRNB)")
        to_marc21(converted)
