"""Reports: the yearly balance of copies and titles sent and received with a partner."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field


class Flow(BaseModel):
    exchanges: int
    titles: int
    copies: int
    value: dict[str, Decimal] = Field(description="Declared value per currency")


class QuotaOut(BaseModel):
    yearly: int | None
    sent: int
    received: int


class BalanceOut(BaseModel):
    partner: str
    year: int
    sent: Flow
    received: Flow
    balance_copies: int = Field(description="Copies sent minus copies received")
    balance_titles: int
    quota: QuotaOut
