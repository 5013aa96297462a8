"""The catalogue pages over a real stack: search by each field, paging and sorting, the record
page (labelled view, tags, holdings, provenance, history), exports read back with pymarc, and
the cataloguers' list of received exchanges waiting for a commit."""

from __future__ import annotations

import io
import re

import pymarc
from pymarc import Record

from tests.catalogue_support import (
    book,
    import_records,
    isbn10_of,
    receive,
    record_ids,
    shipped_to_us,
    tag,
    unique_isbn,
    unique_issn,
)
from tests.conftest import Stack
from tests.support import wait_for
from tests.web_support import user_client

_ROW_LINK = re.compile(r'<a href="/catalogue/(\d+)">')


def found_ids(html: str) -> list[int]:
    """The records a result page lists, in its order."""
    return [int(n) for n in _ROW_LINK.findall(html)]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_search_finds_a_record_by_each_field(stack: Stack) -> None:
    word = tag()
    hyphenated, compact = unique_isbn()
    issn = unique_issn()
    control = f"ctl-{word}"
    await import_records(
        stack,
        [
            book(
                f"Светильник Сибири {word}",
                author=f"Пушкин{word}, А. С.",
                isbn=hyphenated,
                year=1987,
                control=control,
            ),
            book(f"Вестник {word}", issn=issn, year=1988, control=f"other-{word}"),
        ],
    )
    book_id, serial_id = await record_ids(stack.http, stack.staff, word)
    async with user_client(stack, "acquisitions") as client:

        async def search(**terms: str) -> list[int]:
            r = await client.get("/catalogue", params=terms)
            assert r.status_code == 200, r.text
            return found_ids(r.text)

        # Title words in any case (Cyrillic too, on SQLite as on PostgreSQL), in any order.
        assert await search(title=f"светильник {word}") == [book_id]
        assert await search(title=f"{word} СИБИРИ") == [book_id]
        assert await search(author=f"пушкин{word}") == [book_id]
        # ISBN with or without hyphens, and as the ISBN-10 of the same book.
        assert await search(number=hyphenated) == [book_id]
        assert await search(number=compact) == [book_id]
        assert await search(number=isbn10_of(compact)) == [book_id]
        # ISSN with or without its hyphen.
        assert await search(number=issn) == [serial_id]
        assert await search(number=issn.replace("-", "")) == [serial_id]
        assert await search(control_number=control) == [book_id]
        assert await search(title=word, year="1988") == [serial_id]
        assert await search(title=word, year="1990") == []

        # A number that is neither is said so on the page, not answered with a 500.
        r = await client.get("/catalogue", params={"number": "12-34"})
        assert r.status_code == 422
        assert "is not an ISBN" in text_of(r.text)
        r = await client.get("/catalogue", params={"year": "19x7"})
        assert r.status_code == 422 and "is not a year" in text_of(r.text)


async def test_results_are_paged_and_sorted(stack: Stack) -> None:
    word = tag()
    titles = [f"Paging {word} {n:02d}" for n in range(1, 28)]
    await import_records(stack, [book(t, year=1900 + n) for n, t in enumerate(titles)])
    ids = await record_ids(stack.http, stack.staff, word)
    by_title = dict(zip(titles, ids, strict=True))
    async with user_client(stack, "cataloguer") as client:
        first = await client.get("/catalogue", params={"title": word})
        assert "27 records found" in text_of(first.text)
        page_two = await client.get("/catalogue", params={"title": word, "page": "2"})
        shown = found_ids(first.text) + found_ids(page_two.text)
        assert shown == [by_title[t] for t in titles]  # by title, each once
        assert len(found_ids(first.text)) == 25

        r = await client.get("/catalogue", params={"title": word, "sort": "title", "dir": "desc"})
        assert found_ids(r.text)[:3] == [by_title[t] for t in reversed(titles[-3:])]
        assert 'aria-sort="descending"' in r.text
        r = await client.get("/catalogue", params={"title": word, "sort": "year", "dir": "desc"})
        assert found_ids(r.text)[0] == by_title[titles[-1]]  # 1926, the newest year


async def test_record_page_shows_the_record_its_holdings_and_where_it_came_from(
    stack: Stack,
) -> None:
    word = tag()
    isbn, _ = unique_isbn()
    partner, key, exchange = await shipped_to_us(stack, 1)
    record = book(
        f"Светильник Сибири {word}",
        subtitle="жизнеописание",
        author="Иванов, И. И.",
        isbn=isbn,
        edition="2-е изд.",
        control=f"ctl-{word}",
    )
    batch = await import_records(stack, [record], exchange_id=exchange["id"], key=key)
    (record_id,) = await record_ids(stack.http, stack.staff, word)
    # The same book again, from a file of our own: its copy goes to the same record.
    again = await import_records(stack, [record])
    async with user_client(stack, "acquisitions") as client:
        r = await client.get(f"/catalogue/{record_id}")
        assert r.status_code == 200, r.text
        page = text_of(r.text)
        for label, value in (
            ("Title", f"Светильник Сибири {word} : жизнеописание"),
            ("Statement of responsibility", "сост. И. Иванов."),
            ("Authors", "Иванов, И. И."),
            ("Edition", "2-е изд."),
            ("Publication", "Москва : Наука, 2019."),
            ("Physical description", "320 с. : ил. ; 21 см"),
            ("Series", "Жизнь замечательных людей ; вып. 5"),
            ("Subjects", "Святые -- Сибирь"),
            ("ISBN", isbn),
            ("Control number", f"ctl-{word} (RuMoRGB)"),
        ):
            assert f"{label} {value}" in page, (label, value)
        # The tags, monospaced: tag, indicators (blank as _), subfields.
        assert 'class="marc mono"' in r.text
        assert "245 10 $a Светильник Сибири" in page and "264 _1 $a Москва :" in page
        # Holdings: one copy from the exchange, one from the second import.
        assert re.search(r'id="record-holdings">2<', r.text)
        provenance = text_of(r.text.split('id="provenance"')[1].split("</section>")[0])
        assert exchange["number"] in provenance and partner["name"] in provenance
        history = r.text.split('id="history"')[1].split("</section>")[0]
        assert batch["id"] in history and again["id"] in history
        assert "imported (new record)" in history and "merged (copies added)" in history

        assert (await client.get("/catalogue/2147483647")).status_code == 404
        assert (await client.get("/catalogue/0")).status_code == 422


async def test_a_search_exports_as_marc21_and_marcxml(stack: Stack) -> None:
    word = tag()
    titles = [f"Ekspor {word} {n}" for n in ("A", "B", "C")]
    await import_records(stack, [book(t) for t in titles])
    async with user_client(stack, "cataloguer") as client:
        terms = {"title": word, "sort": "title", "dir": "desc"}
        page = await client.get("/catalogue", params=terms)
        assert "format=marc21" in page.text and "format=marcxml" in page.text

        r = await client.get("/catalogue/export", params={**terms, "format": "marc21"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/marc"
        read = [rec for rec in pymarc.MARCReader(r.content, to_unicode=True, force_utf8=True)]
        assert all(isinstance(rec, Record) for rec in read)
        assert [rec["245"]["a"] for rec in read] == [f"{t} /" for t in reversed(titles)]

        r = await client.get("/catalogue/export", params={**terms, "format": "marcxml"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/marcxml+xml")
        parsed = pymarc.parse_xml_to_array(io.BytesIO(r.content))
        assert [rec["245"]["a"] for rec in parsed] == [f"{t} /" for t in reversed(titles)]
        assert parsed[0]["264"]["b"] == "Наука,"

        r = await client.get("/catalogue/export", params={"number": "nope", "format": "marc21"})
        assert r.status_code == 422


async def test_received_exchanges_wait_for_cataloguing_until_a_batch_is_committed(
    stack: Stack,
) -> None:
    word = tag()
    _partner, key, exchange = await shipped_to_us(stack, 1)
    batch = await import_records(
        stack, [book(f"Menunggu {word}")], exchange_id=exchange["id"], key=key, commit=False
    )
    await receive(stack, exchange)
    async with user_client(stack, "cataloguer") as client:
        page = await client.get("/cataloguing")
        waiting = page.text.split('id="waiting"')[1].split("</section>")[0]
        assert exchange["number"] in waiting
        assert f"/batches/{batch['id']}/review" in waiting  # staged: straight to its review

        r = await stack.http.post(f"/api/v1/marc-batches/{batch['id']}/commit", headers=stack.staff)
        assert r.status_code == 202, r.text
        await wait_for(
            stack.http,
            f"/api/v1/marc-batches/{batch['id']}",
            stack.staff,
            "state",
            {"committed"},
        )
        page = await client.get("/cataloguing")
        waiting = page.text.split('id="waiting"')[1].split("</section>")[0]
        assert exchange["number"] not in waiting
