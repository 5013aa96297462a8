"""One catalogue record as ``GET /api/v1/records/{id}`` gives it (and the record page shows it):
its MARC fields, a labelled description, holdings, where it came from and what changed it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SubfieldOut(BaseModel):
    code: str
    value: str


class MarcFieldOut(BaseModel):
    tag: str
    value: str | None = Field(default=None, description="A control field's data (001-009)")
    ind1: str | None = None
    ind2: str | None = None
    subfields: list[SubfieldOut] = Field(default_factory=list)


class DescriptionPart(BaseModel):
    part: Literal[
        "title",
        "responsibility",
        "authors",
        "edition",
        "publication",
        "physical_description",
        "series",
        "subjects",
        "notes",
        "isbn",
        "issn",
        "control_number",
        "system_numbers",
    ]
    values: list[str]


class PartnerRef(BaseModel):
    code: str
    name: str
    isil: str | None


class Provenance(BaseModel):
    """The batch that created the record, and the exchange and partner it came with (for a
    partner key, only when that exchange is its own; otherwise all null)."""

    batch_id: str | None
    filename: str | None
    uploaded_by: str | None
    uploaded_at: datetime | None
    exchange_id: str | None
    exchange_number: str | None
    partner: PartnerRef | None


class HistoryEntry(BaseModel):
    """One change a batch made: imported (created), merged (holdings added), replaced, undone."""

    at: datetime | None
    action: str
    batch_id: str
    filename: str | None
    exchange_id: str | None
    exchange_number: str | None
    partner: str | None = Field(description="The partner's code")
    actor: str | None
    holdings: int = Field(description="Copies this change added (negative: took back)")
    revision: int | None
    note: str | None = None


class RecordDetail(BaseModel):
    id: int
    title: str | None
    author: str | None
    year: str | None
    isbn: str | None
    issn: str | None
    control_number: str | None
    holdings: int = Field(description="Copies we hold")
    created_at: datetime
    updated_at: datetime | None
    leader: str
    fields: list[MarcFieldOut]
    description: list[DescriptionPart] = Field(
        description="The record read as a cataloguer would: title, edition, publication, ..."
    )
    provenance: Provenance
    history: list[HistoryEntry]
