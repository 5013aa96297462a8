"""Who may upload MARC records where (issue 14), through the API and the pages.

With a partner's key, a MARC file was uploaded to one of *our outgoing* exchanges while it
was still proposed: 202, and the batch merged records, so our holdings went up for books we
never received; the portal showed the upload form on every exchange. A partner uploads only
to an exchange it sends, once shipped; staff cataloguers and admins anywhere; acquisitions
staff nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import bearer, build_record, lines, marc_file, register_partner, wait_for
from tests.web_support import csrf_of, flash_of, user_client

UPLOAD_FORM = 'enctype="multipart/form-data"'
ENDED = {"completed", "staged", "committed", "failed"}


def _file() -> bytes:
    data: bytes = build_record(1, title="Buku kiriman").as_marc()
    return data


async def _upload(
    http: httpx.AsyncClient, exchange_id: str, headers: dict[str, str], **params: str
) -> httpx.Response:
    return await http.post(
        f"/api/v1/exchanges/{exchange_id}/marc",
        params=params,
        files={"file": ("x.mrc", _file())},
        headers=headers,
    )


def _problem(r: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["type"] == f"/problems/{kind}", body
    assert r.headers["content-type"].startswith("application/problem+json")
    return body


async def _batches(stack: Stack, exchange_id: str) -> list[str]:
    r = await stack.http.get(f"/api/v1/exchanges/{exchange_id}", headers=stack.staff)
    batches: list[str] = r.json()["marc_batches"]
    return batches


async def test_a_partner_uploads_only_to_an_exchange_it_has_shipped(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    _other, other_key = await register_partner(http, staff)

    # Our outgoing exchange, still proposed: the partner is its recipient.
    body = {"partner": partner["code"], "lines": lines(1)}
    outgoing = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    for params in ({}, {"dry_run": "true"}):
        _problem(await _upload(http, outgoing["id"], key, **params), 409, "not-the-sender")
    _problem(await _upload(http, outgoing["id"], other_key), 404, "not-found")
    assert await _batches(stack, outgoing["id"]) == [], "a refused upload leaves no batch"

    # Its own exchange: only once it has shipped.
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    own = r.json()
    url = f"/api/v1/exchanges/{own['id']}"
    refused = _problem(await _upload(http, own["id"], key), 409, "exchange-not-shipped")
    assert refused["state"] == "proposed"
    accept = {"accept": [{"line_id": own["lines"][0]["id"], "quantity": 1}]}
    assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
    refused = _problem(await _upload(http, own["id"], key), 409, "exchange-not-shipped")
    assert refused["state"] == "accepted"
    _problem(await _upload(http, own["id"], other_key), 404, "not-found")
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    assert r.status_code == 200, r.text
    r = await _upload(http, own["id"], key)
    assert r.status_code == 202, r.text
    assert await _batches(stack, own["id"]) == [r.json()["batch_id"]]


async def test_cataloguers_upload_anywhere_and_acquisitions_nowhere(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff)

    async def key_of(role: str) -> dict[str, str]:
        r = await http.post("/api/v1/keys", json={"role": role}, headers=staff)
        assert r.status_code == 201, r.text
        return bearer(r.json()["key"])

    cataloguer, acquisitions = await key_of("cataloguer"), await key_of("acquisitions")
    body = {"partner": partner["code"], "lines": lines(1)}
    outgoing = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    _problem(await _upload(http, outgoing["id"], acquisitions), 403, "role-required")
    r = await http.post(
        "/api/v1/marc-batches", files={"file": ("x.mrc", _file())}, headers=acquisitions
    )
    _problem(r, 403, "role-required")
    assert (await _upload(http, outgoing["id"], cataloguer)).status_code == 202


async def test_the_portal_shows_the_upload_form_only_where_it_would_be_accepted(
    stack: Stack, tmp_path: Path
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    body = {"partner": partner["code"], "lines": lines(1)}
    outgoing = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    own = (await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)).json()

    async with user_client(stack, "partner", partner["code"]) as portal:
        for exchange in (outgoing, own):
            page = await portal.get(f"/partner/exchanges/{exchange['id']}")
            assert page.status_code == 200
            assert UPLOAD_FORM not in page.text, exchange["id"]
        # A post the page never offered is refused all the same, with the reason.
        page_url = f"/partner/exchanges/{outgoing['id']}"
        page = await portal.get(page_url)
        r = await portal.post(
            f"{page_url}/marc",
            data={"csrf_token": csrf_of(page.text), "mode": "import"},
            files={"file": ("x.mrc", _file(), "application/marc")},
        )
        assert r.status_code == 303 and r.headers["location"] == page_url
        assert flash_of(r).startswith("error:"), flash_of(r)
        assert await _batches(stack, outgoing["id"]) == []

        url = f"/api/v1/exchanges/{own['id']}"
        accept = {"accept": [{"line_id": own["lines"][0]["id"], "quantity": 1}]}
        assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
        assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)).is_success
        own_url = f"/partner/exchanges/{own['id']}"
        page = await portal.get(own_url)
        assert UPLOAD_FORM in page.text
        # The partner's own upload from the exchange page, with its report.
        upload = marc_file(tmp_path / "shipment.mrc", 3, broken_at={2})
        r = await portal.post(
            f"{own_url}/marc",
            data={"csrf_token": csrf_of(page.text), "mode": "import"},
            files={"file": ("shipment.mrc", upload.read_bytes(), "application/marc")},
        )
        assert r.status_code == 303, r.text
        report_url = r.headers["location"]
        assert report_url.startswith("/partner/batches/"), flash_of(r)
        batch_id = report_url.rsplit("/", 1)[-1]
        await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", ENDED)
        report = await portal.get(report_url)
        assert 'id="count-rejected">1<' in report.text
        assert await _batches(stack, own["id"]) == [batch_id]

    async with user_client(stack, "cataloguer") as desk:
        page = await desk.get(f"/exchanges/{outgoing['id']}")
        assert UPLOAD_FORM in page.text, "staff cataloguers upload to any exchange"
    async with user_client(stack, "acquisitions") as desk:
        page = await desk.get(f"/exchanges/{outgoing['id']}")
        assert UPLOAD_FORM not in page.text
