"""Tables of the balance and the shipment papers (issue 17).

``exchange_rate``: what one unit of ``currency`` was worth in ``to_currency`` in a year, as
staff recorded it, so that a value-model balance adds declared values in the agreement's
currency. ``exchange_document``: a shipment paper (transfer act, packing list, customs
content, receipt) as it was last made, kept with the exchange and made again only when what
it prints changed (``fingerprint``: a digest of the document's HTML).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.exchange.storage.utc import utc_field


class ExchangeRate(SQLModel, table=True):
    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("year", "currency", "to_currency", name="uq_exchange_rate"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    currency: str = Field(max_length=3)
    to_currency: str = Field(max_length=3)
    rate: Decimal = Field(sa_column=Column(Numeric(18, 6), nullable=False))
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = utc_field()


class ExchangeDocument(SQLModel, table=True):
    __tablename__ = "exchange_document"
    __table_args__ = (
        UniqueConstraint("exchange_id", "kind", "lang", "parcel", name="uq_exchange_document"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: str = Field(foreign_key="exchange.id", index=True, max_length=36)
    kind: str = Field(max_length=16)  # transfer-act, packing-list, customs, receipt
    lang: str = Field(max_length=8)  # en, ru, id
    parcel: int = 0  # 0: the whole shipment; 1..n: one parcel's packing list
    fingerprint: str = Field(max_length=64)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = utc_field()
