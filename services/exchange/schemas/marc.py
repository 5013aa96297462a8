"""MARC batches (upload, progress, outcomes) and the catalogue records they create."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from marc import TextEncoding


class BatchAccepted(BaseModel):
    batch_id: str


class RejectedOut(BaseModel):
    index: int = Field(description="Position of the record in the file, counting from 1.")
    offset: int | None = Field(default=None, description="Byte offset of the record in the file.")
    reason: str


class BatchCounts(BaseModel):
    created: int = Field(description="New catalogue records (would_create in a dry run)")
    merged: int = Field(description="Records already in the catalogue: holdings + 1")
    multi_matches: int = Field(description="Several catalogue candidates: left for review")
    duplicates: int = Field(description="The same publication earlier in this file")
    rejected: int
    encoding_suspects: int = Field(description="Read, but the declared character set was wrong")


class BatchProgress(BaseModel):
    processed: int
    expected_total: int | None
    records_per_second: float | None
    eta_seconds: float | None


class BatchOut(BaseModel):
    id: str
    exchange_id: str | None
    state: Literal["running", "completed", "failed"]
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
