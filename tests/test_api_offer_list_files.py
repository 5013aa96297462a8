"""Offer lists as files over HTTP, with a real worker and Temporal on both databases: a CSV
uploaded to a draft of ours grows the fund and the list; the list comes out as CSV and as a
PDF (its text read back with pypdf) in English, Russian and Bahasa Indonesia; a partner's own
list comes from a MARC file; a partner gets 404 for a list not addressed to it.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pypdf
from pymarc import Field, Indicators, Record, Subfield

from tests.conftest import Stack
from tests.support import bearer, isbn13, register_partner
from tests.test_api_access import assert_problem
from tests.web_support import user_client


def _isbn() -> str:
    return isbn13(f"978{uuid.uuid4().int % 10**9:09d}")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


async def _acquisitions(stack: Stack) -> dict[str, str]:
    r = await stack.http.post(
        "/api/v1/keys", json={"role": "acquisitions", "label": "acq"}, headers=stack.staff
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["key"])


async def _fund_item(http: httpx.AsyncClient, staff: dict[str, str], isbn: str) -> dict[str, Any]:
    r = await http.get(
        "/api/v1/fund", params={"isbn": isbn, "available_only": "false"}, headers=staff
    )
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    return dict(item)


async def test_a_csv_makes_our_list_and_it_comes_out_as_csv_and_pdf(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    acquisitions = await _acquisitions(stack)
    addressed, key = await register_partner(http, staff)
    other, other_key = await register_partner(http, staff)
    tag = uuid.uuid4().hex[:6]
    isbn_a, isbn_b, isbn_c, isbn_d = _isbn(), _isbn(), _isbn(), _isbn()
    first = (
        "Author,Title,Edition,Place,Publisher,Year,Pages,ISBN,Language,Copies,Price,Currency\n"
        f"Toer,Bumi {tag},Cet. 2,Jakarta,Hasta Mitra,1980,353 p.,{isbn_a},ind,5,12.50,USD\n"
        f"Rosidi,Sastra {tag},,Bandung,Pustaka Jaya,1995,120 p.,{isbn_b},ind,4,,\n"
        f"Wirawan,Single {tag},,Jakarta,,2001,,{isbn_c},ind,1,,\n"  # retention keeps it
    ).encode()
    r = await http.post(
        "/api/v1/offer-lists/upload",
        data={"title": f"Duplicates {tag}", "partners": [addressed["code"]]},
        files={"file": ("duplicates.csv", first, "text/csv")},
        headers=acquisitions,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    offer_list = made["offer_list"]
    list_id = offer_list["id"]
    assert made["format"] == "csv" and made["lines"] == 3 and made["added"] == 2
    assert made["deposited_copies"] == 10
    assert [s["line"] for s in made["skipped"]] == [3] and "national" in made["skipped"][0][
        "reason"
    ]
    assert offer_list["state"] == "draft" and offer_list["direction"] == "outgoing"
    by_title = {i["title"]: i for i in offer_list["item_list"]}
    # The fund keeps the first two copies of each new publication; the rest are offered.
    assert by_title[f"Bumi {tag}"]["copies"] == 3 and by_title[f"Sastra {tag}"]["copies"] == 2
    assert by_title[f"Bumi {tag}"]["edition"] == "Cet. 2"
    assert by_title[f"Bumi {tag}"]["place"] == "Jakarta"
    assert by_title[f"Bumi {tag}"]["unit_value"] in ("12.50", "12.5", 12.5)
    fund_a = await _fund_item(http, staff, isbn_a)
    assert fund_a["copies_received"] == 5 and fund_a["copies_available"] == 3
    assert (await _fund_item(http, staff, isbn_c))["copies_retained"] == 1

    # A Russian spreadsheet (Windows-1251, semicolons) adds to the draft.
    second = (
        "Автор;Заглавие;Место;Издательство;Год;Страницы;ISBN;Язык;Экз.\r\n"
        f"Ковкель;История {tag};Минск;Вышэйшая школа;2000;590 с.;{isbn_d};rus;3\r\n"
    ).encode("cp1251")
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/items:upload",
        files={"file": ("list.csv", second, "text/csv")},
        headers=acquisitions,
    )
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and len(r.json()["offer_list"]["item_list"]) == 3

    # A bad row refuses the file: nothing deposited, nothing added.
    isbn_e = _isbn()
    bad = f"Title,ISBN,Year\nFine {tag},{isbn_e},2001\nBroken {tag},,in the spring\n".encode()
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/items:upload",
        files={"file": ("bad.csv", bad)},
        headers=acquisitions,
    )
    body = assert_problem(r, 422, "invalid-rows")
    assert body["errors"][0]["row"] == 3 and "year" in body["errors"][0]["reason"]
    r = await http.get("/api/v1/fund", params={"isbn": isbn_e}, headers=staff)
    assert r.json()["items"] == []

    r = await http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=acquisitions)
    assert r.status_code == 200, r.text
    number = r.json()["number"]
    assert number.startswith("OL-")

    # The addressed partner reads it as CSV (Russian headings, BOM, semicolons) ...
    r = await http.get(f"/api/v1/offer-lists/{list_id}.csv", params={"lang": "ru"}, headers=key)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{number}-ru.csv"' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert "Заглавие" in rows[0] and "Автор" in rows[0]
    copies = {row[rows[0].index("Заглавие")]: row[rows[0].index("Экземпляры")] for row in rows[1:]}
    assert copies == {f"Bumi {tag}": "3", f"Sastra {tag}": "2", f"История {tag}": "1"}

    # ... and as PDF in each language.
    r = await http.get(f"/api/v1/offer-lists/{list_id}.pdf", params={"lang": "ru"}, headers=key)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert f'filename="{number}-ru.pdf"' in r.headers["content-disposition"]
    text = _pdf_text(r.content)
    assert number in text and f"Duplicates {tag}" in text
    assert f"Bumi {tag}" in text and f"История {tag}" in text and "Hasta Mitra" in text
    assert "Заглавие" in text and "Автор" in text and "Экземпляры" in text
    assert stack.settings.home_name in text
    r = await http.get(f"/api/v1/offer-lists/{list_id}.pdf", params={"lang": "id"}, headers=key)
    text = _pdf_text(r.content)
    assert "Judul" in text and "Pengarang" in text and "Eksemplar" in text
    assert f"Sastra {tag}" in text
    r = await http.get(f"/api/v1/offer-lists/{list_id}.pdf", headers=key)
    text = _pdf_text(r.content)
    assert "Title" in text and "Copies" in text and "Price" in text, text
    assert "12.50 USD" in text, text

    # The desk and the portal link to the same files, with the session cookie.
    async with user_client(stack, "acquisitions") as desk:
        r = await desk.get(f"/offer-lists/{list_id}/list.pdf", params={"lang": "ru"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "Заглавие" in _pdf_text(r.content)
        r = await desk.get(f"/offer-lists/{list_id}/list.csv")  # the desk's language
        assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("No.,Author")
    async with user_client(stack, "partner", addressed["code"]) as portal:
        r = await portal.get(f"/partner/offer-lists/{list_id}/list.pdf")
        assert r.status_code == 200 and f"Bumi {tag}" in _pdf_text(r.content)
    async with user_client(stack, "partner", other["code"]) as portal:
        r = await portal.get(f"/partner/offer-lists/{list_id}/list.pdf")
        assert r.status_code == 404 and not r.content.startswith(b"%PDF")

    # A partner it is not addressed to, and a list that does not exist: 404 alike.
    for suffix in ("csv", "pdf"):
        assert_problem(
            await http.get(f"/api/v1/offer-lists/{list_id}.{suffix}", headers=other_key), 404
        )
        assert_problem(
            await http.get(f"/api/v1/offer-lists/{uuid.uuid4()}.{suffix}", headers=key), 404
        )
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/items:upload",
        files={"file": ("more.csv", first)},
        headers=acquisitions,
    )
    assert_problem(r, 409, "list-not-draft")
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/items:upload",
        files={"file": ("more.csv", first)},
        headers=other_key,
    )
    assert_problem(r, 404)


def _record(title: str, isbn: str) -> bytes:
    record = Record(leader="00000nam a2200000 i 4500", force_utf8=True)
    record.add_field(Field(tag="008", data="200101s2019    ru a          000 0 rus d"))
    record.add_field(
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
    )
    record.add_field(
        Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)])
    )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Минск :"), Subfield("b", "Беларусь,"), Subfield("c", "2019")],
        )
    )
    return bytes(record.as_marc())


async def test_a_partner_offers_its_duplicates_from_a_marc_file(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    tag = uuid.uuid4().hex[:6]
    broken = bytearray(_record("Сломанная", _isbn()))
    broken[0:5] = b"XXXXX"
    broken[12:17] = b"ZZZZZ"
    data = _record(f"Очерки {tag}", _isbn()) + bytes(broken) + _record(f"Сказки {tag}", _isbn())
    r = await http.post(
        "/api/v1/offer-lists/upload",
        data={"title": f"Дублеты {tag}"},
        files={"file": ("duplicates.mrc", data, "application/marc")},
        headers=key,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["format"] == "marc" and made["added"] == 2
    assert [x["position"] for x in made["rejected"]] == [2]
    offer_list = made["offer_list"]
    assert offer_list["direction"] == "incoming" and offer_list["state"] == "published"
    assert [i["title"] for i in offer_list["item_list"]] == [f"Очерки {tag}", f"Сказки {tag}"]
    assert offer_list["item_list"][0]["place"] == "Минск"

    # Our staff print it: the partner offers it, no "how to answer" (we select on the desk).
    r = await http.get(f"/api/v1/offer-lists/{offer_list['id']}.pdf", headers=staff)
    assert r.status_code == 200, r.text
    text = _pdf_text(r.content)
    assert partner["name"] in text and f"Очерки {tag}" in text
    assert "How to answer" not in text
    # Staff cannot add to a partner's list; the partner's list takes lines, not the fund.
    r = await http.post(
        f"/api/v1/offer-lists/{offer_list['id']}/items:upload",
        files={"file": ("x.csv", b"Title\nOne more\n")},
        headers=staff,
    )
    assert_problem(r, 403)
    r = await http.post(
        "/api/v1/offer-lists/upload",
        data={"title": "Nothing"},
        files={"file": ("x.txt", b"\x00\x01 not a list")},
        headers=key,
    )
    assert_problem(r, 422)
