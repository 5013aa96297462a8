"""Reports: the balance with a partner, counted in its agreement's model, and its preview.

The first fields (``sent``, ``received``, ``balance_copies``, ``balance_titles``, ``quota``)
are the balance as it was before balance models existed, kept so that readers of them go on
working; ``model`` and the figures after it count in the agreement's model.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.exchange.schemas.common import RequestModel
from services.exchange.schemas.exchanges import LineIn

BalanceModel = Literal["blanket", "pieces", "titles", "value"]
BALANCE_MODELS: tuple[BalanceModel, ...] = ("blanket", "pieces", "titles", "value")
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Flow(BaseModel):
    exchanges: int
    titles: int
    copies: int
    value: dict[str, Decimal] = Field(description="Declared value per currency")
    purchase_cost: dict[str, Decimal] = Field(
        default_factory=dict, description="What the copies bought to send cost, per currency"
    )


class QuotaOut(BaseModel):
    yearly: int | None
    sent: int
    received: int


class ModelFigures(BaseModel):
    """Sent, received and the balance in the model's unit (copies, titles or the currency)."""

    sent: Decimal
    received: Decimal
    balance: Decimal | None = Field(
        description="Sent minus received; null in the blanket model, which keeps no balance"
    )
    unconverted: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Value model: declared values in currencies with no rate recorded for "
        "their year, left out of the figures until staff record one",
    )


class BalanceOut(BaseModel):
    partner: str
    year: int
    sent: Flow
    received: Flow
    balance_copies: int = Field(description="Copies sent minus copies received")
    balance_titles: int
    quota: QuotaOut
    model: BalanceModel = Field(
        default="pieces",
        description="The agreement's model: blanket (no balance kept, a yearly review), "
        "pieces (copies), titles, or value (declared values in the agreement's currency)",
    )
    unit: Literal["copies", "titles", "value"] | None = Field(
        default="copies", description="What the figures count; null in the blanket model"
    )
    currency: str | None = Field(default=None, description="The value model's currency")
    tolerance: Decimal | None = Field(
        default=None, description="How far the balance may lean either way, in the unit"
    )
    year_figures: ModelFigures | None = Field(default=None, description="This year alone")
    running: ModelFigures | None = Field(
        default=None, description="From the first year in the ledger to the end of this one"
    )
    within_tolerance: bool | None = Field(
        default=None, description="Whether the running balance is within the tolerance"
    )


class BalancePreviewIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "direction": "outgoing",
                    "lines": [
                        {
                            "title": "Sejarah Nasional Indonesia",
                            "quantity": 3,
                            "unit_value": "150000.00",
                            "currency": "IDR",
                        }
                    ],
                }
            ]
        },
    )

    direction: Literal["outgoing", "incoming"] = Field(
        default="outgoing", description="outgoing: we would send these lines; incoming: receive"
    )
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


class BalancePreviewOut(BaseModel):
    """What sending (or receiving) the lines would do to the running balance."""

    partner: str
    model: BalanceModel
    unit: Literal["copies", "titles", "value"] | None
    currency: str | None
    tolerance: Decimal | None
    before: Decimal | None = Field(
        description="The running balance now, open exchanges counted at their copies"
    )
    effect: Decimal | None = Field(description="What the lines add (+ sent, - received)")
    after: Decimal | None
    warning: bool = Field(
        description="True when the balance would go past the tolerance and further from even"
    )
    detail: str | None = Field(default=None, description="The warning, in words")
    unconverted: dict[str, Decimal] = Field(default_factory=dict)


class ExchangeRateIn(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rate": "0.0061"}]})

    rate: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)] = Field(
        description="What one unit of the currency was worth in the other that year"
    )


class ExchangeRateOut(BaseModel):
    year: int
    currency: str
    to_currency: str
    rate: Decimal
    recorded_by: str
    recorded_at: datetime


RateYear = Annotated[StrictInt, Field(ge=1950, le=2099)]
