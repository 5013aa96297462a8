"""The papers of a shipment as the API lists them: which can be had now, in which languages
and parcels, and which lines may need an export permit (issue 17)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DocumentKind = Literal["transfer-act", "packing-list", "customs", "receipt"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("transfer-act", "packing-list", "customs", "receipt")
PaperLanguage = Literal["en", "ru", "id"]


class AgeWarningOut(BaseModel):
    line_id: str
    position: int = Field(description="The line's number on the papers, from 1")
    title: str
    year: int = Field(description="The year of publication")
    age: int = Field(description="Years since publication, counted from this year")


class DocumentOut(BaseModel):
    kind: DocumentKind
    available: bool = Field(description="Whether the paper can be downloaded now")
    reason: str | None = Field(description="Why it cannot be had yet (English), when not available")
    needed: bool = Field(
        description="False for the customs content of a parcel that stays in one country: "
        "it is not needed, though it can still be downloaded"
    )
    parcels: list[int] = Field(
        description="The parcel numbers it comes in: [0] the whole shipment; a packing list "
        "of a shipment in several parcels also per parcel (1, 2, ...)"
    )
    url: str = Field(description="Where to download it, with ?lang= and, for one parcel, &parcel=")


class DocumentsOut(BaseModel):
    exchange_id: str
    number: str | None
    languages: list[PaperLanguage] = Field(
        description="The languages the papers are offered in for this exchange: ours, the "
        "partner's (from its contacts) and English; any of en, ru, id may be asked for"
    )
    parcels: int = Field(description="Parcels in the shipment (1 until it says otherwise)")
    documents: list[DocumentOut]
    age_warnings: list[AgeWarningOut] = Field(
        description="Lines published more than 50 years before this year: they may need an "
        "export permit. The service warns; it does not decide."
    )
