"""Cutting a binary MARC file into records on the record terminator (0x1D).

The leader's record length is not trusted for framing: one miscounted length would shift
every later record, which is how pymarc ends up losing the rest of a file. 0x1D cannot
occur inside UTF-8 or MARC-8 text, so it is a safe place to cut. The file is read in
blocks, so memory stays bounded by the largest record, not the file.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

RECORD_TERMINATOR = b"\x1d"
# Bytes that real files put between records (padding, line breaks, DOS end-of-file
# marks, NUL filler); they are never part of a record.
_FILLER = b" \t\r\n\x00\x1a"
_UTF8_BOM = b"\xef\xbb\xbf"

BLOCK_SIZE = 1 << 16
# ISO 2709 caps a record at 99,999 bytes; real exports overshoot (HathiTrust has
# records of a megabyte), so only give up on a record far beyond that.
MAX_RECORD_BYTES = 4 << 20

FrameKind = Literal["record", "unterminated", "oversized"]


@dataclass(frozen=True, slots=True)
class Frame:
    """The bytes of one record as cut from the file.

    ``kind`` is "unterminated" for bytes after the last terminator and "oversized" when
    no terminator came within MAX_RECORD_BYTES (``data`` then holds only the beginning).
    """

    offset: int
    data: bytes
    kind: FrameKind


def frames(
    stream: BinaryIO,
    *,
    block_size: int = BLOCK_SIZE,
    max_record_bytes: int = MAX_RECORD_BYTES,
    base_offset: int = 0,
) -> Iterator[Frame]:
    """Yield each record's bytes in file order; filler between records is skipped.

    ``base_offset`` is where the stream was positioned in the file (resuming an import),
    so that the offsets reported stay offsets in the file.
    """
    buffer = bytearray()
    buffer_offset = base_offset  # file offset of buffer[0]
    start = 0  # where the current record begins in buffer
    scan = 0  # where to resume looking for a terminator
    skipping = False  # discarding the rest of an oversized record
    at_file_start = base_offset == 0
    while True:
        end = buffer.find(RECORD_TERMINATOR, scan)
        if end >= 0:
            if not skipping:
                frame = _frame(buffer, start, end + 1, buffer_offset, at_file_start, "record")
                if frame is not None:
                    yield frame
            at_file_start = skipping = False
            start = scan = end + 1
            continue
        if not skipping and len(buffer) - start > max_record_bytes:
            frame = _frame(
                buffer, start, start + max_record_bytes, buffer_offset, at_file_start, "oversized"
            )
            if frame is not None:
                yield frame
            at_file_start, skipping = False, True
        if skipping:
            start = len(buffer)
        del buffer[:start]
        buffer_offset += start
        start = 0
        scan = len(buffer)
        block = stream.read(block_size)
        if not block:
            break
        buffer += block
    if not skipping:
        tail = _frame(buffer, start, len(buffer), buffer_offset, at_file_start, "unterminated")
        if tail is not None:
            yield tail


def _frame(
    buffer: bytearray,
    start: int,
    end: int,
    buffer_offset: int,
    at_file_start: bool,
    kind: FrameKind,
) -> Frame | None:
    """Cut buffer[start:end] into a Frame, or None if it holds nothing but filler."""
    data = bytes(buffer[start:end])
    if at_file_start and data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    stripped = data.lstrip(_FILLER)
    content = stripped[:-1] if kind == "record" else stripped
    if not content.strip(_FILLER):
        return None
    return Frame(offset=buffer_offset + end - len(stripped), data=stripped, kind=kind)
