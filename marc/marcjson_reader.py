"""Reading MARC-in-JSON record by record, in constant memory, past broken records.

Files come as one object, an array of objects, or one object per line (NDJSON);
Python's json module only parses whole documents, so values are cut out of a sliding
text buffer with ``raw_decode`` and parsed one at a time. The text is decoded with
``surrogateescape`` so a rejected record's bytes come back exactly as sent. Control
characters inside strings are accepted (pymarc's own writer once produced them).

What the reader hands out is always text: a record holding bytes that are not UTF-8 is
rejected with where they are (``marcjson_records``), and no reason or error quotes them
(``_shown``). A value nested too deeply for the parser costs only its own record.
"""

import codecs
import json
import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from marc.dialects import dialect_of
from marc.errors import MarcFormatError
from marc.marcjson_records import JsonRecordDefect, record_from_json
from marc.outcomes import Dialect, ReadRecord, RejectedRecord
from marc.replacement_characters import replacement_flags

BLOCK_SIZE = 1 << 16
MAX_RECORD_CHARS = 4 << 20  # a value longer than this is rejected, not buffered further

_DECODER = json.JSONDecoder(strict=False)
_SEPARATORS = re.compile(r"[\s,\ufeff]*")
_RECORD_START = re.compile(r'\{\s*"(?:leader|fields)"\s*:')


def read_marcjson(
    path: str | os.PathLike[str], *, dialect: Dialect | None = None
) -> Iterator[ReadRecord | RejectedRecord]:
    """Yield every record of the file in order, read or rejected."""
    with open(path, "rb") as stream:
        yield from _JsonReading(stream, dialect).outcomes()


class _JsonReading:
    def __init__(self, stream: BinaryIO, dialect: Dialect | None) -> None:
        self._stream = stream
        self._dialect = dialect
        self._default: Dialect = dialect or "marc21"
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._text = ""
        self._eof = False
        self._cursor = 0  # a position in _text whose byte offset is known
        self._cursor_offset = 0
        self._count = 0
        self._next_pos = 0  # where the value parsed last ends

    def outcomes(self) -> Iterator[ReadRecord | RejectedRecord]:
        pos = 0
        in_array: bool | None = None
        while True:
            pos = _SEPARATORS.match(self._text, pos).end()  # type: ignore[union-attr]
            if pos >= len(self._text):
                pos = self._compact(pos)
                if not self._fill():
                    return
                continue
            character = self._text[pos]
            if in_array is None:
                in_array = character == "["
                if in_array:
                    pos += 1
                    continue
            if character == "]" and in_array:
                in_array = None  # the array ended; another may follow
                pos += 1
                continue
            pos = self._compact(pos)
            yield self._value_at(pos)
            pos = self._next_pos

    def _value_at(self, pos: int) -> ReadRecord | RejectedRecord:
        """Parse the value starting at ``pos``; sets ``_next_pos`` to where it ends."""
        offset = self._byte_offset(pos)
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, pos)
            except json.JSONDecodeError as error:
                if self._may_be_cut_off(error, pos) and self._fill():
                    continue
                at = offset + _byte_length(self._text[pos : error.pos])
                return self._broken(
                    pos,
                    offset,
                    f"the record is not valid JSON: {error.msg} (byte {at})",
                    f"{error.msg} at line {error.lineno} column {error.colno}",
                )
            except RecursionError:
                return self._broken(
                    pos,
                    offset,
                    "the record nests arrays or objects too deeply to be read",
                    "a value nests arrays or objects too deeply to be read",
                )
            self._next_pos = end
            return self._record(value, offset, self._text[pos:end])

    def _record(self, value: Any, offset: int, raw_text: str) -> ReadRecord | RejectedRecord:
        self._count += 1
        try:
            record = record_from_json(value)
        except JsonRecordDefect as defect:
            if self._count == 1 and not _looks_like_marc(value):
                raise MarcFormatError(
                    f"the JSON holds no MARC-in-JSON records: {_shown(str(defect))}"
                ) from None
            return RejectedRecord(self._count, offset, _shown(str(defect)), _raw(raw_text))
        tags = [field.tag for field in record.fields]
        dialect = self._dialect or dialect_of(tags, self._default)
        self._default = dialect
        return ReadRecord(self._count, offset, record, dialect, replacement_flags(record))

    def _broken(self, pos: int, offset: int, reason: str, problem: str) -> RejectedRecord:
        """The value at ``pos`` cannot be parsed: rejected, or, if the file has shown no record
        yet and this does not start like one, the file is not MARC-in-JSON (``problem``)."""
        if self._count == 0 and not _RECORD_START.match(self._text, pos):
            raise MarcFormatError(f"the file is not MARC-in-JSON: {problem}")
        end = self._resync(pos + 1)
        self._next_pos = end
        self._count += 1
        raw_text = self._text[pos:end].rstrip(" \t\r\n,")
        return RejectedRecord(self._count, offset, reason, _raw(raw_text))

    def _resync(self, start: int) -> int:
        """Where the next record starts after a broken one (or the end of the text)."""
        while True:
            match = _RECORD_START.search(self._text, start)
            if match is not None:
                return match.start()
            if len(self._text) - start > MAX_RECORD_CHARS or not self._fill():
                return len(self._text)

    def _may_be_cut_off(self, error: json.JSONDecodeError, pos: int) -> bool:
        if self._eof or len(self._text) - pos > MAX_RECORD_CHARS:
            return False
        return error.pos >= len(self._text) - 1 or error.msg.startswith("Unterminated string")

    def _fill(self) -> bool:
        if self._eof:
            return False
        block = self._stream.read(BLOCK_SIZE)
        if not block:
            self._text += self._decoder.decode(b"", final=True)
            self._eof = True
            return False
        self._text += self._decoder.decode(block)
        return True

    def _compact(self, pos: int) -> int:
        """Drop the text before ``pos`` so the buffer holds at most one record."""
        if pos < BLOCK_SIZE:
            return pos
        self._byte_offset(pos)
        self._text = self._text[pos:]
        self._cursor = 0
        return 0

    def _byte_offset(self, pos: int) -> int:
        self._cursor_offset += _byte_length(self._text[self._cursor : pos])
        self._cursor = pos
        return self._cursor_offset


def _looks_like_marc(value: Any) -> bool:
    return isinstance(value, dict) and ("leader" in value or "fields" in value)


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _shown(sentence: str) -> str:
    """A sentence safe to store and show: any lone surrogate in it written as an escape."""
    return sentence.encode("utf-8", "backslashreplace").decode("utf-8")
