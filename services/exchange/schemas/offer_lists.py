"""Offer lists as the API takes and gives them: ours to many partners, and partners' to us.

An item's ``copies_available`` is what is still free for the reader: the copies on the list
less those any selection holds (and, for our lists, never more than the fund still has). A
reader never sees other partners' selections, only that fewer copies are left.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.exchange.schemas.common import (
    Code,
    Copies,
    CopyCount,
    LongText,
    PublicationYear,
    RequestModel,
    RowId,
    ShortText,
)
from services.exchange.schemas.identifiers import Isbn, Issn

OFFER_LIST_STATES = ("draft", "published", "closed", "withdrawn")
DIRECTIONS = ("outgoing", "incoming")
MATERIAL_TYPES = ("book", "serial", "map", "music", "audiovisual", "other")
ClosingDay = Annotated[
    date,
    Field(
        description="The last day a selection can be made: from today (UTC) to 366 days "
        "ahead. Left out: six weeks from today."
    ),
]
Note = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"\S")]
LanguageCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{3}$"),
    Field(description="MARC language code (ISO 639-2/B): rus, ind, eng"),
]
SubjectClass = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"\S"),
    Field(description="A UDC or DDC class, such as 94(470) or 959.8"),
]
Small = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
MaterialType = Literal["book", "serial", "map", "music", "audiovisual", "other"]


class FundPick(RequestModel):
    fund_item_id: RowId
    copies: Copies


class OfferListIn(RequestModel):
    """Staff make a list of fund items; nothing is reserved until a partner selects."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Duplicates, autumn 2026",
                    "note": "Indonesian history and literature",
                    "closes_on": "2027-01-12",
                    "partners": ["NLB", "RSL"],
                    "items": [{"fund_item_id": 17, "copies": 2}],
                }
            ]
        },
    )

    title: ShortText
    note: Note | None = None
    closes_on: ClosingDay | None = None
    partners: Annotated[list[Code], Field(max_length=500)] | None = Field(
        default=None,
        description="Addressees by code; left out: every partner with an agreement valid on "
        "the day the list is published",
    )
    items: Annotated[list[FundPick], Field(min_length=1, max_length=20_000)]


class OfferLineIn(RequestModel):
    """One line of a partner's own list (its duplicates), in IFLA's fields."""

    title: LongText
    author: Annotated[str, StringConstraints(max_length=500)] | None = None
    edition: Small | None = None
    place: Small | None = None
    publisher: Annotated[str, StringConstraints(max_length=500)] | None = None
    year: PublicationYear | None = None
    pages: Annotated[str, StringConstraints(max_length=64)] | None = None
    isbn: Isbn | None = None
    issn: Issn | None = None
    control_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    language: LanguageCode | None = None
    material_type: MaterialType | None = None
    subject: SubjectClass | None = None
    copies: Copies = 1
    unit_value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class PartnerOfferListIn(RequestModel):
    """A partner offers its duplicates to us; it is published as it arrives."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Дублетные издания, 2026",
                    "closes_on": "2027-01-31",
                    "items": [
                        {
                            "title": "История Беларуси",
                            "author": "Ковкель, И. И.",
                            "place": "Минск",
                            "publisher": "Вышэйшая школа",
                            "year": 2000,
                            "isbn": "985-06-0463-8",
                            "language": "rus",
                            "copies": 1,
                        }
                    ],
                }
            ]
        },
    )

    title: ShortText
    note: Note | None = None
    closes_on: ClosingDay | None = None
    items: Annotated[list[OfferLineIn], Field(min_length=1, max_length=20_000)]


class SelectionLineIn(RequestModel):
    item_id: RowId
    copies: CopyCount = Field(description="0 takes the item out of the selection")


class SelectionIn(RequestModel):
    """The whole selection as it should now be: items left out are given back."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"items": [{"item_id": 5, "copies": 1}]}]}
    )

    items: Annotated[list[SelectionLineIn], Field(max_length=20_000)]


class CloseIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "All items taken"}]}
    )

    note: Note | None = None


class ExtendIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"closes_on": "2027-02-15"}]}
    )

    closes_on: ClosingDay


class OfferItemOut(BaseModel):
    id: int
    position: int
    fund_item_id: int | None
    title: str
    author: str | None
    edition: str | None
    place: str | None
    publisher: str | None
    year: int | None
    pages: str | None
    isbn: str | None
    issn: str | None
    language: str | None
    material_type: str | None
    subject: str | None
    copies: int
    copies_available: int
    unit_value: Decimal | None
    currency: str | None
    # For the reader: how many copies its own selection holds, whether it is on its wish
    # list, whether it fits its profile; for our staff reading a partner's list, what our
    # catalogue holds (``held``: copies, ``held_match``: exact or possible).
    selected: int = 0
    on_wishlist: bool = False
    fits_profile: bool = True
    held: int = 0
    held_match: str | None = None
    held_record_id: int | None = None


class SelectionLineOut(BaseModel):
    item_id: int
    copies: int


class SelectionOut(BaseModel):
    partner: str
    state: str  # open, submitted, released
    items: list[SelectionLineOut]
    copies: int
    exchange_id: str | None
    exchange_number: str | None
    submitted_at: datetime | None


class OfferListSummary(BaseModel):
    id: str
    number: str | None
    direction: str
    partner: str | None = Field(description="The offering partner of an incoming list")
    title: str
    state: str
    closes_on: date
    published_at: datetime | None
    closed_at: datetime | None
    items: int
    copies: int
    copies_available: int
    wishlist_hits: int = 0


class OfferListOut(OfferListSummary):
    note: str | None
    all_partners: bool
    addressees: list[str] = Field(description="Codes; a partner reading sees only its own")
    created_by: str
    created_at: datetime
    item_list: list[OfferItemOut]
    # The reader's own selection (a partner on our list, our staff on a partner's list).
    selection: SelectionOut | None = None
    # Staff only, on our lists: every partner's selection; after the close, who took what.
    selections: list[SelectionOut] | None = None
    summary: dict[str, object] | None = None


class SubmittedOut(BaseModel):
    selection: SelectionOut
    exchange_id: str
    exchange_number: str | None


ListState = Literal["draft", "published", "closed", "withdrawn"]
Direction = Literal["outgoing", "incoming"]
