"""Match rules as plain functions: a record's keys, the catalogue decision, matching to lines.

``service/matching.py`` decides what an import does with each record; ``test_import`` sees
the outcome through a whole upload, here each rule is asked on its own (no database).
"""

from __future__ import annotations

import uuid

from pymarc import Field, Indicators, Record, Subfield

import marc
from services.exchange.models import ExchangeLine
from services.exchange.service import matching
from tests.support import build_record


def _with(record: Record, tag: str, value: str) -> Record:
    record.add_field(
        Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield("a", value)])
    )
    return record


def _target(title: str, **fields: object) -> matching.LineTarget:
    line = ExchangeLine.model_validate(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, title)),
            "exchange_id": "x",
            "position": 1,
            "title": title,
            "quantity": 1,
        }
        | fields
    )
    return matching.LineTarget.of(line)


def _index(title: str, author: str | None = None, year: str | None = None) -> marc.RecordIndex:
    return marc.RecordIndex(
        control_number=None, title=title, isbn=None, issn=None, author=author, year=year
    )


def test_a_record_has_its_identifiers_as_keys_in_rule_order() -> None:
    record = build_record(1, isbn="978-602-1234-00-6 (pbk.)")
    record.add_field(Field(tag="003", data="IdJaPN"))
    _with(record, "022", "0378-5955")
    _with(record, "035", "(OCoLC)ocm00012345")
    _with(record, "020", "9786021234006")  # the same ISBN again: one key
    _with(record, "020", "not an isbn")
    keys = matching.record_keys(record)
    assert keys == [
        "isbn:9786021234006",
        "issn:0378-5955",
        "sys:(OCoLC)12345",
        "ctl:IdJaPN|test000001",
        "ctl:OCoLC|12345",  # a 035 (agency)number is a control number with its source too
    ], "with an ISBN, no review keys"
    assert matching.record_keys(build_record(2)) == ["001:test000002|buku nomor 2"], (
        "001 without 003 is a review key only"
    )


def test_the_first_point_with_candidates_decides() -> None:
    keys = ["isbn:1", "issn:2", "sys:3"]
    assert matching.catalogue_decision(keys, {}) == ("create", [])
    assert matching.catalogue_decision(keys, {"sys:3": {7}}) == ("merge", [7])
    # The ISBN decides before the ISSN, however many candidates the ISSN has.
    assert matching.catalogue_decision(keys, {"isbn:1": {5}, "issn:2": {8, 9}}) == ("merge", [5])
    assert matching.catalogue_decision(keys, {"isbn:1": {9, 4}, "sys:3": {7}}) == (
        "multi_match",
        [4, 9],
    )
    two_isbns = ["isbn:1", "isbn:9"]
    assert matching.catalogue_decision(two_isbns, {"isbn:1": {3}, "isbn:9": {3}}) == (
        "merge",
        [3],
    ), "two keys naming one record are one candidate"
    assert matching.catalogue_decision(two_isbns, {"isbn:1": {3}, "isbn:9": {6}})[0] == (
        "multi_match"
    )


def test_titles_are_compared_without_case_diacritics_or_punctuation() -> None:
    assert (
        matching.normalise_title("Sejarah  Nasional: Indonesia /") == "sejarah nasional indonesia"
    )
    assert matching.normalise_title("Café Müller") == matching.normalise_title("CAFE MULLER")
    assert matching.normalise_title("ВОЙНА И МИР.") == matching.normalise_title("Война и мир")
    assert matching.normalise_title(None) == "" and matching.normalise_title("") == ""


def test_a_record_finds_its_line_by_identifier_then_by_title() -> None:
    kamus = _target("Kamus Dewan", isbn="978-602-1234-00-6")
    war = _target("Война и мир", author="Толстой, Лев", year=2026)
    serial = _target("Majalah", issn="0378-5955")
    targets = [kamus, war, serial]
    assert matching.match_line(targets, ["isbn:9786021234006"], _index("x")) == kamus.line_id
    assert matching.match_line(targets, ["issn:0378-5955"], _index("y")) == serial.line_id
    assert matching.match_line(targets, [], _index("ВОЙНА И МИР.")) == war.line_id
    assert matching.match_line(targets, [], _index("Война и мир", year="2026")) == war.line_id
    assert matching.match_line(targets, [], _index("Война и мир", year="1999")) is None, (
        "years that disagree rule the line out"
    )
    assert matching.match_line(targets, [], _index("A record for no line")) is None
    assert matching.match_line(targets, [], _index("")) is None


def test_a_different_author_costs_a_close_title_its_match() -> None:
    line = _target("Sejarah nasional indonesia jilid", author="Poesponegoro")
    close = "Sejarah nasional indonesia, jilid kedua"  # similar enough on its own (0.91)
    assert matching.match_line([line], [], _index(close)) == line.line_id
    assert matching.match_line([line], [], _index(close, author="Poesponegoro, M. D.")) == (
        line.line_id
    )
    assert matching.match_line([line], [], _index(close, author="Notosusanto")) is None
    assert (
        matching.TITLE_SIMILARITY
        == matching.MATCH_RULES["exchange_lines"][  # type: ignore[index]
            "title_similarity_at_least"
        ]
    )
