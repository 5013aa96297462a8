"""Read, convert and write, twice: the second round must give the same bytes as the first.

Stability is what lets an exported batch be imported again (by us or a partner) without
records changing each time. It is checked on built records and on every readable file
of the shared corpus, in all three output formats.
"""

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from marc import (
    ReadRecord,
    marcjson_collection,
    marcxml_collection,
    read_records,
    to_marc21,
    to_marc21_record,
)

from .records import book, cyrillic_book, unimarc_book, write_bytes

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "marc-corpus"
CORPUS_FILES = (
    sorted(
        path
        for path in CORPUS.rglob("*")
        if path.is_file() and path.name not in ("MANIFEST.tsv", "README.md")
    )
    if CORPUS.is_dir()
    else []
)

Writer = Callable[[Iterable[bytes]], Iterator[bytes]]


def _binary(records: Iterable[bytes]) -> Iterator[bytes]:
    yield from records


WRITERS: dict[str, Writer] = {
    "marc21": _binary,
    "marcxml": marcxml_collection,
    "marcjson": marcjson_collection,
}


def _one_round(path: Path, writer: Writer, out: Path) -> bytes:
    """Read every record of ``path``, convert it to MARC 21 and write the ones that can be."""
    written = []
    for outcome in read_records(path):
        if not isinstance(outcome, ReadRecord):
            continue
        try:
            written.append(to_marc21(to_marc21_record(outcome.record, outcome.dialect)))
        except ValueError:
            continue  # too long for ISO 2709, say; the import reports it
    data = b"".join(writer(written))
    out.write_bytes(data)
    return data


@pytest.mark.parametrize("fmt", WRITERS)
def test_built_records_are_stable(tmp_path: Path, fmt: str) -> None:
    source = write_bytes(
        tmp_path / "source.mrc",
        to_marc21(book()),
        to_marc21(cyrillic_book()),
        to_marc21(unimarc_book()),  # written as ISO 2709; read back it is UNIMARC
    )

    first = _one_round(source, WRITERS[fmt], tmp_path / "first")
    second = _one_round(tmp_path / "first", WRITERS[fmt], tmp_path / "second")

    assert second == first
    assert first.count(b"886") >= 3  # the UNIMARC record really was converted


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/marc-corpus is absent")
@pytest.mark.parametrize("fmt", WRITERS)
def test_corpus_files_are_stable(tmp_path: Path, fmt: str) -> None:
    unstable = []
    for path in CORPUS_FILES:
        try:
            first = _one_round(path, WRITERS[fmt], tmp_path / "first")
        except Exception as error:  # not MARC at all: MarcFormatError
            assert type(error).__name__ == "MarcFormatError", (path, error)
            continue
        if b"<record>" not in first and b'"leader"' not in first and not first[:1].isdigit():
            continue  # no record of the file could be read and written
        second = _one_round(tmp_path / "first", WRITERS[fmt], tmp_path / "second")
        if second != first:
            unstable.append(str(path.relative_to(CORPUS)))

    assert unstable == []
