from pathlib import Path

import pytest

from marc import MarcFormatError, ReadRecord, RejectedRecord, read_records

from .records import as_read, as_rejected, write_bytes

MARC_NS = "http://www.loc.gov/MARC21/slim"


def _record(control_number: str, title: str = "Perspektivy", leader: str | None = None) -> str:
    leader = leader if leader is not None else "00000nam a2200000 i 4500"
    return (
        "<record>"
        f"<leader>{leader}</leader>"
        f'<controlfield tag="001">{control_number}</controlfield>'
        '<datafield tag="245" ind1="1" ind2="0">'
        f'<subfield code="a">{title}</subfield>'
        "</datafield>"
        "</record>\n"
    )


def _collection(*records: str, namespace: str | None = MARC_NS) -> bytes:
    declaration = f' xmlns="{namespace}"' if namespace else ""
    body = "".join(records)
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{prolog}<collection{declaration}>\n{body}</collection>\n".encode()


def _read(tmp_path: Path, data: bytes) -> list[ReadRecord | RejectedRecord]:
    return list(read_records(write_bytes(tmp_path / "records.xml", data)))


@pytest.mark.parametrize("namespace", [MARC_NS, None], ids=["namespaced", "un-namespaced"])
def test_collection_is_read(tmp_path: Path, namespace: str | None) -> None:
    data = _collection(_record("a1", "Перспективы"), _record("a2"), namespace=namespace)

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, ReadRecord]
    assert [o.index for o in outcomes] == [1, 2]
    assert as_read(outcomes[0]).record["245"]["a"] == "Перспективы"
    assert as_read(outcomes[1]).record["001"].data == "a2"
    assert [data[o.offset : o.offset + 8] for o in outcomes] == [b"<record>"] * 2


def test_prefixed_single_record_document_is_read(tmp_path: Path) -> None:
    data = (
        f'<marc:record xmlns:marc="{MARC_NS}"><marc:leader>00000nam a2200000 i 4500</marc:leader>'
        '<marc:datafield tag="245" ind1="0" ind2="0"><marc:subfield code="a">'
        "Perpustakaan Nasional</marc:subfield></marc:datafield></marc:record>"
    ).encode()

    [outcome] = _read(tmp_path, data)

    assert isinstance(outcome, ReadRecord)
    assert outcome.record["245"]["a"] == "Perpustakaan Nasional"


def test_marc_records_inside_oai_pmh_are_read(tmp_path: Path) -> None:
    data = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        "<record><header><identifier>oai:x:1</identifier></header><metadata>"
        f'<marc:record xmlns:marc="{MARC_NS}"><marc:leader>00000nam a2200000 i 4500'
        '</marc:leader><marc:controlfield tag="001">x1</marc:controlfield></marc:record>'
        "</metadata></record></ListRecords></OAI-PMH>"
    ).encode()

    [outcome] = _read(tmp_path, data)

    assert isinstance(outcome, ReadRecord)
    assert outcome.record["001"].data == "x1"


def test_record_that_cannot_be_a_pymarc_record_is_rejected_alone(tmp_path: Path) -> None:
    data = _collection(_record("a1"), _record("a2", leader="00000nam 22"), _record("a3"))

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    rejected = as_rejected(outcomes[1])
    assert rejected.index == 2
    assert rejected.reason == (
        "the leader is 11 characters long ('00000nam 22'); MARC 21 requires 24"
    )
    assert rejected.raw == _record("a2", leader="00000nam 22").strip().encode()
    assert data[rejected.offset :].startswith(rejected.raw)


def test_broken_xml_inside_a_record_costs_only_that_record(tmp_path: Path) -> None:
    broken = _record("a2").replace('code="a"', 'code="\x07"')
    data = _collection(_record("a1"), broken, _record("a3"))

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    assert [o.index for o in outcomes] == [1, 2, 3]
    rejected = as_rejected(outcomes[1])
    assert rejected.reason.startswith("the record is not well-formed XML: not well-formed")
    assert "line 4" in rejected.reason
    assert rejected.raw == broken.strip().encode()
    assert as_read(outcomes[2]).record["001"].data == "a3"


def test_broken_xml_in_a_latin1_document_recovers(tmp_path: Path) -> None:
    data = _collection(
        _record("a1", "Société"), "<record><leader>x</leader><oops></record>", _record("a3", "Côté")
    )
    data = data.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').decode().encode("latin-1")

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    assert as_read(outcomes[2]).record["245"]["a"] == "Côté"


def test_truncated_xml_rejects_the_unfinished_record(tmp_path: Path) -> None:
    data = _collection(_record("a1"), _record("a2"))
    cut = data[: data.index(b">a2<") + 3]

    outcomes = _read(tmp_path, cut)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord]
    assert outcomes[1].index == 2


@pytest.mark.parametrize(
    "attack",
    [
        '<!DOCTYPE collection [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE collection [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        '<!DOCTYPE collection SYSTEM "http://example.org/marc.dtd">',
    ],
    ids=["xxe", "billion-laughs", "external-dtd"],
)
def test_dtds_and_entities_are_refused_never_expanded(tmp_path: Path, attack: str) -> None:
    entity = "&xxe;" if "xxe" in attack else "&c;" if "ENTITY c" in attack else "x"
    data = (
        f'<?xml version="1.0"?>\n{attack}\n<collection xmlns="{MARC_NS}">'
        f"{_record('a1', entity)}</collection>"
    ).encode()

    with pytest.raises(MarcFormatError, match="DTD"):
        _read(tmp_path, data)


def test_xml_broken_before_any_record_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(MarcFormatError, match="not well-formed XML"):
        _read(tmp_path, b'<collection xmlns="x" <record></record></collection>')


def test_xml_that_is_not_marc_is_a_format_error(tmp_path: Path) -> None:
    data = (
        b"<OAI-PMH><ListRecords><record><header><identifier>1</identifier></header>"
        b"<metadata><dc><title>Warehouses</title></dc></metadata></record></ListRecords></OAI-PMH>"
    )

    with pytest.raises(MarcFormatError, match="no MARCXML records found"):
        _read(tmp_path, data)


def test_empty_collection_holds_no_records(tmp_path: Path) -> None:
    assert _read(tmp_path, _collection()) == []


def test_unknown_elements_inside_a_field_reject_the_record(tmp_path: Path) -> None:
    record = (
        _record("a1").replace("<subfield ", "<subfields ").replace("</subfield>", "</subfields>")
    )

    [outcome] = _read(tmp_path, _collection(record))

    assert isinstance(outcome, RejectedRecord)
    assert outcome.reason == "unexpected element <subfields> inside <field 245>"


def test_broken_record_start_tag_rejects_that_record(tmp_path: Path) -> None:
    broken = _record("a2").replace("<record>", '<record id="1" id="2">')
    data = _collection(_record("a1"), broken, _record("a3"))

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    assert data[outcomes[1].offset :].startswith(b'<record id="1"')


def test_broken_xml_between_records_costs_no_record(tmp_path: Path) -> None:
    data = _collection(_record("a1"), "<note>R&D</note>\n", _record("a2"))

    outcomes = _read(tmp_path, data)

    assert [(o.index, type(o)) for o in outcomes] == [(1, ReadRecord), (2, ReadRecord)]


def test_utf16_document_is_read(tmp_path: Path) -> None:
    text = _collection(_record("a1", "Перспективы")).decode()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    [outcome] = _read(tmp_path, data)

    assert as_read(outcome).record["245"]["a"] == "Перспективы"


def test_pretty_printed_leader_keeps_its_positions(tmp_path: Path) -> None:
    record = _record("a1", leader="\n      00000nam a2200000 i 4500\n    ")

    [outcome] = _read(tmp_path, _collection(record))

    assert str(as_read(outcome).record.leader) == "00000nam a2200000 i 4500"


def test_a_record_too_big_to_be_marc_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    from marc.marcxml_record_builder import MAX_RECORD_SIZE

    huge = _record("a2", title="x" * (MAX_RECORD_SIZE + 10))
    data = _collection(_record("a1"), huge, _record("a3"))

    outcomes = _read(tmp_path, data)

    assert [type(o) for o in outcomes] == [ReadRecord, RejectedRecord, ReadRecord]
    assert as_rejected(outcomes[1]).reason.startswith("the record holds more than")


def test_unimarc_in_marcxml_is_told_by_its_fields(tmp_path: Path) -> None:
    unimarc = (
        "<record><leader>00000nam0 2200000   450 </leader>"
        '<controlfield tag="001">u1</controlfield>'
        '<datafield tag="200" ind1="1" ind2=" "><subfield code="a">Перспективы</subfield>'
        "</datafield></record>"
    )
    outcomes = _read(tmp_path, _collection(unimarc, _record("a2")))

    assert [as_read(o).dialect for o in outcomes] == ["unimarc", "marc21"]


@pytest.mark.parametrize("written", ["\ufffd", "&#xFFFD;", "&#65533;"])
def test_text_holding_the_replacement_character_is_flagged(tmp_path: Path, written: str) -> None:
    data = _collection(_record("a1", f"Perspektivy {written}"), _record("a2"))

    first, second = (as_read(o) for o in _read(tmp_path, data))

    assert first.record["245"]["a"] == "Perspektivy \ufffd"
    assert first.flags == (
        "field 245 $a holds U+FFFD, the replacement character a program writes where it "
        "could not decode a character: text was lost before the record was sent",
    )
    assert second.flags == ()
