"""The fund: deposited copies, and what of them can be offered."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.exchange.schemas.common import LongText, PublicationYear, RequestModel
from services.exchange.schemas.identifiers import Isbn, Issn


class DepositIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Sejarah Nasional Indonesia",
                    "isbn": "978-979-407-408-4",
                    "author": "Poesponegoro, Marwati Djoened",
                    "publisher": "Balai Pustaka",
                    "year": 2010,
                    "copies": 5,
                }
            ]
        },
    )

    title: LongText
    isbn: Isbn | None = None
    issn: Issn | None = None
    control_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    publisher: Annotated[str, StringConstraints(max_length=500)] | None = None
    year: PublicationYear | None = None
    copies: Annotated[StrictInt, Field(ge=1, le=100_000)]


class FundItemOut(BaseModel):
    id: int
    title: str
    isbn: str | None
    issn: str | None
    control_number: str | None
    author: str | None
    publisher: str | None
    year: int | None
    copies_received: int
    copies_retained: int
    copies_reserved: int
    copies_shipped: int
    copies_available: int
