"""What reading a MARC file yields, one value per record in the file.

Both outcomes carry the record's position so a cataloguer can find it in the file they
sent: ``index`` counts records from 1 (a rejected record keeps its number) and
``offset`` is the byte where the record starts.
"""

from dataclasses import dataclass
from typing import Literal

import pymarc

MarcFormat = Literal["marc21", "marcxml"]


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """A record that was read and decoded without loss."""

    index: int
    offset: int
    record: pymarc.Record


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not be read; ``raw`` keeps its bytes so it can be sent back."""

    index: int
    offset: int
    reason: str
    raw: bytes
