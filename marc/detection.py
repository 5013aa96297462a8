"""Telling MARC 21 binary from MARCXML by content, never by file name.

File names lie (a ".xml" that is binary MARC is in the test corpus), and a wrong guess
would turn every record into a rejection, so the first bytes decide.
"""

import os

from marc.errors import MarcFormatError
from marc.outcomes import MarcFormat

_FILLER = b" \t\r\n\x00\x1a"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
_SNIFF_LIMIT = 1 << 20  # give up looking for content after this much filler


def detect_format(path: str | os.PathLike[str]) -> MarcFormat:
    """Say whether the file holds MARCXML or MARC 21 binary; MarcFormatError if neither."""
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
    return _from_content(content)


def _from_utf16(head: bytes) -> MarcFormat:
    encoding = "utf-16-be" if head.startswith((b"\xfe\xff", b"\x00<")) else "utf-16-le"
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "marcxml"
    raise MarcFormatError("the file is UTF-16 text but not XML, so it is not MARC")


def _from_content(content: bytes) -> MarcFormat:
    if content.startswith(b"<"):
        return "marcxml"
    if len(content) >= 5 and content[:5].isdigit():
        return "marc21"
    raise MarcFormatError(_not_marc_reason(content))


def _not_marc_reason(content: bytes) -> str:
    if not content:
        return "the file is empty: it holds no MARC records"
    if content[:1] in (b"{", b"["):
        return "the file looks like JSON; MARC-in-JSON is not supported yet"
    if content.startswith(b"=LDR") or content.startswith(b"=000"):
        return "the file looks like MARCMaker (.mrk) text, which is not supported"
    shown = content[:20].decode("latin-1").encode("unicode_escape").decode("ascii")
    return (
        f"the file starts with '{shown}', which is neither a MARC 21 record (five digits "
        "of record length) nor XML"
    )
