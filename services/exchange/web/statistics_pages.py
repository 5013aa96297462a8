"""The statistics page of the staff desk: the year's figures for all partners or one, with
charts drawn on the server, and the yearly report to download as CSV or PDF.

The figures are ``statistics.yearly``'s, as ``GET /api/v1/reports/yearly`` gives them; the
charts and the report's files are ``statistics_report``'s, as the PDF prints them. The
selectors are a plain GET form, so the page is a link that can be kept or printed, and it
needs no JavaScript: each chart has a table of its figures beside it. The downloads are here
too (``/statistics/report.csv`` and ``.pdf``) because a page's link carries the session
cookie, not an API key.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.exchange.http.downloads import download
from services.exchange.service import agreements, statistics, statistics_report
from services.exchange.service.offer_list_pdf import DOCUMENT_LANGUAGES, DocumentLanguage
from services.exchange.web.money import amounts
from services.exchange.web.pages import StaffUser, context, lang_for, render

router = APIRouter(include_in_schema=False)

YearParam = Annotated[int | None, Query(ge=1950, le=2200)]
PartnerParam = Annotated[str | None, Query(max_length=32)]


def _language(request: Request, asked: DocumentLanguage | None) -> DocumentLanguage:
    code = asked or lang_for(request).code
    return next((known for known in DOCUMENT_LANGUAGES if known == code), "en")


@router.get("/statistics")
async def statistics_page(
    request: Request, user: StaffUser, year: YearParam = None, partner: PartnerParam = None
) -> Response:
    ctx = context(request)
    lang = lang_for(request)
    year = year or agreements.today().year
    partner = (partner or "").strip() or None
    out = await asyncio.to_thread(statistics.yearly, ctx.engine, user.caller, year, partner)
    choices = await asyncio.to_thread(statistics.partner_choices, ctx.engine)
    this_year = agreements.today().year
    return render(
        request,
        "staff/statistics.html",
        user,
        out=out,
        partners=choices,
        years=list(range(max(this_year, year), min(this_year, year) - 15, -1)),
        copies_chart=statistics_report.copies_chart(
            lang, out.total, statistics_report.quota_of(out)
        ),
        balance_chart=statistics_report.balance_chart(lang, out),
        language_name=lambda code: statistics_report.language_name(lang, code),
        money=lambda found: amounts(lang, found),
        material_name=lambda key: lang.gettext(statistics_report.MATERIAL_NAMES[key]),
        unit_names=statistics_report.UNIT_NAMES,
        document_languages=[("en", "English"), ("ru", "Русский"), ("id", "Bahasa Indonesia")],
    )


async def _report(
    request: Request,
    user: StaffUser,
    year: int | None,
    partner: str | None,
    lang: DocumentLanguage | None,
    kind: str,
) -> Response:
    ctx = context(request)
    data, name = await asyncio.to_thread(
        statistics_report.export,
        ctx.engine,
        ctx.settings,
        user.caller,
        year or agreements.today().year,
        (partner or "").strip() or None,
        _language(request, lang),
        kind,
    )
    media = "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
    return download(data, name, media)


@router.get("/statistics/report.csv")
async def report_csv(
    request: Request,
    user: StaffUser,
    year: YearParam = None,
    partner: PartnerParam = None,
    lang: DocumentLanguage | None = None,
) -> Response:
    return await _report(request, user, year, partner, lang, "csv")


@router.get("/statistics/report.pdf")
async def report_pdf(
    request: Request,
    user: StaffUser,
    year: YearParam = None,
    partner: PartnerParam = None,
    lang: DocumentLanguage | None = None,
) -> Response:
    return await _report(request, user, year, partner, lang, "pdf")
