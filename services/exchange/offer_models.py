"""Tables of offer lists, wish lists and e-mail notices (issue 15).

An offer list is one list of publications offered to many partners at once: ours (direction
``outgoing``: items from the exchange fund, selected by the addressed partners, first come
first served) or a partner's (``incoming``: its duplicates, with what our catalogue already
holds, selected by our staff). The copies a selection takes move only by conditional UPDATEs
on ``offer_item.copies_taken`` (and, for our lists, on the fund item in the same
transaction), so two partners can never take the same copy, whatever the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.exchange.storage.utc import utc_field


class OfferList(SQLModel, table=True):
    __tablename__ = "offer_list"

    id: str = Field(primary_key=True, max_length=36)
    # What a librarian quotes: OL-2026-0007 (``number_sequence``, series "OL").
    number: str | None = Field(default=None, max_length=16, unique=True, index=True)
    direction: str = Field(max_length=16, index=True)  # outgoing (we offer), incoming (they do)
    # The offering partner of an incoming list; None for ours.
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    title: str = Field(max_length=300)
    note: str | None = Field(default=None, max_length=4000)
    state: str = Field(max_length=16, index=True)  # draft, published, closed, withdrawn
    closes_on: date
    # Addressed to every partner with an agreement valid on the day it is published.
    all_partners: bool = False
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(now=True)
    published_at: datetime | None = utc_field(nullable=True)
    closed_at: datetime | None = utc_field(nullable=True)
    closed_by: str | None = Field(default=None, max_length=64)
    # At the close: who took what ({"partners": [{code, items, copies, exchange_id}], ...}).
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class OfferListAddressee(SQLModel, table=True):
    """A partner an outgoing list is addressed to (fixed when it is published)."""

    __tablename__ = "offer_list_addressee"

    list_id: str = Field(foreign_key="offer_list.id", primary_key=True, max_length=36)
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, index=True)


class OfferItem(SQLModel, table=True):
    """One publication on a list, with the fields of IFLA's format for exchange lists."""

    __tablename__ = "offer_item"
    __table_args__ = (UniqueConstraint("list_id", "position", name="uq_offer_item_position"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: str = Field(foreign_key="offer_list.id", index=True, max_length=36)
    position: int
    fund_item_id: int | None = Field(default=None, foreign_key="fund_item.id", index=True)
    title: str = Field(max_length=1000)
    author: str | None = Field(default=None, max_length=500)
    edition: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    publisher: str | None = Field(default=None, max_length=500)
    year: int | None = None
    pages: str | None = Field(default=None, max_length=64)
    isbn: str | None = Field(default=None, max_length=32, index=True)
    issn: str | None = Field(default=None, max_length=16, index=True)
    control_number: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=3)  # MARC language code: rus, ind
    material_type: str | None = Field(default=None, max_length=16)  # book, serial, map, ...
    subject: str | None = Field(default=None, max_length=32)  # a UDC or DDC class: 94(470)
    copies: int
    copies_taken: int = 0
    unit_value: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(12, 2), nullable=True)
    )
    currency: str | None = Field(default=None, max_length=3)
    # For an incoming list, what our catalogue holds (``held_match``: exact or possible).
    held_copies: int | None = None
    held_match: str | None = Field(default=None, max_length=16)
    held_record_id: int | None = None


class OfferSelection(SQLModel, table=True):
    """What one side selects from a list: a partner from ours, our staff from a partner's."""

    __tablename__ = "offer_selection"
    __table_args__ = (UniqueConstraint("list_id", "partner_id", name="uq_offer_selection"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: str = Field(foreign_key="offer_list.id", index=True, max_length=36)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    state: str = Field(max_length=16)  # open, submitted, released
    exchange_id: str | None = Field(default=None, foreign_key="exchange.id", index=True)
    updated_at: datetime = utc_field(now=True)
    submitted_at: datetime | None = utc_field(nullable=True)
    submitted_by: str | None = Field(default=None, max_length=64)


class OfferPick(SQLModel, table=True):
    """Copies of one item in one selection; held from the moment they are picked."""

    __tablename__ = "offer_pick"

    selection_id: int = Field(foreign_key="offer_selection.id", primary_key=True)
    item_id: int = Field(foreign_key="offer_item.id", primary_key=True, index=True)
    copies: int


class WishItem(SQLModel, table=True):
    """A desideratum: what a partner (or we, ``partner_id`` None) would like to receive."""

    __tablename__ = "wish_item"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    isbn: str | None = Field(default=None, max_length=32, index=True)
    issn: str | None = Field(default=None, max_length=16, index=True)
    title: str | None = Field(default=None, max_length=1000)
    author: str | None = Field(default=None, max_length=500)
    # For serials: "vols 12–18" or "2019–2023", as typed, and the range it was read as.
    volumes: str | None = Field(default=None, max_length=100)
    volume_from: int | None = None
    volume_to: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    note: str | None = Field(default=None, max_length=1000)
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(now=True)


class WishHit(SQLModel, table=True):
    """A wish matched by an offered item or a deposit; the notice counts the new ones."""

    __tablename__ = "wish_hit"
    __table_args__ = (
        UniqueConstraint("wish_item_id", "offer_item_id", name="uq_wish_hit_offer"),
        UniqueConstraint("wish_item_id", "fund_item_id", name="uq_wish_hit_fund"),
    )

    id: int | None = Field(default=None, primary_key=True)
    wish_item_id: int = Field(foreign_key="wish_item.id", index=True)
    partner_id: int | None = Field(default=None, index=True)  # whose wish; None: ours
    offer_item_id: int | None = Field(default=None, foreign_key="offer_item.id", index=True)
    fund_item_id: int | None = Field(default=None, foreign_key="fund_item.id", index=True)
    list_id: str | None = Field(default=None, max_length=36, index=True)
    match: str = Field(max_length=16)  # isbn, issn, control, title
    notified: bool = False
    created_at: datetime = utc_field(now=True)


class EmailDelivery(SQLModel, table=True):
    """One attempt to send a notice to one address, logged beside the webhook deliveries.

    A notice is sent to an address at most once: an attempt first looks for a success.
    """

    __tablename__ = "email_delivery"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    partner_id: int | None = Field(default=None, index=True)  # None: a staff address
    address: str = Field(max_length=320)
    language: str = Field(max_length=8)
    subject: str = Field(max_length=500)
    attempt: int
    succeeded: bool = False
    error: str | None = None
    duration_ms: int = 0
    at: datetime = utc_field()
