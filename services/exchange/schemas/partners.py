"""Partner libraries: registration, their webhook secret and deliveries, their agreements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

from marc import HeadingForm, TextEncoding
from services.exchange.schemas.common import AgreementDay, Code, RequestModel, ShortText
from services.exchange.schemas.profiles import ProfileIn, ProfileOut

_AGREEMENT_DAYS = "from 1950-01-01 to 2099-12-31"
_MARC_ENCODING = (
    "The character set the partner's ISO 2709 files (MARC 21, UNIMARC) are read in, whatever "
    "their records declare: for a partner known to send, say, Windows-1251 with a blank "
    "Leader/09. An upload's own encoding wins; null: told from each record. MARCXML and "
    "MARC-in-JSON carry their own."
)
_HEADING_FORM = (
    "How the names of the partner's UNIMARC records become MARC 21 headings: national (as the "
    "Russian State Library writes them: full forenames, a relator term in $e) or lc (as the "
    "Library of Congress's conversion does: fuller forenames in $q, $4 only); null: national "
    "for RUSMARC and BELMARC, lc for other UNIMARC."
)


class PartnerIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "NLB",
                    "name": "National Library of Belarus",
                    "country": "BY",
                    "isil": "BY-HM0000",
                    "marc_format": "rusmarc",
                    "webhook_url": "https://exchange.nlb.by/hooks/exchange",
                }
            ]
        },
    )

    code: Code
    name: ShortText
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code"
    )
    isil: Annotated[str, StringConstraints(max_length=32)] | None = None
    marc_format: Literal["marc21", "unimarc", "rusmarc"]
    webhook_url: AnyHttpUrl | None = None
    marc_encoding: TextEncoding | None = Field(default=None, description=_MARC_ENCODING)
    heading_form: HeadingForm | None = Field(default=None, description=_HEADING_FORM)


class PartnerOut(BaseModel):
    code: str
    name: str
    country: str
    isil: str | None
    marc_format: str
    webhook_url: str | None
    marc_encoding: TextEncoding | None = Field(description=_MARC_ENCODING)
    heading_form: HeadingForm | None = Field(description=_HEADING_FORM)
    created_at: datetime


class PartnerCreated(PartnerOut):
    api_key: str = Field(description="The partner's API key. It is shown only in this response.")
    api_key_id: str
    webhook_secret: str = Field(
        description="Secret that signs webhook events (HMAC-SHA256). Shown only in this response."
    )


class PartnerPatch(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"webhook_url": "https://exchange.nlb.by/hooks/exchange"}]},
    )

    name: ShortText | None = None
    isil: Annotated[str, StringConstraints(max_length=32)] | None = None
    webhook_url: AnyHttpUrl | None = None
    marc_encoding: TextEncoding | None = Field(
        default=None, description=f"{_MARC_ENCODING} Admins only."
    )
    heading_form: HeadingForm | None = Field(
        default=None, description=f"{_HEADING_FORM} Admins only."
    )


class WebhookSecret(BaseModel):
    webhook_secret: str = Field(description="Signs webhook events; shown only in this response")


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event: str
    exchange_id: str
    exchange_number: str | None = Field(description="The exchange's number, EX-2026-0042")
    attempt: int
    url: str
    status_code: int | None
    error: str | None
    succeeded: bool
    duration_ms: int
    at: datetime


class AgreementIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signed_on": "2025-03-14",
                    "valid_from": "2025-04-01",
                    "valid_to": "2030-03-31",
                    "programmes": ["material_exchange"],
                    "response_days": 30,
                    "receipt_days": 60,
                    "yearly_quota": 500,
                }
            ]
        },
    )

    signed_on: AgreementDay = Field(description=f"The day it was signed: {_AGREEMENT_DAYS}")
    valid_from: AgreementDay = Field(description=f"Its first day: {_AGREEMENT_DAYS}")
    valid_to: AgreementDay = Field(
        description=f"Its last day: {_AGREEMENT_DAYS}; an agreement without an end date "
        "gives 2099-12-31"
    )
    programmes: Annotated[
        list[Literal["material_exchange", "digital_exchange"]], Field(min_length=1)
    ]
    response_days: Annotated[StrictInt, Field(ge=1, le=365)] = Field(
        default=30, description="Days the recipient has to decide on a proposal"
    )
    receipt_days: Annotated[StrictInt, Field(ge=1, le=365)] = Field(
        default=60, description="Days after shipment by which the parcel should arrive"
    )
    yearly_quota: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = Field(
        default=None, description="Copies a year, each way: at most 1,000,000"
    )
    profile: ProfileIn | None = Field(
        default=None, description="What the partner wants; left out or empty: everything"
    )
    balance_model: Literal["blanket", "pieces", "titles", "value"] = Field(
        default="pieces",
        description="How the balance is counted: blanket (none kept against the partner, a "
        "yearly review), pieces (copies), titles, or value (declared values in `currency`)",
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="The currency of a value balance; needed for the value model"
    )
    tolerance: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = Field(
        default=None,
        description="How far the balance may lean either way before staff are warned, in the "
        "model's unit (copies, titles, or the currency); left out: no warning",
    )

    @model_validator(mode="after")
    def _value_needs_currency(self) -> AgreementIn:
        if self.balance_model == "value" and self.currency is None:
            raise ValueError("a value balance needs the agreement's currency")
        return self


class AgreementOut(BaseModel):
    id: int
    partner: str
    signed_on: date
    valid_from: date
    valid_to: date
    programmes: list[str]
    response_days: int
    receipt_days: int
    yearly_quota: int | None
    valid_today: bool
    profile: ProfileOut | None = Field(
        default=None, description="What the partner wants; null: everything"
    )
    balance_model: str = "pieces"
    currency: str | None = None
    tolerance: Decimal | None = None
