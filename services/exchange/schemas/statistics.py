"""The year's statistics: what was exchanged with each partner and with all of them.

Counted over the exchanges completed in the year (the ledger's year), from their lines:
copies shipped for ours, copies received for theirs, as the ledger counts them. The figures
are what a head of an exchange department reports at the end of a year, and what the UNESCO
1958 Convention on the exchange of publications asks the annual report to give.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from services.exchange.schemas.reports import BalanceOut

Material = Literal["book", "serial"]
MATERIALS: tuple[Material, ...] = ("book", "serial")


class Counts(BaseModel):
    """One direction's figures: exchanges, titles (lines that moved copies, and each serial
    title once a year), copies (serial issues: the copies of each issue received)."""

    exchanges: int = Field(default=0, description="Exchanges (serial issues are none)")
    titles: int = Field(
        default=0, description="Lines that moved copies, and each serial title once a year"
    )
    copies: int = Field(default=0, description="Copies of the lines and of the serial issues")
    value: dict[str, Decimal] = Field(
        default_factory=dict, description="Declared value (unit value x copies) per currency"
    )
    purchase_cost: dict[str, Decimal] = Field(
        default_factory=dict, description="What the copies bought to send cost, per currency"
    )


class Split(BaseModel):
    """Sent and received for one material type or one language."""

    key: str = Field(description="book or serial; or an ISO 639-2 code, und when not stated")
    sent: Counts
    received: Counts


class YearCounts(BaseModel):
    """One year of the chart range: copies and titles each way."""

    year: int
    sent: Counts
    received: Counts


class BalancePoint(BaseModel):
    """The running balance at the end of a year, in the agreement's model of that year."""

    year: int
    model: str
    unit: str | None
    balance: Decimal | None
    tolerance: Decimal | None
    quota: int | None = Field(description="The agreement's yearly quota of copies, each way")


class Losses(BaseModel):
    lost_exchanges: int = Field(description="Shipments marked lost in the year")
    lost_copies: int = Field(description="The copies those shipments carried")
    written_off_claims: int = Field(description="Claims written off in the year")
    written_off_copies: int


class Figures(BaseModel):
    """The year's figures for one partner, or for all of them together."""

    sent: Counts
    received: Counts
    by_material: list[Split]
    by_language: list[Split]
    open_claims: int = Field(description="Claims raised by the end of the year that are still open")
    losses: Losses
    years: list[YearCounts] = Field(description="The chart range, oldest first")


class PartnerFigures(Figures):
    partner: str
    name: str
    country: str
    balance: BalanceOut | None = Field(
        description="The balance in the agreement's model (as GET /partners/{code}/balance)"
    )
    balance_history: list[BalancePoint] = Field(
        default_factory=list,
        description="The running balance at the end of each year of the range (asked for "
        "one partner only)",
    )


class YearlyOut(BaseModel):
    year: int
    first_year: int = Field(description="The first year of the chart range")
    partner: str | None = Field(description="The partner asked for; null: all partners")
    total: Figures = Field(description="All the partners shown, together")
    partners: list[PartnerFigures] = Field(
        description="Each partner with something in the year (or the one asked for)"
    )


ReportFormat = Literal["json", "csv", "pdf"]
