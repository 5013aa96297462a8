"""MARC batches (upload, progress, outcomes) and the catalogue records they create."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from marc import TextEncoding
from services.exchange.schemas.common import INT32_MAX


class BatchAccepted(BaseModel):
    batch_id: str


class RejectedOut(BaseModel):
    index: int = Field(description="Position of the record in the file, counting from 1.")
    offset: int | None = Field(default=None, description="Byte offset of the record in the file.")
    reason: str


BatchState = Literal["staging", "staged", "committing", "committed", "undoing", "undone", "failed"]
ProposedAction = Literal["create", "merge", "multi_match", "duplicate", "rejected"]
Action = Literal["create", "merge", "replace", "ignore"]


class BatchCounts(BaseModel):
    """What staging proposes for the batch's records (the commit's results: ``commit``)."""

    created: int = Field(description="Proposed as new catalogue records")
    merged: int = Field(description="Match one catalogue record: its holdings + 1")
    multi_matches: int = Field(description="Several catalogue candidates: a cataloguer decides")
    duplicates: int = Field(description="The same publication earlier in this file")
    rejected: int
    encoding_suspects: int = Field(description="Read, but the declared character set was wrong")


class BatchProgress(BaseModel):
    processed: int
    expected_total: int | None
    records_per_second: float | None
    eta_seconds: float | None


class CommitCounts(BaseModel):
    created: int = 0
    merged: int = 0
    replaced: int = 0
    ignored: int = 0
    skipped: int = Field(default=0, description="Its target record was gone by the commit")


class BatchCommit(BaseModel):
    """The commit of a staged batch: how far it got and what it wrote."""

    committed_through: int = Field(description="Records committed so far, in file order")
    total: int
    counts: CommitCounts
    started_at: datetime | None
    committed_at: datetime | None
    committed_by: str | None


class KeptOut(BaseModel):
    position: int
    record_id: int
    reason: str


class UndoCounts(BaseModel):
    removed: int = Field(default=0, description="Records the batch created, removed again")
    taken_back: int = Field(default=0, description="Copies merged by the batch, taken back")
    restored: int = Field(default=0, description="Replaced records given their MARC back")
    kept: int = Field(default=0, description="Changed since by a later batch: left as they are")


class BatchUndo(BaseModel):
    undone: int = Field(description="Records undone so far, from the last one back")
    total: int
    counts: UndoCounts
    kept: list[KeptOut]
    undone_at: datetime | None
    undone_by: str | None


class BatchOut(BaseModel):
    id: str
    exchange_id: str | None
    exchange_number: str | None = Field(
        default=None, description="The exchange's number (EX-2026-0042), when it has one"
    )
    state: BatchState = Field(
        description="staging → staged → committing → committed (→ undoing → undone), or failed"
    )
    dry_run: bool
    filename: str | None
    format: str | None
    encoding: TextEncoding | None = Field(
        description="The character set its ISO 2709 records were read in: the upload's "
        "encoding, else its partner's marc_encoding; null: told from each record"
    )
    total: int
    imported: int
    rejected: list[RejectedOut]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    counts: BatchCounts
    progress: BatchProgress
    records_without_line: int | None = Field(
        default=None, description="For an exchange's batch: records that match none of its lines"
    )
    lines_without_record: list[str] | None = Field(
        default=None, description="For an exchange's batch: ids of lines no record matched"
    )
    unresolved: int = Field(
        default=0, description="Multi-matches nobody decided on yet: the commit waits for them"
    )
    commit: BatchCommit | None = Field(default=None, description="Once a commit has started")
    undo: BatchUndo | None = Field(default=None, description="Once an undo has started")


class DecisionIn(BaseModel):
    """Per record (``position``) or per rule: a proposed action (``merge``), a match point
    (``isbn``, ``control_number``, ...) or both (``merge:isbn``: every merge found by ISBN)."""

    position: int | None = Field(default=None, ge=1, le=INT32_MAX)
    rule: str | None = Field(default=None, min_length=1, max_length=64)
    action: Action
    target_record_id: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="The record to merge into or replace (per record only)",
    )


class DecisionsOut(BaseModel):
    changed: int = Field(description="Records whose decision was set")
    unresolved: int = Field(description="Multi-matches still to decide")


class RecordOut(BaseModel):
    id: int
    title: str | None
    isbn: str | None
    issn: str | None
    control_number: str | None
    author: str | None
    year: str | None
    exchange_id: str | None
    batch_id: str
