"""Dataclasses of the import workflow and its activities (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass

# How often a chunk is tried before its batch ends failed (``EXCHANGE_IMPORT_CHUNK_ATTEMPTS``):
# enough to ride out a worker's restart or a database's, not a fault that stays.
DEFAULT_CHUNK_ATTEMPTS = 10


@dataclass
class ImportInput:
    """An import workflow's input; a continued run starts at a later record."""

    batch_id: str
    start_index: int = 1
    start_offset: int = 0
    chunk_size: int = 1000
    heartbeat_seconds: float = 60.0
    chunk_attempts: int = DEFAULT_CHUNK_ATTEMPTS


@dataclass
class ChunkInput:
    batch_id: str
    start_index: int
    start_offset: int
    size: int


@dataclass
class ChunkProgress:
    """Progress after a chunk: where the next one starts, and whether the file is done."""

    next_index: int
    next_offset: int
    done: bool
    processed: int
    imported: int
    rejected: int
    error: str | None = None

    def result(self, batch_id: str) -> ImportBatchResult:
        return ImportBatchResult(
            batch_id=batch_id,
            state="failed" if self.error else "completed",
            total=self.processed,
            imported=self.imported,
            rejected=self.rejected,
            error=self.error,
        )


@dataclass
class ImportBatchInput:
    batch_id: str


@dataclass
class BatchFailure:
    """Why an import stopped, for ``fail_batch`` to record on its batch."""

    batch_id: str
    reason: str


@dataclass
class ImportBatchResult:
    batch_id: str
    state: str
    total: int
    imported: int
    rejected: int
    error: str | None = None
