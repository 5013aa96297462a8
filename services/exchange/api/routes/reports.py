"""Reports for the library's own use: the exchanges of a year as CSV, for the annual report."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from services.exchange.api.params import Year
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, ContextDep
from services.exchange.http.downloads import csv_download
from services.exchange.service import reports

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEMS)


@router.get(
    "/exchanges.csv",
    responses={200: {"content": {"text/csv": {}}}},
    response_class=StreamingResponse,
)
def exchanges_report(ctx: ContextDep, _: AcquisitionsDep, year: Year = None) -> StreamingResponse:
    """One row per exchange line of the exchanges proposed in the year, for the annual report."""
    year = year or datetime.now(UTC).year
    return csv_download(reports.exchanges_csv(ctx.engine, year), f"exchanges-{year}.csv")
