"""A partner's heading form (issue 13, item 22), through HTTP with a real worker and Temporal
on both databases.

The same small RUSMARC record, imported for a partner registered with ``heading_form="lc"``
and for one left at the default, is stored with its 702 as two different MARC 21 700s: the
Library of Congress's form, and the national form the Russian State Library writes (see
"Name headings" in docs/marc-crosswalk.md).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pymarc import Leader, Record, Subfield

import marc
from marc.record_parts import control_field, data_field, subfield
from tests.conftest import Stack
from tests.support import commit_batch, lines, register_partner, wait_for
from tests.test_api_access import assert_problem
from tests.web_support import csrf_of, user_client

NATIONAL_700 = [
    Subfield("a", "Паренаго, Михаил Алексеевич"),
    Subfield("d", "1780-1832"),
    Subfield("e", "пер."),
    Subfield("4", "trl"),
]
LC_700 = [
    Subfield("a", "Паренаго, М. А."),
    Subfield("q", "(Михаил Алексеевич),"),
    Subfield("d", "1780-1832"),
    Subfield("4", "trl"),
]


def _rusmarc_record() -> bytes:
    """A RUSMARC book catalogued in Russian with a translator in 702; its own 001 and title
    each time, so that no import merges into another's record or is proposed for review
    beside it (title, author and year are a review candidate)."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam0 2200000   450 ")
    record.add_field(
        control_field("001", f"RU/NLR/bibl/{uuid.uuid4().hex[:12]}"),
        data_field("100", " ", " ", [subfield("a", "20240115d2023    k  y0rusy50      ca")]),
        data_field(
            "200",
            "1",
            " ",
            [subfield("a", f"Путешествие из Петербурга в Москву {uuid.uuid4().hex[:8]}")],
        ),
        data_field(
            "702",
            " ",
            "1",
            [
                subfield("a", "Паренаго"),
                subfield("b", "М. А."),
                subfield("f", "1780-1832"),
                subfield("g", "Михаил Алексеевич"),
                subfield("4", "730"),
            ],
        ),
        data_field("801", " ", "0", [subfield("a", "RU"), subfield("b", "NLR")]),
    )
    data: bytes = record.as_marc()
    return data


async def _stored_700(stack: Stack, key: dict[str, str]) -> list[Subfield]:
    """Import the record into a new exchange of the partner; the stored record's 700."""
    http = stack.http
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    assert r.status_code == 201, r.text
    exchange = f"/api/v1/exchanges/{r.json()['id']}"
    accept = {"accept": [{"line_id": r.json()["lines"][0]["id"], "quantity": 1}]}
    assert (await http.post(f"{exchange}/decision", json=accept, headers=stack.staff)).is_success
    shipped = await http.post(f"{exchange}/shipment", json={"carrier": "EMS"}, headers=key)
    assert shipped.is_success, shipped.text  # a partner uploads once it has shipped
    url = f"{exchange}/marc"
    r = await http.post(url, files={"file": ("rusmarc.iso", _rusmarc_record())}, headers=key)
    assert r.status_code == 202, r.text
    batch_url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch: dict[str, Any] = await wait_for(http, batch_url, key, "state", {"staged", "failed"})
    assert batch["state"] == "staged" and batch["counts"]["created"] == 1, batch
    await commit_batch(http, stack.staff, batch["id"])  # the export is of the catalogue
    r = await http.get(f"{batch_url}/export", headers=key)
    assert r.status_code == 200, r.text
    record = marc.parse_marc21(r.content)
    assert record["245"]["a"].startswith("Путешествие из Петербурга в Москву")
    [added] = record.get_fields("700")
    return list(added.subfields)


async def test_the_partners_heading_form_decides_the_stored_headings(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    lc, lc_key = await register_partner(http, staff, marc_format="rusmarc", heading_form="lc")
    default, default_key = await register_partner(http, staff, marc_format="rusmarc")
    assert lc["heading_form"] == "lc" and default["heading_form"] is None

    assert await _stored_700(stack, lc_key) == LC_700
    assert await _stored_700(stack, default_key) == NATIONAL_700

    # An admin may change it (a partner may not); the next import follows.
    url = f"/api/v1/partners/{default['code']}"
    assert_problem(await http.patch(url, json={"heading_form": "lc"}, headers=default_key), 403)
    r = await http.patch(url, json={"heading_form": "lc"}, headers=staff)
    assert r.status_code == 200 and r.json()["heading_form"] == "lc", r.text
    assert await _stored_700(stack, default_key) == LC_700
    r = await http.patch(url, json={"heading_form": "national"}, headers=staff)
    assert r.json()["heading_form"] == "national"
    assert await _stored_700(stack, default_key) == NATIONAL_700

    body = assert_problem(await http.patch(url, json={"heading_form": "LC"}, headers=staff), 422)
    assert "'national'" in body["detail"] and "'lc'" in body["detail"], body


def _options(html: str, select_id: str, name: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}" name="{name}"[^>]*>(.*?)</select>', html)
    assert found, html
    return re.findall(r'<option value="([^"]*)"', found.group(1))


async def test_an_admin_registers_a_partners_character_set_and_heading_form_on_the_pages(
    stack: Stack,
) -> None:
    code = f"H{uuid.uuid4().hex[:6].upper()}"
    async with user_client(stack, "admin") as web:
        page = await web.get("/partners")
        assert _options(page.text, "p-encoding", "marc_encoding") == ["", *marc.TEXT_ENCODINGS]
        assert _options(page.text, "p-headings", "heading_form") == ["", *marc.HEADING_FORMS]
        assert 'id="p-encoding-help"' in page.text and 'id="p-headings-help"' in page.text
        r = await web.post(
            "/partners",
            data={
                "csrf_token": csrf_of(page.text),
                "code": code,
                "name": "Russian State Library",
                "country": "RU",
                "marc_format": "rusmarc",
                "marc_encoding": "koi8-r",
                "heading_form": "lc",
            },
        )
        assert r.status_code == 200, r.text
        r = await stack.http.get(f"/api/v1/partners/{code}", headers=stack.staff)
        registered = r.json()
        assert (registered["marc_encoding"], registered["heading_form"]) == ("koi8-r", "lc")
        page = await web.get(f"/partners/{code}")
        assert re.search(r'id="partner-encoding">KOI8-R<', page.text), page.text
        assert re.search(r'id="partner-heading-form">LC form<', page.text), page.text

        other = f"{code}D"
        page = await web.get("/partners")
        r = await web.post(
            "/partners",
            data={
                "csrf_token": csrf_of(page.text),
                "code": other,
                "name": "National Library of Belarus",
                "country": "BY",
                "marc_format": "rusmarc",
                "marc_encoding": "",
                "heading_form": "",
            },
        )
        assert r.status_code == 200, r.text
        page = await web.get(f"/partners/{other}")
        assert re.search(r'id="partner-encoding">told from each record<', page.text)
        assert re.search(r'id="partner-heading-form">the format&#39;s default<', page.text)
