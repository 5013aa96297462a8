"""Helpers for the catalogue and review tests: records with every part a record page shows,
unique identifiers (the stack's database is shared by the session), imports through the API
(staged, then committed), and an exchange that reaches us.

Records reach the catalogue the way they do in production: an upload is staged, then
committed (``POST /api/v1/marc-batches/{id}/commit``); nothing is written to the tables here.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from pymarc import Field, Indicators, Record, Subfield

from tests.conftest import Stack
from tests.support import lines, register_partner, wait_for

_random = random.SystemRandom()
STAGED_OR_DONE = {"staged", "committed", "failed"}


def unique_isbn() -> tuple[str, str]:
    """A random valid ISBN-13 (978-...), hyphenated and compact."""
    digits = "978" + "".join(_random.choice("0123456789") for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    compact = digits + str((10 - total % 10) % 10)
    return f"{compact[:3]}-{compact[3]}-{compact[4:8]}-{compact[8:12]}-{compact[12]}", compact


def isbn10_of(compact13: str) -> str:
    """The ISBN-10 form of a 978 ISBN-13 (the same book, as older records print it)."""
    core = compact13[3:12]
    check = sum((10 - i) * int(d) for i, d in enumerate(core)) % 11
    return core + "0123456789X"[(11 - check) % 11]


def unique_issn() -> str:
    """A random valid ISSN, NNNN-NNNC."""
    digits = "".join(_random.choice("0123456789") for _ in range(7))
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    return f"{digits[:4]}-{digits[4:]}{'0123456789X'[(11 - total % 11) % 11]}"


def tag() -> str:
    """A word no other test's record has, to find this test's records only."""
    return "t" + uuid.uuid4().hex[:10]


def book(
    title: str,
    *,
    author: str | None = None,
    isbn: str | None = None,
    issn: str | None = None,
    year: int = 2019,
    control: str | None = None,
    agency: str = "RuMoRGB",
    subtitle: str | None = None,
    edition: str | None = None,
    extra_650: str | None = None,
) -> Record:
    """A MARC 21 book with the parts a record page labels: title, responsibility, edition,
    publication, physical description, series, subjects and identifiers."""
    record = Record(leader="00000nam a2200000 a 4500", force_utf8=True)
    if control:
        record.add_field(Field(tag="001", data=control))
        record.add_field(Field(tag="003", data=agency))
    record.add_field(Field(tag="008", data=f"261121s{year}    ru a          000 0 rus d"))
    blank = Indicators(" ", " ")
    if isbn:
        record.add_field(Field(tag="020", indicators=blank, subfields=[Subfield("a", isbn)]))
    if issn:
        record.add_field(Field(tag="022", indicators=blank, subfields=[Subfield("a", issn)]))
    if author:
        record.add_field(
            Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)])
        )
    subfields = [Subfield("a", f"{title} :" if subtitle else f"{title} /")]
    if subtitle:
        subfields.append(Subfield("b", f"{subtitle} /"))
    subfields.append(Subfield("c", "сост. И. Иванов."))
    record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=subfields))
    if edition:
        record.add_field(Field(tag="250", indicators=blank, subfields=[Subfield("a", edition)]))
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[
                Subfield("a", "Москва :"),
                Subfield("b", "Наука,"),
                Subfield("c", f"{year}."),
            ],
        )
    )
    record.add_field(
        Field(
            tag="300",
            indicators=blank,
            subfields=[Subfield("a", "320 с. :"), Subfield("b", "ил. ;"), Subfield("c", "21 см")],
        )
    )
    record.add_field(
        Field(
            tag="490",
            indicators=Indicators("0", " "),
            subfields=[Subfield("a", "Жизнь замечательных людей"), Subfield("v", "вып. 5")],
        )
    )
    record.add_field(
        Field(
            tag="650",
            indicators=Indicators(" ", "7"),
            subfields=[Subfield("a", extra_650 or "Святые"), Subfield("z", "Сибирь")],
        )
    )
    return record


async def import_records(
    stack: Stack,
    records: list[Record],
    *,
    exchange_id: str | None = None,
    key: dict[str, str] | None = None,
    commit: bool = True,
) -> dict[str, Any]:
    """Upload the records as one MARC file, wait until staged, commit (unless told not to) and
    wait until committed; the batch as ``GET /api/v1/marc-batches/{id}`` shows it."""
    data = b"".join(r.as_marc() for r in records)
    headers = key or stack.staff
    if exchange_id is None:
        r = await stack.http.post(
            "/api/v1/marc-batches", files={"file": ("records.mrc", data)}, headers=headers
        )
    else:
        r = await stack.http.post(
            f"/api/v1/exchanges/{exchange_id}/marc",
            files={"file": ("records.mrc", data)},
            headers=headers,
        )
    assert r.status_code == 202, r.text
    url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch = await wait_for(stack.http, url, stack.staff, "state", STAGED_OR_DONE, timeout=60)
    assert batch["state"] != "failed", batch
    if commit and batch["state"] == "staged":
        r = await stack.http.post(f"{url}/commit", headers=stack.staff)
        assert r.status_code == 202, r.text
        batch = await wait_for(stack.http, url, stack.staff, "state", {"committed", "failed"})
        assert batch["state"] == "committed", batch
    return batch


async def shipped_to_us(
    stack: Stack, *quantities: int
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """A partner's exchange to us, accepted and shipped: (partner, its key, the exchange)."""
    http = stack.http
    partner, key = await register_partner(http, stack.staff, marc_format="marc21")
    r = await http.post("/api/v1/exchanges", json={"lines": lines(*quantities)}, headers=key)
    assert r.status_code == 201, r.text
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    accept = [{"line_id": line["id"], "quantity": line["quantity"]} for line in exchange["lines"]]
    r = await http.post(f"{url}/decision", json={"accept": accept}, headers=stack.staff)
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    assert r.status_code == 200 and r.json()["state"] == "shipped", r.text
    return partner, key, exchange


async def receive(stack: Stack, exchange: dict[str, Any]) -> None:
    """Staff record that every copy arrived."""
    received = [{"line_id": line["id"], "received": line["quantity"]} for line in exchange["lines"]]
    r = await stack.http.post(
        f"/api/v1/exchanges/{exchange['id']}/receipt",
        json={"lines": received},
        headers=stack.staff,
    )
    assert r.status_code == 200, r.text


async def record_ids(http: httpx.AsyncClient, staff: dict[str, str], title_word: str) -> list[int]:
    """The catalogue records whose title holds the word, oldest first."""
    r = await http.get("/api/v1/records", params={"q": title_word, "limit": 500}, headers=staff)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]
