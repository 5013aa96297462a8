"""Helpers for tests that drive the service through its HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymarc import Field, Indicators, Record, Subfield
from temporalio.testing import WorkflowEnvironment


def build_record(n: int, title: str | None = None, isbn: str | None = None) -> Record:
    record = Record(leader="00000nam a2200000 a 4500", force_utf8=True)
    record.add_field(Field(tag="001", data=f"test{n:06d}"))
    record.add_field(Field(tag="008", data="261121s2026    io a          000 0 ind d"))
    if isbn:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", title or f"Buku nomor {n} /"), Subfield("c", "Perpusnas.")],
        )
    )
    return record


def marc_file(path: Path, count: int, broken_at: set[int] | None = None) -> Path:
    """Write ``count`` MARC 21 records; positions in ``broken_at`` (from 1) get a broken leader."""
    with path.open("wb") as out:
        for n in range(1, count + 1):
            data = build_record(n).as_marc()
            if broken_at and n in broken_at:
                data = b"XXXXX" + data[5:12] + b"ZZZZZ" + data[17:]
            out.write(data)
    return path


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


AGREEMENT: dict[str, Any] = {
    "signed_on": "2024-01-15",
    "valid_from": "2024-02-01",
    "valid_to": "2035-12-31",
    "programmes": ["material_exchange"],
    "response_days": 30,
    "receipt_days": 60,
    "yearly_quota": 500,
}


async def register_partner(
    http: httpx.AsyncClient,
    staff: dict[str, str],
    code: str | None = None,
    agreement: dict[str, Any] | None = AGREEMENT,
    **fields: Any,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A partner with its key and, unless ``agreement`` is None, a valid agreement."""
    code = code or f"P{uuid.uuid4().hex[:8].upper()}"
    body = {
        "code": code,
        "name": f"Partner library {code}",
        "country": "BY",
        "marc_format": "marc21",
        **fields,
    }
    r = await http.post("/api/v1/partners", json=body, headers=staff)
    assert r.status_code == 201, r.text
    partner = r.json()
    if agreement is not None:
        r = await http.post(f"/api/v1/partners/{code}/agreements", json=agreement, headers=staff)
        assert r.status_code == 201, r.text
    return partner, bearer(partner["api_key"])


def isbn13(first_twelve: str) -> str:
    """The ISBN-13 that starts with these twelve digits: its check digit added."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return first_twelve + str(-total % 10)


def lines(*quantities: int) -> list[dict[str, Any]]:
    """Lines with valid ISBNs, typed with hyphens as people do (978-602-0001-00-5)."""
    return [
        {
            "title": f"Judul {i}",
            "isbn": f"978-602-{i:04d}-00-{isbn13(f'978602{i:04d}00')[-1]}",
            "quantity": q,
        }
        for i, q in enumerate(quantities, start=1)
    ]


async def wait_for(
    http: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    key: str,
    values: set[str],
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Poll a resource until ``key`` takes one of ``values``; fail with the last body otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        r = await http.get(url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        if body.get(key) in values:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url}: {key} never became one of {values}; last: {body}")


async def commit_batch(
    http: httpx.AsyncClient,
    staff: dict[str, str],
    batch_id: str,
    multi_matches: str | None = "create",
) -> dict[str, Any]:
    """Commit a staged batch to the catalogue (an upload only stages it) and wait until it is
    committed; its report. Multi-matches are first decided ``multi_matches`` (a new record,
    by default): the session's database is shared, so records of other tests may look like
    this one's (the same 001, or title, author and year) and be proposed for review."""
    url = f"/api/v1/marc-batches/{batch_id}"
    if multi_matches is not None:
        rule = [{"rule": "multi_match", "action": multi_matches}]
        r = await http.post(f"{url}/decisions", json=rule, headers=staff)
        assert r.status_code == 200, r.text
    r = await http.post(f"{url}/commit", headers=staff)
    assert r.status_code == 202, r.text
    batch = await wait_for(http, url, staff, "state", {"committed", "failed"})
    assert batch["state"] == "committed", batch
    return batch


async def closing_day(env: WorkflowEnvironment, days: int) -> date:
    """``days`` ahead of both clocks: the API checks a day by the wall clock, the workflow's
    timers by the time-skipping test server's, which earlier tests have moved on."""
    server = (await env.get_current_time()).astimezone(UTC).date()
    return max(server, datetime.now(UTC).date()) + timedelta(days=days)
