from pathlib import Path

from marc.crosswalk_doc import render
from marc.crosswalk_table import FIELDS, POSITIONS
from marc.unimarc_codes import COUNTRIES, RELATORS

DOC = Path(__file__).resolve().parents[2] / "docs" / "marc-crosswalk.md"


def test_the_document_is_the_table() -> None:
    # If this fails: python -m marc.crosswalk_doc > docs/marc-crosswalk.md
    assert DOC.read_text(encoding="utf-8") == render()


def test_every_row_of_the_table_is_in_the_document() -> None:
    text = DOC.read_text(encoding="utf-8")

    for mapping in FIELDS:
        assert f"| {mapping.source} | {mapping.target} |" in text
    for position in POSITIONS:
        assert f"| {position.source} | {position.target} |" in text
    for unimarc, marc21 in RELATORS.items():
        assert f"| {unimarc} | {marc21} |" in text
    for iso, marc_code in COUNTRIES.items():
        assert f"| {iso} | {marc_code} |" in text


def test_the_issue_s_minimum_crosswalk_is_covered() -> None:
    sources = {mapping.source: mapping.target for mapping in FIELDS}
    required = {
        "001": "001", "010": "020", "011": "022", "101": "041", "102": "044", "200": "245",
        "205": "250", "210": "264", "214": "264", "215": "300", "225": "490", "300": "500",
        "320": "504", "330": "520", "500": "240", "600": "600", "601": "610", "605": "630",
        "606": "650", "607": "651", "675": "080", "676": "082", "686": "084", "700": "100",
        "701": "700", "702": "700", "710": "110", "711": "710", "712": "710", "801": "040",
        "856": "856",
    }  # fmt: skip

    assert {tag: sources.get(tag) for tag in required} == required
    links = {source: target for source, target in sources.items() if source.startswith("4")}
    assert links and all("760" <= target <= "787" for target in links.values())
