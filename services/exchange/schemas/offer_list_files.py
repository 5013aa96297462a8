"""What an offer-list upload answers: the list as it now is, and what of the file was used.

A MARC file's broken records do not stop the upload (``rejected``: position, byte offset,
reason); a line of ours whose copies the fund keeps in the national collection is deposited
but not offered (``skipped``). A CSV file with a bad row is refused whole (422), so it has
no ``rejected``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.exchange.schemas.offer_lists import OfferListOut


class FileRejectionOut(BaseModel):
    position: int = Field(description="The record's number in the file, from 1")
    offset: int | None = Field(description="The byte it starts at (binary MARC)")
    reason: str


class SkippedLineOut(BaseModel):
    line: int = Field(description="The line's number among those the file gave, from 1")
    title: str
    reason: str


class OfferListUploadOut(BaseModel):
    offer_list: OfferListOut
    format: Literal["csv", "marc"]
    lines: int = Field(description="Publications the file gave")
    added: int = Field(description="Items added to the list")
    deposited_copies: int = Field(
        0, description="Copies deposited into the exchange fund (our lists only)"
    )
    skipped: list[SkippedLineOut] = []
    rejected: list[FileRejectionOut] = []
