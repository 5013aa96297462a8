"""What reading a MARC file yields, one value per record in the file.

Both outcomes carry the record's position so a cataloguer can find it in the file they
sent: ``index`` counts records from 1 (a rejected record keeps its number) and
``offset`` is the byte where the record starts.
"""

from dataclasses import dataclass
from typing import Literal

import pymarc

# How a file is packaged. "marc21" and "unimarc" are both ISO 2709 binary; naming one
# also says which dialect its records are in.
MarcFormat = Literal["marc21", "unimarc", "marcxml", "marcjson"]

# Which rule book the tags of a record follow, whatever the packaging.
Dialect = Literal["marc21", "unimarc"]


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """A record that was read and decoded without loss.

    ``flags`` are sentences about what the reader had to work around, such as a
    character set declaration that the bytes contradict; the record itself is sound.
    """

    index: int
    offset: int
    record: pymarc.Record
    dialect: Dialect = "marc21"
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not be read; ``raw`` keeps its bytes so it can be sent back."""

    index: int
    offset: int
    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where a later read picks up: the next record's index (from 1) and its byte offset."""

    index: int
    offset: int
