"""The staff desk's lists as CSV (exchanges, fund, partners, batches) and the batches list.

Each export takes the same query string as its list (filters, ``sort`` and ``dir``) and reads
through the same service call, a chunk at a time, so the file is exactly the list as shown,
every page of it (``web/list_views.py``). Headers and the words in cells (states, directions)
are in the reader's language; dates are ISO 8601 and times in the library's time zone, as a
spreadsheet reads them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.exchange.service import actors, agreements, desk, fund, staff_lists
from services.exchange.service.desk import PartnerRow, Row
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.service.list_orders import EXCHANGE_COLUMNS, FUND_SORTABLE
from services.exchange.service.sorting import Sort
from services.exchange.service.staff_lists import BatchListRow, BatchQuery
from services.exchange.web.exchange_pages import PAGE_SIZE
from services.exchange.web.forms import small_number
from services.exchange.web.i18n import N_, Lang
from services.exchange.web.list_views import chunks, csv_export, sort_links
from services.exchange.web.pages import StaffUser, context, lang_for, render
from workflows.exchange.types import STATES

router = APIRouter(include_in_schema=False)

FUND_DEFAULT = Sort("title")
PARTNERS_DEFAULT = Sort("code")


def exchange_terms(
    partner: str | None,
    state: str | None,
    direction: str | None,
    year: str | None,
    q: str | None,
) -> ListQuery:
    """The staff exchange list's filters from its query string; what cannot be read is unset."""
    return ListQuery(
        partner=partner or None,
        state=state if state in STATES else None,
        direction=direction if direction in ("outgoing", "incoming") else None,
        year=small_number(year),
        q=q or None,
    )


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _time(lang: Lang, value: datetime | None) -> str:
    return value.astimezone(lang.timezone).strftime("%Y-%m-%d %H:%M") if value else ""


def _direction(lang: Lang, direction: str) -> str:
    return lang.gettext("we send") if direction == "outgoing" else lang.gettext("we receive")


EXCHANGE_HEADERS = (
    N_("Exchange"),
    N_("First title"),
    N_("Titles"),
    N_("Copies"),
    N_("Partner"),
    N_("Partner code"),
    N_("Direction"),
    N_("State"),
    N_("Respond by"),
    N_("Receipt due"),
    N_("Proposed"),
    N_("Last change"),
    N_("Exchange id"),
)


@router.get("/exchanges.csv")
async def exchanges_csv(
    request: Request,
    user: StaffUser,
    partner: str | None = None,
    state: str | None = None,
    direction: str | None = None,
    year: str | None = None,
    q: str | None = None,
) -> Response:
    """The exchange list as filtered and sorted, every page, one row per exchange."""
    engine = context(request).engine
    links = sort_links(request, EXCHANGE_COLUMNS)
    terms = dataclasses.replace(exchange_terms(partner, state, direction, year, q), sort=links.sort)
    lang = lang_for(request)

    def read(limit: int, offset: int) -> list[Row]:
        wanted = dataclasses.replace(terms, limit=limit, offset=offset)
        return desk.search(engine, user.caller, wanted)[0]

    def cells(r: Row) -> list[object]:
        return [
            r.number,
            r.title,
            r.lines,
            r.copies,
            r.partner_name,
            r.partner,
            _direction(lang, r.direction),
            lang.gettext(r.state),
            _day(r.respond_by_due),
            _day(r.receipt_due),
            _time(lang, r.created_at),
            _time(lang, r.updated_at),
            r.id,
        ]

    return csv_export(lang, EXCHANGE_HEADERS, chunks(read), cells, "exchanges.csv")


FUND_HEADERS = (
    N_("Title"),
    N_("Author"),
    N_("Publisher"),
    N_("Year"),
    N_("ISBN"),
    N_("ISSN"),
    N_("Deposited"),
    N_("Kept"),
    N_("Reserved"),
    N_("Shipped"),
    N_("Available"),
)


@router.get("/fund.csv")
async def fund_csv(request: Request, user: StaffUser, q: str | None = None) -> Response:
    """The fund as searched and sorted, every page."""
    engine = context(request).engine
    sort = sort_links(request, FUND_SORTABLE, FUND_DEFAULT).sort
    lang = lang_for(request)

    def read(limit: int, offset: int) -> list[Any]:
        found = fund.search(engine, q, available_only=False, limit=limit, offset=offset, sort=sort)
        return list(found.items)

    def cells(item: Any) -> list[object]:
        return [
            item.title,
            item.author,
            item.publisher,
            item.year,
            item.isbn,
            item.issn,
            item.copies_received,
            item.copies_retained,
            item.copies_reserved,
            item.copies_shipped,
            item.copies_available,
        ]

    return csv_export(lang, FUND_HEADERS, chunks(read), cells, "fund.csv")


PARTNER_HEADERS = (
    N_("Code"),
    N_("Name"),
    N_("Country"),
    N_("MARC format"),
    N_("Agreement valid until"),
    N_("Open exchanges"),
    N_("All exchanges"),
)


@router.get("/partners.csv")
async def partners_csv(request: Request, user: StaffUser) -> Response:
    """The partner register in the page's order."""
    engine = context(request).engine
    sort = sort_links(request, staff_lists.PARTNER_SORTABLE, PARTNERS_DEFAULT).sort
    rows = await asyncio.to_thread(staff_lists.partners, engine, agreements.today(), sort)

    def cells(p: PartnerRow) -> list[object]:
        return [
            p.code,
            p.name,
            p.country,
            p.marc_format,
            _day(p.agreement_valid_to),
            p.open_exchanges,
            p.exchanges,
        ]

    return csv_export(lang_for(request), PARTNER_HEADERS, rows, cells, "partners.csv")


# --- the MARC batches ---------------------------------------------------------------------


def _batch_query(request: Request, state: str | None, q: str | None) -> BatchQuery:
    sort = sort_links(request, staff_lists.BATCH_COLUMNS).sort
    return BatchQuery(state=state or None, q=(q or "").strip() or None, sort=sort)


@router.get("/batches")
async def batches_page(
    request: Request,
    user: StaffUser,
    state: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every MARC batch: its state, exchange, counts, and who uploaded it when."""
    ctx = context(request)
    links = sort_links(request, staff_lists.BATCH_COLUMNS, staff_lists.DEFAULT_BATCH_SORT)
    query = dataclasses.replace(
        _batch_query(request, state, q), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    rows, total = await asyncio.to_thread(
        lambda: staff_lists.batches(
            ctx.engine,
            query,
            home_code=ctx.settings.home_code,
            home_name=ctx.settings.home_name,
        )
    )
    states = await asyncio.to_thread(staff_lists.batch_states, ctx.engine)
    return render(
        request,
        "staff/batches.html",
        user,
        rows=rows,
        total=total,
        query=query,
        states=states,
        links=links,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


BATCH_HEADERS = (
    N_("File"),
    N_("Exchange"),
    N_("State"),
    N_("Dry run"),
    N_("Records"),
    N_("Imported"),
    N_("Rejected"),
    N_("Uploaded by"),
    N_("Uploaded"),
    N_("Batch id"),
)


@router.get("/batches.csv")
async def batches_csv(
    request: Request,
    user: StaffUser,
    state: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The batches list as filtered and sorted, every page."""
    ctx = context(request)
    base = _batch_query(request, state, q)
    lang = lang_for(request)

    def read(limit: int, offset: int) -> list[BatchListRow]:
        wanted = dataclasses.replace(base, limit=limit, offset=offset)
        home = ctx.settings
        return staff_lists.batches(
            ctx.engine, wanted, home_code=home.home_code, home_name=home.home_name
        )[0]

    def cells(b: BatchListRow) -> list[object]:
        return [
            b.filename,
            b.exchange_number or (b.exchange_id or ""),
            lang.gettext(b.state),
            lang.gettext("yes") if b.dry_run else lang.gettext("no"),
            b.total,
            b.imported,
            b.rejected,
            lang.gettext(b.uploaded_by_name)
            if b.uploaded_by_name in actors.GENERIC_NAMES
            else b.uploaded_by_name,
            _time(lang, b.created_at),
            b.id,
        ]

    return csv_export(lang, BATCH_HEADERS, chunks(read), cells, "batches.csv")
