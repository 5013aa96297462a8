"""Reports for the library's own use: the exchanges of a year as CSV, and the yearly
statistics (JSON, or the yearly report as CSV or PDF), for the annual report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from services.exchange.api.params import Year
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, ContextDep, StaffDep
from services.exchange.http.downloads import csv_download, download
from services.exchange.schemas.statistics import ReportFormat, YearlyOut
from services.exchange.service import reports, statistics, statistics_report
from services.exchange.service.offer_list_pdf import DocumentLanguage

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


@router.get(
    "/yearly",
    response_model=YearlyOut,
    responses={
        200: {
            "content": {"text/csv": {}, "application/pdf": {}},
            "description": "The statistics (JSON), or the yearly report as CSV or PDF",
        }
    },
)
def yearly_report(
    ctx: ContextDep,
    caller: StaffDep,
    year: Year = None,
    partner: Annotated[
        str | None, Query(max_length=32, description="One partner's code; all when left out")
    ] = None,
    format: Annotated[ReportFormat, Query(description="json (default), csv or pdf")] = "json",
    lang: Annotated[DocumentLanguage, Query(description="The CSV's and PDF's language")] = "en",
) -> YearlyOut | Response:
    """The year's statistics: exchanges, titles, copies and value sent and received, by
    material and language, per partner and for all, with each balance in its agreement's
    model, open claims and losses; as CSV or PDF, the yearly report for the annual report the
    UNESCO 1958 Convention asks for (``yearly-2026-ru.pdf``)."""
    year = year or datetime.now(UTC).year
    if format == "json":
        return statistics.yearly(ctx.engine, caller, year, partner)
    data, name = statistics_report.export(
        ctx.engine, ctx.settings, caller, year, partner, lang, format
    )
    media = "application/pdf" if format == "pdf" else "text/csv; charset=utf-8"
    return download(data, name, media)
