"""The one entry point for reading a MARC file, whatever its format and dialect."""

import os
from collections.abc import Iterator

from marc.binary_reader import read_binary
from marc.charsets import TEXT_ENCODINGS, TextEncoding
from marc.detection import detect_format
from marc.errors import MarcFormatError
from marc.marcjson_reader import read_marcjson
from marc.marcxml_reader import read_marcxml
from marc.outcomes import Dialect, MarcFormat, ReadRecord, RejectedRecord, ResumePoint

_BINARY: tuple[MarcFormat, ...] = ("marc21", "unimarc")


def read_records(
    path: str | os.PathLike[str],
    fmt: MarcFormat | None = None,
    *,
    dialect: Dialect | None = None,
    encoding: TextEncoding | None = None,
    resume: ResumePoint | None = None,
) -> Iterator[ReadRecord | RejectedRecord]:
    """Stream every record of the file, read or rejected, in file order.

    ``resume`` continues a read that stopped part-way (an import done in chunks): binary
    files seek straight to the record's byte offset; XML and JSON read from the start and
    skip the records before its index.

    ``fmt`` names the packaging; "marc21" and "unimarc" (binary) also fix the dialect
    of every record. ``dialect`` fixes it for any packaging (a partner registered as
    RUSMARC sends UNIMARC in MARCXML too). ``encoding`` (one of TEXT_ENCODINGS: "utf-8",
    "marc-8", "iso-5426", "cp1251", "cp866", "koi8-r", "latin-1") decodes the text of
    every binary record of the file, MARC 21 or UNIMARC, in that set whatever the record
    declares, for a partner known to send, say, Windows-1251 with a blank Leader/09;
    MARCXML and MARC-in-JSON carry their own encoding and ignore it. Left out, each is
    worked out from the content, record by record. An unknown ``encoding`` is a
    ValueError at once, before the file is opened.

    The format is checked here, before the first record is asked for, so that a file
    which is not MARC at all fails at once with MarcFormatError. A declared ``fmt``
    whose packaging the content contradicts is an error too: reading XML as binary
    MARC would only produce a rejection for every "record".
    """
    if encoding is not None and encoding not in TEXT_ENCODINGS:
        raise ValueError(
            f"'{encoding}' is not a character set the reader knows; name one of "
            f"{', '.join(TEXT_ENCODINGS)}, or none to have it told from each record"
        )
    try:
        sniffed: MarcFormat | None = detect_format(path)
    except MarcFormatError:
        if fmt is None:
            raise
        sniffed = None
    if fmt is not None and sniffed is not None and _packaging(fmt) != _packaging(sniffed):
        raise MarcFormatError(f"the file was declared as {fmt}, but its content is {sniffed}")
    chosen = fmt or sniffed
    if dialect is None and fmt in _BINARY:
        dialect = "unimarc" if fmt == "unimarc" else "marc21"
    if chosen == "marcxml":
        return _skip_to(read_marcxml(path, dialect=dialect), resume)
    if chosen == "marcjson":
        return _skip_to(read_marcjson(path, dialect=dialect), resume)
    return read_binary(path, dialect=dialect, encoding=encoding, resume=resume)


def _skip_to(
    items: Iterator[ReadRecord | RejectedRecord], resume: ResumePoint | None
) -> Iterator[ReadRecord | RejectedRecord]:
    if resume is None or resume.index <= 1:
        return items
    return (item for item in items if item.index >= resume.index)


def _packaging(fmt: MarcFormat) -> str:
    return "binary" if fmt in _BINARY else fmt
