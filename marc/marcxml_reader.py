"""Reading MARCXML record by record, safely, in constant memory, past broken records.

defusedxml's parser refuses DTDs and entity declarations, so a hostile file can neither
expand entities without limit (billion laughs) nor read local files (XXE). Records are
built straight from parser events and handed out after every block, so no tree of the
whole file is ever held. When the XML breaks inside a record, that record is rejected
and a fresh parser starts at the next <record> start tag: one bad record must not cost
the rest of the file, which is what pymarc's parser does.
"""

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

import pymarc
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import XMLParser

from marc.dialects import dialect_of
from marc.errors import MarcFormatError
from marc.marcxml_record_builder import MARC_NAMESPACE, RecordBuilder, is_marc_namespace
from marc.outcomes import Dialect, ReadRecord, RejectedRecord
from marc.replacement_characters import replacement_flags

BLOCK_SIZE = 1 << 16
MAX_RAW_BYTES = 1 << 20  # a rejected record's bytes are kept up to this size

_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?record(?=[\s/>])")
_RECORD_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?record\s*>")
_SEARCH_OVERLAP = 256  # a start tag cut by a block boundary is still found
_LOOK_BACK = 4096  # how far back a broken record start tag is looked for
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)""")
_RECOVERY_ROOT = "marc-reader-recovery"


@dataclass(frozen=True, slots=True)
class _Found:
    """A record element as finished by the parser, before it is numbered."""

    offset: int
    end: int  # where the end tag starts (just after the tag for <record/>)
    result: pymarc.Record | str


class _RecordCollector:
    """ElementTree parser target: turns parser events into finished record elements."""

    def __init__(self, position: Callable[[], int]) -> None:
        self.found: list[_Found] = []
        self.root: tuple[str | None, str] | None = None
        self.look_alikes = 0  # <record> elements that hold no MARC (e.g. OAI-PMH)
        self.saw_record = False
        self._position = position
        self._stack: list[tuple[str | None, str]] = []
        self._scopes: list[dict[str, str]] = []
        self._declared: dict[str, str] = {}
        self._builders: list[RecordBuilder] = []

    def open_record(self) -> RecordBuilder | None:
        return self._builders[-1] if self._builders else None

    def namespaces_outside_open_record(self) -> dict[str, str]:
        """Prefix bindings in scope where the next record is likely to start."""
        depth = self._builders[0].depth if self._builders else len(self._scopes)
        bindings: dict[str, str] = {}
        for scope in self._scopes[:depth]:
            bindings.update(scope)
        return bindings

    def start_ns(self, prefix: str, uri: str) -> None:
        self._declared[prefix or ""] = uri or ""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        namespace, local = _split(tag)
        depth = len(self._stack)
        if self.root is None:
            self.root = (namespace, local)
        if local == "record" and is_marc_namespace(namespace):
            self._open_record(namespace, depth)
        elif self._builders:
            self._builders[-1].child_start(namespace, local, attrib)
        self._stack.append((namespace, local))
        self._scopes.append(self._declared)
        self._declared = {}

    def end(self, tag: str) -> None:
        self._stack.pop()
        self._scopes.pop()
        if not self._builders:
            return
        builder = self._builders[-1]
        if len(self._stack) == builder.depth:
            self._builders.pop()
            self._finish(builder)
        else:
            builder.child_end()

    def data(self, content: str) -> None:
        if self._builders:
            self._builders[-1].text(content)

    def close(self) -> None:
        return None

    def _open_record(self, namespace: str | None, depth: int) -> None:
        parent = self._stack[-1] if self._stack else None
        parent_is_collection = (
            parent is not None and parent[1] == "collection" and is_marc_namespace(parent[0])
        )
        if self._builders:
            self._builders[-1].holds_record = True
        self._builders.append(
            RecordBuilder(
                self._position(),
                depth,
                namespaced=namespace == MARC_NAMESPACE,
                parent_is_collection=parent_is_collection,
                is_root=depth == 0,
            )
        )
        self.saw_record = True

    def _finish(self, builder: RecordBuilder) -> None:
        if not builder.is_marc():
            self.look_alikes += 1
            return
        try:
            result = builder.outcome()
        except Exception as error:  # a bug on one record must not end the whole import
            result = f"the record could not be built ({type(error).__name__}: {error})"
        self.found.append(_Found(builder.offset, self._position(), result))


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


class _Parser:
    """One defused parser over the file from ``base`` on, after a synthetic ``prefix``."""

    def __init__(self, base: int, prefix: bytes, encoding: str | None) -> None:
        self.base = base
        self.prefix_length = len(prefix)
        self.collector = _RecordCollector(self._file_position)
        self._xml: Any = XMLParser(target=self.collector, encoding=encoding, forbid_dtd=True)
        if prefix:
            self._xml.feed(prefix)

    def feed(self, block: bytes) -> None:
        if block:
            self._xml.feed(block)
        else:
            self._xml.close()

    def error_position(self) -> int:
        return self.base + max(self._xml.parser.ErrorByteIndex - self.prefix_length, 0)

    def _file_position(self) -> int:
        return self.base + self._xml.parser.CurrentByteIndex - self.prefix_length


def read_marcxml(
    path: str | os.PathLike[str], *, dialect: Dialect | None = None
) -> Iterator[ReadRecord | RejectedRecord]:
    """Yield every MARCXML record of the file in order, read or rejected.

    MARCXML carries UNIMARC records too; ``dialect`` fixes which, otherwise each
    record's fields tell.
    """
    with open(path, "rb") as stream:
        yield from _MarcXmlReading(stream, dialect).outcomes()


class _MarcXmlReading:
    def __init__(self, stream: BinaryIO, dialect: Dialect | None = None) -> None:
        self._stream = stream
        self._dialect = dialect
        self._default: Dialect = dialect or "marc21"
        head = stream.read(1024)
        stream.seek(0)
        declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
        self._encoding = declared.group(1).decode("ascii") if declared else None
        # Resyncing searches the raw bytes for "<record", which only works when the
        # file is in an ASCII-compatible encoding.
        self._can_resync = not head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\0", b"\0<"))
        self._count = 0
        self._lines_counted_to = 0
        self._lines_before = 0

    def outcomes(self) -> Iterator[ReadRecord | RejectedRecord]:
        parser = _Parser(0, b"", None)
        first = parser
        look_alikes = 0
        last_resync = -1
        while True:
            block = self._stream.read(BLOCK_SIZE)
            failure: ParseError | None = None
            try:
                parser.feed(block)
            except DefusedXmlException:
                raise MarcFormatError(
                    "the XML declares a DTD or entities, which are refused: they can expand "
                    "without limit or read other files"
                ) from None
            except LookupError as error:  # expat: the declared encoding is not a real one
                raise MarcFormatError(
                    f"the XML declares a character encoding that does not exist: {error}"
                ) from None
            except ParseError as error:
                failure = error
            yield from self._numbered(parser.collector.found)
            parser.collector.found.clear()
            if failure is None:
                if block:
                    continue
                look_alikes += parser.collector.look_alikes
                break
            look_alikes += parser.collector.look_alikes
            resync = yield from self._recover(parser, failure, parser is first, last_resync)
            if resync is None:
                break
            last_resync = resync
            self._stream.seek(resync)
            parser = _Parser(resync, self._recovery_prefix(parser.collector), self._encoding)
        if self._count == 0:
            self._check_is_marcxml(first.collector.root, look_alikes)

    def _numbered(self, found: list[_Found]) -> Iterator[ReadRecord | RejectedRecord]:
        for item in found:
            self._count += 1
            if isinstance(item.result, pymarc.Record):
                tags = [field.tag for field in item.result.fields]
                dialect = self._dialect or dialect_of(tags, self._default)
                self._default = dialect
                flags = replacement_flags(item.result)
                yield ReadRecord(self._count, item.offset, item.result, dialect, flags)
            else:
                raw = self._element_bytes(item.offset, item.end)
                yield RejectedRecord(self._count, item.offset, item.result, raw)

    def _recover(
        self, parser: _Parser, failure: ParseError, is_first: bool, last_resync: int
    ) -> Generator[RejectedRecord, None, int | None]:
        """Reject the record the broken XML belongs to; return where to parse again.

        Broken XML between records costs nothing, since no record starts there; only a
        break inside a record, or inside a record's start tag, loses a record.
        """
        position = parser.error_position()
        problem = f"{ErrorString(failure.code)} at {self._where(position)}"
        open_record = parser.collector.open_record()
        broken_from = (
            open_record.offset if open_record is not None else self._start_tag_around(position)
        )
        if broken_from is None and is_first and not parser.collector.saw_record:
            raise MarcFormatError(f"the file is not well-formed XML: {problem}")
        search_from = max(position, last_resync + 1)
        if broken_from is not None:
            search_from = max(search_from, broken_from + 1)
        resync = self._next_record_start(search_from) if self._can_resync else None
        if broken_from is not None:
            self._count += 1
            reason = f"the record is not well-formed XML: {problem}"
            raw = self._broken_element_bytes(broken_from, position, resync)
            yield RejectedRecord(self._count, broken_from, reason, raw)
        return resync

    def _start_tag_around(self, position: int) -> int | None:
        """Where the record start tag holding ``position`` begins, if it is in one."""
        window_start = max(position - _LOOK_BACK, 0)
        before = self._span(window_start, position)
        opening = before.rfind(b"<")
        if opening < 0 or b">" in before[opening:]:
            return None
        tag_start = window_start + opening
        if _RECORD_START.match(self._span(tag_start, tag_start + _SEARCH_OVERLAP)):
            return tag_start
        return None

    def _recovery_prefix(self, collector: _RecordCollector) -> bytes:
        declarations = "".join(
            f' xmlns{":" + prefix if prefix else ""}="{_attribute(uri)}"'
            for prefix, uri in collector.namespaces_outside_open_record().items()
        )
        return f"<{_RECOVERY_ROOT}{declarations}>".encode("ascii", "xmlcharrefreplace")

    def _check_is_marcxml(self, root: tuple[str | None, str] | None, look_alikes: int) -> None:
        if root is None:
            raise MarcFormatError("the XML holds no elements")
        namespace, local = root
        if local in ("collection", "record") and is_marc_namespace(namespace):
            return  # an empty MARCXML collection is valid: it simply holds no records
        shown = f"<{local}>" + (f" (namespace {namespace})" if namespace else "")
        detail = (
            "; its <record> elements hold no MARC fields (OAI-PMH Dublin Core, perhaps)"
            if look_alikes
            else ""
        )
        raise MarcFormatError(f"no MARCXML records found: the root element is {shown}{detail}")

    def _next_record_start(self, start: int) -> int | None:
        self._stream.seek(start)
        carried = b""
        carried_from = start
        while True:
            block = self._stream.read(BLOCK_SIZE)
            if not block:
                return None
            window = carried + block
            match = _RECORD_START.search(window)
            if match:
                return carried_from + match.start()
            carried = window[-_SEARCH_OVERLAP:]
            carried_from += len(window) - len(carried)

    def _where(self, position: int) -> str:
        """Say where ``position`` is as a line number counted in the file itself."""
        if position < self._lines_counted_to:
            self._lines_counted_to, self._lines_before = 0, 0
        self._stream.seek(self._lines_counted_to)
        remaining = position - self._lines_counted_to
        while remaining > 0:
            block = self._stream.read(min(BLOCK_SIZE, remaining))
            if not block:
                break
            self._lines_before += block.count(b"\n")
            remaining -= len(block)
        self._lines_counted_to = position - max(remaining, 0)
        return f"line {self._lines_before + 1} (byte {position})"

    def _element_bytes(self, start: int, end: int) -> bytes:
        """The untouched bytes of a well-formed element, end tag included."""
        raw = self._span(start, end)
        if raw.endswith(b"/>"):
            return raw
        closing = self._span(end, end + _SEARCH_OVERLAP)
        close_at = closing.find(b">")
        return raw + (closing[: close_at + 1] if close_at >= 0 else b"")

    def _broken_element_bytes(self, start: int, error: int, resync: int | None) -> bytes:
        """The bytes of a broken record: up to its end tag if one follows the error."""
        raw = self._span(start, resync if resync is not None else start + MAX_RAW_BYTES)
        closing = _RECORD_END.search(raw, max(error - start, 0))
        return raw[: closing.end()] if closing else raw.rstrip()

    def _span(self, start: int, end: int) -> bytes:
        """Bytes start..end of the file, leaving the reading position where it was."""
        resume = self._stream.tell()
        self._stream.seek(start)
        data = self._stream.read(max(min(end, start + MAX_RAW_BYTES) - start, 0))
        self._stream.seek(resume)
        return data


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
