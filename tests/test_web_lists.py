"""The staff lists on the real stack: each sorts by its columns (in SQL, before paging) and
exports as CSV exactly what it shows, filtered and sorted, every page, UTF-8 with a BOM and
the header row in the reader's language.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Stack
from tests.support import marc_file, register_partner
from tests.web_support import exchange_of, user_client

pytestmark = pytest.mark.asyncio

_EXCHANGE_LINK = re.compile(r'href="/exchanges/([0-9a-f-]{36})"')
_FUND_TITLE = re.compile(r"<td[^>]*>(Sortable [^<]+)</td>")


def _csv(response: httpx.Response) -> list[list[str]]:
    """The rows of a CSV download, after checking that it is one Excel reads rightly."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode()), "no byte-order mark"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sorted_header(html: str) -> list[tuple[str, str]]:
    """(aria-sort, the header's text) of each sorted header of the page."""
    return re.findall(
        r'<th scope="col"[^>]*aria-sort="(\w+)"><a class="sort"[^>]*>([^<]+)</a>', html
    )


async def test_the_exchange_list_sorts_by_copies_and_exports_as_shown(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    ids = {await exchange_of(stack, partner, q): q for q in (3, 1, 2)}
    async with user_client(stack, "acquisitions") as web:
        base = {"partner": partner["code"]}
        r = await web.get("/exchanges", params={**base, "sort": "copies", "dir": "asc"})
        assert r.status_code == 200, r.text
        shown = list(dict.fromkeys(_EXCHANGE_LINK.findall(r.text)))
        assert [ids[i] for i in shown] == [1, 2, 3]
        assert _sorted_header(r.text) == [("ascending", "Copies")]
        # The header's next click: the other way, the filter kept.
        assert f'href="/exchanges?partner={partner["code"]}&amp;sort=copies&amp;dir=desc"' in r.text
        r = await web.get("/exchanges", params={**base, "sort": "copies", "dir": "desc"})
        shown = list(dict.fromkeys(_EXCHANGE_LINK.findall(r.text)))
        assert [ids[i] for i in shown] == [3, 2, 1]
        assert _sorted_header(r.text) == [("descending", "Copies")]
        export = f'href="/exchanges.csv?partner={partner["code"]}&amp;sort=copies&amp;dir=desc"'
        assert export in r.text

        rows = _csv(
            await web.get("/exchanges.csv", params={**base, "sort": "copies", "dir": "desc"})
        )
        header, body = rows[0], rows[1:]
        assert header[0] == "Exchange" and "Copies" in header and "State" in header
        assert [row[header.index("Exchange id")] for row in body] == shown
        assert [row[header.index("Copies")] for row in body] == ["3", "2", "1"]
        assert {row[header.index("Partner code")] for row in body} == {partner["code"]}

        # A column not on the whitelist is the default order, never SQL from the address.
        r = await web.get("/exchanges", params={**base, "sort": "id; DROP TABLE exchange"})
        assert r.status_code == 200 and _sorted_header(r.text) == []


async def test_the_fund_csv_holds_every_page_in_the_lists_order(stack: Stack) -> None:
    word = f"Sortable{uuid.uuid4().hex[:8]}"
    count = 55  # more than one page of 50
    for n in range(count):
        r = await stack.http.post(
            "/api/v1/deposits",
            json={"title": f"Sortable {word} {n:02d}", "copies": 3 + n},
            headers=stack.staff,
        )
        assert r.status_code == 201, r.text
    async with user_client(stack, "acquisitions") as web:
        params = {"q": word, "sort": "deposited", "dir": "desc"}
        page = await web.get("/fund", params=params)
        assert page.status_code == 200, page.text
        first_page = _FUND_TITLE.findall(page.text)
        assert len(first_page) == 50
        assert first_page[0] == f"Sortable {word} 54" and first_page[-1] == f"Sortable {word} 05"
        assert _sorted_header(page.text) == [("descending", "Deposited")]
        second = await web.get("/fund", params={**params, "page": "2"})
        assert _FUND_TITLE.findall(second.text) == [
            f"Sortable {word} {n:02d}" for n in range(4, -1, -1)
        ]

        web.cookies.set("exchange_lang", "id")
        rows = _csv(await web.get("/fund.csv", params=params))
        assert rows[0][0] == "Judul"  # the reader's language: Bahasa Indonesia
        titles = [row[0] for row in rows[1:]]
        assert titles == [f"Sortable {word} {n:02d}" for n in range(count - 1, -1, -1)]
        assert [int(row[6]) for row in rows[1:]] == sorted(
            (3 + n for n in range(count)), reverse=True
        )


async def test_the_partner_register_sorts_by_name_and_exports_it(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"Библиотека {tag} Б", f"Library {tag} A", f"Perpustakaan {tag} C"]
    codes = {}
    for name in names:
        partner, _ = await register_partner(stack.http, stack.staff, name=name)
        codes[partner["code"]] = name
    async with user_client(stack, "acquisitions") as web:
        r = await web.get("/partners", params={"sort": "name", "dir": "desc"})
        assert r.status_code == 200, r.text
        order = [c for c in re.findall(r'href="/partners/([A-Z0-9]+)"', r.text) if c in codes]
        assert [codes[c] for c in order] == sorted(names, key=str.lower, reverse=True)
        assert _sorted_header(r.text) == [("descending", "Name")]
        rows = _csv(await web.get("/partners.csv", params={"sort": "name", "dir": "desc"}))
        assert rows[0][:2] == ["Code", "Name"]
        exported = [row[1] for row in rows[1:] if row[0] in codes]
        assert exported == [codes[c] for c in order]  # Cyrillic survives the round trip
        # By default the register is by code, and says so.
        r = await web.get("/partners")
        assert _sorted_header(r.text) == [("ascending", "Code")]


async def test_the_batches_list_filters_sorts_and_exports(stack: Stack, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    sizes = {"b": 3, "a": 1, "c": 2}
    for letter, records in sizes.items():
        path = marc_file(tmp_path / f"list-{tag}-{letter}.mrc", records)
        r = await stack.http.post(
            "/api/v1/marc-batches",
            params={"dry_run": "true"},
            files={"file": (path.name, path.read_bytes())},
            headers=stack.staff,
        )
        assert r.status_code == 202, r.text
    async with user_client(stack, "cataloguer") as web:
        r = await web.get("/cataloguing")
        assert 'href="/batches"' in r.text
        params = {"q": tag, "sort": "file", "dir": "asc"}
        r = await web.get("/batches", params=params)
        assert r.status_code == 200, r.text
        files = re.findall(rf">(list-{tag}-\w\.mrc)</a>", r.text)
        assert files == [f"list-{tag}-{x}.mrc" for x in "abc"]
        assert _sorted_header(r.text) == [("ascending", "File")]
        rows = _csv(await web.get("/batches.csv", params={**params, "dir": "desc"}))
        assert rows[0][0] == "File" and "Uploaded by" in rows[0]
        assert [row[0] for row in rows[1:]] == [f"list-{tag}-{x}.mrc" for x in "cba"]
        assert {row[rows[0].index("Dry run")] for row in rows[1:]} == {"yes"}
        # Another word: nothing of these.
        r = await web.get("/batches", params={"q": f"{tag}-nothing"})
        assert "No batch matches." in r.text
