from pathlib import Path

import pytest

from marc import MarcFormat, MarcFormatError, detect_format, read_records, to_marc21

from .records import book, write_bytes


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"00714cam a2200205 a 4500", "marc21"),
        (b"\n\n  \x1a00714cam a2200205 a 4500", "marc21"),
        (b'<?xml version="1.0"?><collection/>', "marcxml"),
        (b"\xef\xbb\xbf\n  <collection/>", "marcxml"),
        ('<?xml version="1.0" encoding="UTF-16"?><collection/>'.encode("utf-16"), "marcxml"),
    ],
    ids=["marc21", "marc21-after-filler", "xml", "xml-after-bom", "utf16-xml"],
)
def test_format_is_taken_from_content(tmp_path: Path, content: bytes, expected: MarcFormat) -> None:
    assert detect_format(write_bytes(tmp_path / "upload.bin", content)) == expected


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b'{"name": "Perpustakaan Nasional"}', "JSON but not MARC-in-JSON"),
        (b"=LDR  00000nam  2200000 a 4500", "MARCMaker"),
        (b"PK\x03\x04 zipped export", "neither a MARC record"),
    ],
    ids=["empty", "blank", "json", "marcmaker", "zip"],
)
def test_content_that_is_not_marc_says_why(tmp_path: Path, content: bytes, why: str) -> None:
    with pytest.raises(MarcFormatError, match=why):
        detect_format(write_bytes(tmp_path / "upload.bin", content))


def test_declared_format_contradicted_by_content_is_refused(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "records.xml", to_marc21(book()))

    with pytest.raises(MarcFormatError, match="declared as marcxml, but its content is marc21"):
        read_records(path, "marcxml")


def test_declared_format_matching_content_is_read(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "records.mrc", to_marc21(book()))

    assert len(list(read_records(path, "marc21"))) == 1


def test_unimarc_binary_is_told_from_marc21(tmp_path: Path) -> None:
    from .records import unimarc_book

    path = write_bytes(tmp_path / "rusmarc.iso", to_marc21(unimarc_book()))

    assert detect_format(path) == "unimarc"
    [outcome] = read_records(path)
    assert outcome.dialect == "unimarc"  # type: ignore[union-attr]


def test_a_named_dialect_wins_over_the_fields(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "records.mrc", to_marc21(book()))

    [outcome] = read_records(path, "unimarc")

    assert outcome.dialect == "unimarc"  # type: ignore[union-attr]
    [again] = read_records(path, dialect="unimarc")
    assert again.dialect == "unimarc"  # type: ignore[union-attr]


@pytest.mark.parametrize("content", [b'[{"leader": "x"}]', b'\n{"fields": []}'])
def test_marc_in_json_is_detected(tmp_path: Path, content: bytes) -> None:
    assert detect_format(write_bytes(tmp_path / "records", content)) == "marcjson"
