"""Dataclasses of the commit and undo workflows and their activities (standard library only,
because workflow code imports this module)."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.importing.types import DEFAULT_CHUNK_ATTEMPTS

COMMIT = "commit"
UNDO = "undo"
# The signal a commit sends the exchange its batch belongs to (``ExchangeWorkflow``).
BATCH_COMMITTED_SIGNAL = "batch_committed"


@dataclass
class CommitInput:
    """A commit's (or an undo's) input; a continued run starts at a later position.

    ``start_position`` is where the next chunk starts: counting up for a commit, down for an
    undo (which takes back the last change first). None: from where the batch says.
    """

    batch_id: str
    actor: str
    exchange_id: str | None = None
    start_position: int | None = None
    chunk_size: int = 1000
    heartbeat_seconds: float = 60.0
    chunk_attempts: int = DEFAULT_CHUNK_ATTEMPTS


@dataclass
class CommitChunkInput:
    batch_id: str
    start_position: int | None
    size: int
    actor: str


@dataclass
class CommitProgress:
    """After a chunk: where the next one starts, and whether the batch is done.

    ``records`` is how many of the batch's records are in the catalogue now (created, merged
    into or replacing one), what the exchange counts as catalogued.
    """

    next_position: int
    done: bool
    processed: int
    total: int
    records: int = 0
    state: str = ""
    error: str | None = None


@dataclass
class CommitFailure:
    batch_id: str
    kind: str  # COMMIT or UNDO
    reason: str


@dataclass
class BatchCommitted:
    """What the exchange workflow hears of a committed batch (once per batch: it keeps the
    ids of the batches it counted, so a second signal for one changes nothing)."""

    batch_id: str
    records: int
    actor: str
