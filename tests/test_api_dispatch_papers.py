"""A serial dispatch's papers over HTTP, with a real worker and Temporal on both databases: a
quarterly title we send a Russian library, valued per issue, three issues of it in a parcel.
Its packing list and transfer act in English, Russian and Bahasa Indonesia, their text read
back with pypdf (both addresses, each issue's title, ISSN, volume and number, the copies, the
parcel's number, the Russian headings); the draft's papers are staff's only; a parcel of a
title without value has no transfer act (409); another partner gets 404; the staff page and
the portal link to the papers and serve them.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdf

from tests.conftest import Stack
from tests.support import register_partner
from tests.test_api_access import assert_problem
from tests.web_support import user_client

YEAR = datetime.now(UTC).date().year - 2  # every issue of that year is due out
ADDRESS = {"lines": "Russian State Library\nVozdvizhenka 3/5\nMoscow 119019", "country": "RU"}
CONTACT = {
    "name": "Anna Ivanova",
    "email": "anna.ivanova@rsl.example",
    "language": "ru",
    "role": "Head of exchange",
}
HOME = "Perpustakaan Nasional Republik Indonesia"
TITLE = "Berita Perpustakaan Nasional"
PLAIN = "Warta Bibliografi"
HEADINGS = {
    "packing-list": {"en": "Packing list", "ru": "Упаковочный лист"},
    "transfer-act": {"en": "Transfer act", "ru": "Акт приёма-передачи"},
}
ISSUE = {"en": "vol. 12, no. {n}", "ru": "т. 12, № {n}"}


def _issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _text(data: bytes) -> str:
    """The PDF's text with its lines joined by spaces (a table cell may wrap)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def _title(stack: Stack, code: str, title: str, **fields: Any) -> dict[str, Any]:
    body = {
        "issn": _issn(),
        "title": title,
        "direction": "outgoing",
        "frequency": {"issues_per_year": 4},
        "numbering": {"volume_start": 12},
        "copies": 2,
        "first_year": YEAR,
        "claim_after_days": 30,
        **fields,
    }
    r = await stack.http.post(f"/api/v1/partners/{code}/serials", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def _dispatch(stack: Stack, code: str, serial_id: int, numbers: tuple[str, ...]) -> int:
    """A draft dispatch of these issues of the title's year ``YEAR``."""
    r = await stack.http.get(
        f"/api/v1/serials/{serial_id}/issues", params={"year": YEAR}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    ids = {i["numbers"]: i["id"] for i in r.json()}
    body = {"partner": code, "issues": [ids[n] for n in numbers]}
    r = await stack.http.post("/api/v1/serial-dispatches", json=body, headers=stack.staff)
    assert r.status_code == 201 and r.json()["state"] == "draft", r.text
    made: int = r.json()["id"]
    return made


async def _paper(
    http: httpx.AsyncClient, dispatch_id: int, key: dict[str, str], kind: str, lang: str
) -> str:
    r = await http.get(
        f"/api/v1/serial-dispatches/{dispatch_id}/documents/{kind}.pdf",
        params={"lang": lang},
        headers=key,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert f"-{kind}-{lang}.pdf" in r.headers["content-disposition"]
    return _text(r.content)


async def _partner(stack: Stack) -> tuple[dict[str, Any], dict[str, str]]:
    partner, key = await register_partner(stack.http, stack.staff, country="RU")
    code = partner["code"]
    for what, body in (("addresses", ADDRESS), ("contacts", CONTACT)):
        r = await stack.http.post(f"/api/v1/partners/{code}/{what}", json=body, headers=stack.staff)
        assert r.status_code == 201, r.text
    return partner, key


async def test_a_dispatchs_packing_list_and_transfer_act_in_three_languages(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await _partner(stack)
    code = partner["code"]
    valued = await _title(stack, code, TITLE, unit_value="3.00", currency="EUR")
    dispatch_id = await _dispatch(stack, code, valued["id"], ("1", "2", "3"))
    r = await http.get(f"/api/v1/serial-dispatches/{dispatch_id}", headers=staff)
    number = r.json()["number"]
    assert number.startswith("SD-"), number

    # A draft is our work: its papers are staff's, the partner does not see them yet.
    draft = await _paper(http, dispatch_id, staff, "packing-list", "en")
    assert number in draft and TITLE in draft
    r = await http.get(
        f"/api/v1/serial-dispatches/{dispatch_id}/documents/packing-list.pdf", headers=key
    )
    assert_problem(r, 404, "not-found")

    r = await http.post(f"/api/v1/serial-dispatches/{dispatch_id}/sent", json={}, headers=staff)
    assert r.status_code == 200 and r.json()["state"] == "sent", r.text

    for lang in ("en", "ru", "id"):
        for kind in ("packing-list", "transfer-act"):
            text = await _paper(http, dispatch_id, key, kind, lang)
            for expected in (
                number,
                HOME,
                partner["name"],
                "Vozdvizhenka 3/5",
                "Moscow 119019",
                TITLE,
                valued["issn"],
                str(YEAR),
            ):
                assert expected in text, (kind, lang, expected, text)
            if lang in ISSUE:
                for n in ("1", "2", "3"):
                    assert ISSUE[lang].format(n=n) in text, (kind, lang, n, text)
                assert HEADINGS[kind][lang] in text, (kind, lang, text)
        packing = await _paper(http, dispatch_id, staff, "packing-list", lang)
        assert " 2 " in packing and " 6" in packing, packing  # 2 copies each, 6 in all
        act = await _paper(http, dispatch_id, staff, "transfer-act", lang)
        for expected in ("3.00 EUR", "6.00 EUR", "18.00 EUR", "Anna Ivanova", "Head of exchange"):
            assert expected in act, (lang, expected, act)
    english = await _paper(http, dispatch_id, staff, "packing-list", "en")
    assert "Copies in all 6" in english and "Serials parcel" in english, english
    russian = await _paper(http, dispatch_id, key, "transfer-act", "ru")
    assert "Посылка с периодикой" in russian and "Общая стоимость" in russian, russian

    # A title we send without a value: its parcel has a packing list, no transfer act.
    plain = await _title(stack, code, PLAIN)
    bare = await _dispatch(stack, code, plain["id"], ("1",))
    text = await _paper(http, bare, staff, "packing-list", "en")
    assert PLAIN in text and plain["issn"] in text and "vol. 12, no. 1" in text, text
    r = await http.get(
        f"/api/v1/serial-dispatches/{bare}/documents/transfer-act.pdf", headers=staff
    )
    assert "value" in assert_problem(r, 409, "document-unavailable")["detail"]


async def test_another_partner_gets_404_and_the_pages_link_to_the_papers(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _ = await _partner(stack)
    code = partner["code"]
    valued = await _title(stack, code, TITLE, unit_value="3.00", currency="EUR")
    dispatch_id = await _dispatch(stack, code, valued["id"], ("1", "2"))
    r = await http.post(f"/api/v1/serial-dispatches/{dispatch_id}/sent", json={}, headers=staff)
    assert r.status_code == 200, r.text
    other, other_key = await register_partner(http, staff)

    for kind in ("packing-list", "transfer-act"):
        for target in (dispatch_id, 999_999_997):
            r = await http.get(
                f"/api/v1/serial-dispatches/{target}/documents/{kind}.pdf",
                params={"lang": "ru"},
                headers=other_key,
            )
            assert_problem(r, 404, "not-found")
    r = await http.get(
        f"/api/v1/serial-dispatches/{dispatch_id}/documents/customs.pdf", headers=staff
    )
    assert_problem(r, 404, "not-found")

    paths = (await http.get("/openapi.json")).json()["paths"]
    operation = paths["/api/v1/serial-dispatches/{dispatch_id}/documents/{kind}.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert "404" in operation["responses"]

    async with user_client(stack, "acquisitions") as web:
        page = await web.get(f"/serials/dispatches/{dispatch_id}")
        assert page.status_code == 200, page.text
        for kind in ("packing-list", "transfer-act"):
            for lang in ("en", "id", "ru"):
                link = f"/serials/dispatches/{dispatch_id}/documents/{kind}.pdf?lang={lang}"
                assert f'href="{link}"' in page.text, (kind, lang)
        r = await web.get(f"/serials/dispatches/{dispatch_id}/documents/packing-list.pdf?lang=id")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert valued["issn"] in _text(r.content)
    async with user_client(stack, "partner", code) as portal:
        page = await portal.get(f"/partner/serials/dispatches/{dispatch_id}")
        assert page.status_code == 200, page.text
        link = f"/partner/serials/dispatches/{dispatch_id}/documents/transfer-act.pdf?lang=ru"
        assert f'href="{link}"' in page.text, page.text
        r = await portal.get(link)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "Акт приёма-передачи" in _text(r.content)
    async with user_client(stack, "partner", other["code"]) as portal:
        r = await portal.get(
            f"/partner/serials/dispatches/{dispatch_id}/documents/packing-list.pdf"
        )
        assert r.status_code == 404
