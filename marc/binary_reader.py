"""Reading a binary MARC 21 file record by record, rejecting bad records one at a time."""

import os
from collections.abc import Iterator

from marc.framing import MAX_RECORD_BYTES, Frame, frames
from marc.iso2709 import RecordDefect, decode_record
from marc.outcomes import ReadRecord, RejectedRecord


def read_marc21(path: str | os.PathLike[str]) -> Iterator[ReadRecord | RejectedRecord]:
    """Yield every record of the file in order, read or rejected, never stopping early."""
    with open(path, "rb") as stream:
        for index, frame in enumerate(frames(stream), 1):
            yield _outcome(index, frame)


def _outcome(index: int, frame: Frame) -> ReadRecord | RejectedRecord:
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
        record = decode_record(frame.data)
    except RecordDefect as defect:
        return RejectedRecord(index, frame.offset, str(defect), frame.data)
    except Exception as error:  # a bug on one record must not end the whole import
        reason = f"the record could not be decoded ({type(error).__name__}: {error})"
        return RejectedRecord(index, frame.offset, reason, frame.data)
    return ReadRecord(index, frame.offset, record)
