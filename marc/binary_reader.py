"""Reading a binary (ISO 2709) file record by record, rejecting bad records one at a time."""

import os
from collections.abc import Iterator

from marc.charsets import TextEncoding
from marc.framing import MAX_RECORD_BYTES, Frame, frames
from marc.iso2709 import RecordDefect, decode_record
from marc.outcomes import Dialect, ReadRecord, RejectedRecord, ResumePoint


def read_binary(
    path: str | os.PathLike[str],
    *,
    dialect: Dialect | None = None,
    encoding: TextEncoding | None = None,
    resume: ResumePoint | None = None,
) -> Iterator[ReadRecord | RejectedRecord]:
    """Yield every record of the file in order, read or rejected, never stopping early.

    A record whose fields do not show its dialect takes the dialect of the record read
    before it: partners send one dialect per file. ``resume`` starts at a record found by
    an earlier read (its index and byte offset) without reading what comes before it.
    """
    default: Dialect = dialect or "marc21"
    start = resume or ResumePoint(index=1, offset=0)
    with open(path, "rb") as stream:
        stream.seek(start.offset)
        for index, frame in enumerate(frames(stream, base_offset=start.offset), start.index):
            outcome = _outcome(index, frame, dialect, default, encoding)
            if isinstance(outcome, ReadRecord):
                default = outcome.dialect
            yield outcome


def _outcome(
    index: int,
    frame: Frame,
    dialect: Dialect | None,
    default: Dialect,
    encoding: TextEncoding | None,
) -> ReadRecord | RejectedRecord:
    if frame.kind == "unterminated":
        reason = (
            "truncated: file ends without a record terminator "
            f"({len(frame.data)} bytes of an unfinished record)"
        )
        return RejectedRecord(index, frame.offset, reason, frame.data)
    if frame.kind == "oversized":
        reason = (
            f"no record terminator within {MAX_RECORD_BYTES} bytes: far longer than a MARC "
            "record can be; only its beginning is kept"
        )
        return RejectedRecord(index, frame.offset, reason, frame.data)
    try:
        decoded = decode_record(
            frame.data, dialect=dialect, default_dialect=default, encoding=encoding
        )
    except RecordDefect as defect:
        return RejectedRecord(index, frame.offset, str(defect), frame.data)
    except Exception as error:  # a bug on one record must not end the whole import
        reason = f"the record could not be decoded ({type(error).__name__}: {error})"
        return RejectedRecord(index, frame.offset, reason, frame.data)
    return ReadRecord(index, frame.offset, decoded.record, decoded.dialect, decoded.flags)
