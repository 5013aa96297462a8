"""The one entry point for reading a MARC file, whatever its format."""

import os
from collections.abc import Iterator

from marc.binary_reader import read_marc21
from marc.detection import detect_format
from marc.errors import MarcFormatError
from marc.marcxml_reader import read_marcxml
from marc.outcomes import MarcFormat, ReadRecord, RejectedRecord


def read_records(
    path: str | os.PathLike[str], fmt: MarcFormat | None = None
) -> Iterator[ReadRecord | RejectedRecord]:
    """Stream every record of the file, read or rejected, in file order.

    The format is checked here, before the first record is asked for, so that a file
    which is not MARC at all fails at once with MarcFormatError. A declared ``fmt`` that
    the content contradicts is an error too: reading XML as binary MARC would only
    produce a rejection for every "record".
    """
    try:
        sniffed: MarcFormat | None = detect_format(path)
    except MarcFormatError:
        if fmt is None:
            raise
        sniffed = None
    if fmt is not None and sniffed is not None and fmt != sniffed:
        raise MarcFormatError(f"the file was declared as {fmt}, but its content is {sniffed}")
    chosen = fmt or sniffed
    if chosen == "marcxml":
        return read_marcxml(path)
    return read_marc21(path)
