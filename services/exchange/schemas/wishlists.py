"""Wish lists (desiderata): what a partner, or we, would like to receive."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.exchange.schemas.common import LongText, RequestModel
from services.exchange.schemas.identifiers import Isbn, Issn


class WishIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"issn": "0044-4669", "title": "Voprosy istorii", "volumes": "2019–2023"},
                {"isbn": "978-979-407-408-4"},
            ]
        },
    )

    isbn: Isbn | None = None
    issn: Issn | None = None
    title: LongText | None = None
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    volumes: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None,
        description='For serials: a range of volumes or years, "vols 12–18" or "2019–2023"',
    )
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> WishIn:
        if not (self.isbn or self.issn or self.title):
            raise ValueError("a wish needs an isbn, an issn or a title")
        return self


class WishOut(BaseModel):
    id: int
    partner: str | None = Field(description="Whose wish; null: ours")
    isbn: str | None
    issn: str | None
    title: str | None
    author: str | None
    volumes: str | None
    volume_from: int | None
    volume_to: int | None
    year_from: int | None
    year_to: int | None
    note: str | None
    created_at: datetime
    hits: int = Field(default=0, description="Offered items and deposits that match it")
