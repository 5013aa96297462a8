"""What the sortable lists share on the page side: the header links, and the CSV export.

A list's header is a link to the same list sorted by that column (``?sort=column&dir=asc``,
then ``desc`` on the next click), keeping the filters and going back to page 1; the sorted
header carries ``aria-sort``. The "Export CSV" link is the same address on the list's
``.csv`` path, so the file holds exactly the rows the list shows, filtered and sorted, from
every page. The SQL side is ``service/sorting.py`` and ``service/list_orders.py``.

The CSV is UTF-8 with a byte-order mark, so that Excel reads Cyrillic and Indonesian names
rightly, and its header row is in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import StreamingResponse

from services.exchange.http.downloads import csv_download
from services.exchange.service import reports
from services.exchange.service.sorting import Sort, chosen
from services.exchange.web.i18n import Lang

SORT_PARAM = "sort"
DIRECTION_PARAM = "dir"
_NOT_KEPT = frozenset({SORT_PARAM, DIRECTION_PARAM, "page"})
# Rows read per query while an export streams: every page, a bounded chunk at a time.
EXPORT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SortLinks:
    """The links of one list's headers; ``shown`` is the order in force (chosen or default)."""

    path: str
    filters: tuple[tuple[str, str], ...]
    sort: Sort | None
    shown: Sort | None
    sortable: frozenset[str]

    def href(self, column: str) -> str:
        """This column ascending; if it is so already, descending."""
        shown = self.shown
        ascending_now = shown is not None and shown.column == column and not shown.descending
        direction = "desc" if ascending_now else "asc"
        return self._address(self.path, (SORT_PARAM, column), (DIRECTION_PARAM, direction))

    def aria(self, column: str) -> str | None:
        if self.shown is None or self.shown.column != column:
            return None
        return "descending" if self.shown.descending else "ascending"

    def export(self, csv_path: str) -> str:
        """The list as CSV: its filters and its order, all pages."""
        order = (
            ((SORT_PARAM, self.sort.column), (DIRECTION_PARAM, self.sort.direction))
            if self.sort
            else ()
        )
        return self._address(csv_path, *order)

    def _address(self, path: str, *extra: tuple[str, str]) -> str:
        query = urlencode([*self.filters, *extra])
        return f"{path}?{query}" if query else path

    @property
    def page_base(self) -> str:
        """For the pager: the filters and the order, ready for ``page=N``."""
        order = (
            ((SORT_PARAM, self.sort.column), (DIRECTION_PARAM, self.sort.direction))
            if self.sort
            else ()
        )
        query = urlencode([*self.filters, *order])
        return f"{self.path}?{query}&" if query else f"{self.path}?"


def sort_links(
    request: Request,
    columns: Iterable[str],
    default: Sort | None = None,
    path: str | None = None,
) -> SortLinks:
    """The sort the query string asks for, among ``columns``, and the links to change it;
    ``path``: the list's address when this request is another's (a refused form's post)."""
    sortable = frozenset(columns)
    params = request.query_params
    sort = chosen(sortable, params.get(SORT_PARAM), params.get(DIRECTION_PARAM))
    filters = tuple((k, v) for k, v in params.multi_items() if k not in _NOT_KEPT and v != "")
    return SortLinks(
        path=path or request.url.path,
        filters=filters,
        sort=sort,
        shown=sort or default,
        sortable=sortable,
    )


def chunks(read: Callable[[int, int], Sequence[Any]]) -> Iterator[Any]:
    """Every row of a list, ``read(limit, offset)`` a chunk at a time, until one comes short."""
    offset = 0
    while True:
        rows = read(EXPORT_CHUNK, offset)
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


def csv_export(
    lang: Lang,
    headers: Sequence[str],
    rows: Iterable[Any],
    cells: Callable[[Any], Sequence[object]],
    filename: str,
) -> StreamingResponse:
    """A list as a CSV download: the header row (message ids) in the reader's language, then
    each row as ``cells`` gives it."""
    header = [lang.gettext(label) for label in headers]
    return csv_download(reports.table_csv(header, (cells(row) for row in rows)), filename)
