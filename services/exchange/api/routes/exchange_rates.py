"""Exchange rates: what a currency was worth in another in a year, for value balances.

Any staff key reads them; acquisitions staff (and admins) record, change and remove them,
each change in the audit trail. A partner's key is refused (403): they are our own books.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, ContextDep, StaffDep
from services.exchange.schemas.reports import ExchangeRateIn, ExchangeRateOut
from services.exchange.service import exchange_rates

router = APIRouter(prefix="/exchange-rates", tags=["exchange-rates"], responses=PROBLEMS)

RateYearPath = Annotated[int, Path(ge=1950, le=2099, description="The year: 1950 to 2099")]
CurrencyPath = Annotated[
    str, Path(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the currency converted")
]
ToCurrencyPath = Annotated[
    str, Path(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the currency it is worth in")
]
RateYearQuery = Annotated[
    int | None, Query(ge=1950, le=2099, description="Only this year's rates: 1950 to 2099")
]


@router.get("")
def list_rates(
    ctx: ContextDep, caller: StaffDep, year: RateYearQuery = None
) -> list[ExchangeRateOut]:
    """The rates staff recorded (for one year, or all), newest year first."""
    return exchange_rates.list_rates(ctx.engine, caller, year)


@router.put("/{year}/{currency}/{to_currency}")
def put_rate(
    year: RateYearPath,
    currency: CurrencyPath,
    to_currency: ToCurrencyPath,
    body: ExchangeRateIn,
    ctx: ContextDep,
    caller: AcquisitionsDep,
) -> ExchangeRateOut:
    """Record what one unit of ``currency`` was worth in ``to_currency`` that year (or change
    it): value balances in ``to_currency`` convert that year's ledger entries with it."""
    return exchange_rates.put_rate(ctx.engine, caller, year, currency, to_currency, body.rate)


@router.delete("/{year}/{currency}/{to_currency}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rate(
    year: RateYearPath,
    currency: CurrencyPath,
    to_currency: ToCurrencyPath,
    ctx: ContextDep,
    caller: AcquisitionsDep,
) -> Response:
    """Remove a rate; the amounts it converted are listed as unconverted again."""
    exchange_rates.delete_rate(ctx.engine, caller, year, currency, to_currency)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
