"""Telling the formats apart by content, never by file name.

File names lie (a ".xml" that is binary MARC is in the test corpus), and a wrong guess
would turn every record into a rejection, so the first bytes decide. For binary files
the first record's fields also tell MARC 21 from UNIMARC.
"""

import os
from typing import BinaryIO, Literal

from marc.dialects import dialect_of
from marc.errors import MarcFormatError
from marc.framing import frames
from marc.iso2709 import record_tags
from marc.outcomes import MarcFormat

_FILLER = b" \t\r\n\x00\x1a"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
_SNIFF_LIMIT = 1 << 20  # give up looking for content after this much filler
_JSON_KEYS = (b'"leader"', b'"fields"')


def detect_format(path: str | os.PathLike[str]) -> MarcFormat:
    """Say which format the file holds; MarcFormatError if it is no MARC format at all."""
    with open(path, "rb") as stream:
        head = stream.read(4096)
        if head.startswith(_UTF16_STARTS):
            return _from_utf16(head)
        content = head.removeprefix(_UTF8_BOM).lstrip(_FILLER)
        read = len(head)
        while not content and read < _SNIFF_LIMIT:
            block = stream.read(4096)
            if not block:
                break
            read += len(block)
            content = block.lstrip(_FILLER)
        if len(content) < 5:
            content += stream.read(5)
        container = _from_content(content)
        if container == "binary":
            stream.seek(0)
            return _binary_dialect(stream)
        return container


def _from_utf16(head: bytes) -> MarcFormat:
    encoding = "utf-16-be" if head.startswith((b"\xfe\xff", b"\x00<")) else "utf-16-le"
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "marcxml"
    raise MarcFormatError("the file is UTF-16 text but not XML, so it is not MARC")


def _from_content(content: bytes) -> Literal["binary", "marcxml", "marcjson"]:
    if content.startswith(b"<"):
        return "marcxml"
    if len(content) >= 5 and content[:5].isdigit():
        return "binary"
    if content[:1] in (b"{", b"["):
        if any(key in content for key in _JSON_KEYS):
            return "marcjson"
        raise MarcFormatError(
            'the file looks like JSON but not MARC-in-JSON: it has no "leader" or "fields"'
        )
    raise MarcFormatError(_not_marc_reason(content))


def _binary_dialect(stream: BinaryIO) -> MarcFormat:
    """MARC 21 or UNIMARC, as the first readable record's fields say."""
    for number, frame in enumerate(frames(stream)):
        tags = record_tags(frame.data)
        if tags is not None:
            return dialect_of(tags, "marc21")
        if number >= 10:
            break
    return "marc21"


def _not_marc_reason(content: bytes) -> str:
    if not content:
        return "the file is empty: it holds no MARC records"
    if content.startswith(b"=LDR") or content.startswith(b"=000"):
        return "the file looks like MARCMaker (.mrk) text, which is not supported"
    shown = content[:20].decode("latin-1").encode("unicode_escape").decode("ascii")
    return (
        f"the file starts with '{shown}', which is neither a MARC record (five digits "
        "of record length), nor XML, nor JSON"
    )
