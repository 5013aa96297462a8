"""The catalogue for staff: search, a record's page, and a search's export as MARC.

Every staff role may read the catalogue. The search terms live in the query string, so a
result can be bookmarked, paged, sorted and exported with the same terms; the service layer
(``service/catalogue.py``) runs the one search all of them share.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.exchange.http.deps import STAFF_ROLES, require_role
from services.exchange.http.downloads import marc_download
from services.exchange.problems import Problem
from services.exchange.schemas.common import INT32_MAX
from services.exchange.service import catalogue, catalogue_view
from services.exchange.service.catalogue import SORTS, SearchQuery, Sort
from services.exchange.web.pages import StaffUser, context, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
_YEAR = re.compile(r"[0-9]{4}")
Text = Annotated[str | None, Query(max_length=300)]


def _query(
    title: str | None,
    author: str | None,
    number: str | None,
    control_number: str | None,
    year: str | None,
    sort: str | None,
    direction: str | None,
) -> SearchQuery:
    """The search the form asks for; a year that is not four digits is refused, not ignored."""
    year_text = (year or "").strip()
    if year_text and not _YEAR.fullmatch(year_text):
        raise Problem(422, "validation-error", f"year: {year_text!r} is not a year (four digits)")
    chosen: Sort = next((s for s in SORTS if s == sort), "title")
    return SearchQuery(
        title=(title or "").strip() or None,
        author=(author or "").strip() or None,
        number=(number or "").strip() or None,
        control_number=(control_number or "").strip() or None,
        year=int(year_text) if year_text else None,
        sort=chosen,
        descending=direction == "desc",
    )


def _terms(request: Request, *, drop: tuple[str, ...] = ("page",)) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in drop and v]
    return urlencode(kept)


@router.get("/catalogue")
async def search_page(
    request: Request,
    user: StaffUser,
    title: Text = None,
    author: Text = None,
    number: Text = None,
    control_number: Text = None,
    year: Text = None,
    sort: Text = None,
    direction: Annotated[str | None, Query(alias="dir", max_length=4)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    require_role(user.caller, *STAFF_ROLES)
    ctx = context(request)
    error: str | None = None
    rows: list[catalogue.Found] = []
    total = 0
    query = SearchQuery()
    try:
        query = _query(title, author, number, control_number, year, sort, direction)
        if query.empty and not sort:
            query = SearchQuery(sort="newest")  # nothing asked yet: the newest records
        rows, total = await asyncio.to_thread(
            catalogue.search,
            ctx.engine,
            user.caller,
            query,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    except Problem as exc:
        if exc.status != 422:
            raise
        error = exc.detail
    terms = _terms(request, drop=("page", "sort", "dir"))
    return render(
        request,
        "catalogue/search.html",
        user,
        status_code=422 if error else 200,
        error=error,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        form={
            "title": title or "",
            "author": author or "",
            "number": number or "",
            "control_number": control_number or "",
            "year": year or "",
        },
        sort=query.sort,
        descending=query.descending,
        searched=not query.empty,
        terms=terms,
        page_base=f"/catalogue?{_terms(request)}&" if _terms(request) else "/catalogue?",
        export_terms=_terms(request, drop=("page", "format")),
    )


@router.get("/catalogue/export")
async def export_search(
    request: Request,
    user: StaffUser,
    title: Text = None,
    author: Text = None,
    number: Text = None,
    control_number: Text = None,
    year: Text = None,
    sort: Text = None,
    direction: Annotated[str | None, Query(alias="dir", max_length=4)] = None,
    format: Literal["marc21", "marcxml"] = "marc21",
) -> Response:
    """Every record of the search, in its order, as MARC 21 (UTF-8) or MARCXML, streamed."""
    require_role(user.caller, *STAFF_ROLES)
    ctx = context(request)
    query = _query(title, author, number, control_number, year, sort, direction)
    catalogue.check_query(query)
    records = catalogue.export(ctx.engine, user.caller, query)
    return marc_download(records, "catalogue", format)


@router.get("/catalogue/{record_id}")
async def record_page(
    request: Request,
    user: StaffUser,
    record_id: Annotated[int, Path(ge=1, le=INT32_MAX)],
) -> Response:
    require_role(user.caller, *STAFF_ROLES)
    ctx = context(request)
    record = await asyncio.to_thread(catalogue_view.record_view, ctx.engine, user.caller, record_id)
    return render(request, "catalogue/record.html", user, r=record)


@router.get("/catalogue/{record_id}/download")
async def record_download(
    request: Request,
    user: StaffUser,
    record_id: Annotated[int, Path(ge=1, le=INT32_MAX)],
    format: Literal["marc21", "marcxml"] = "marc21",
) -> Response:
    """The one record, as the API's ``?format=marc21|marcxml`` gives it, to save."""
    require_role(user.caller, *STAFF_ROLES)
    ctx = context(request)
    data = await asyncio.to_thread(catalogue_view.record_marc, ctx.engine, user.caller, record_id)
    return marc_download(iter([data]), f"record-{record_id}", format)
