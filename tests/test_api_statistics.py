"""The yearly statistics and report through the HTTP API, on SQLite and PostgreSQL, from
exchanges completed the real way (proposed, decided, shipped, received, catalogued).

``test_the_yearly_report_in_russian`` reads the Russian headings and title that the lead
merges into the catalogs from ``/tmp/strings/statistics.tsv``: it fails until then.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pypdf

from tests.conftest import Stack
from tests.support import build_record, commit_batch, lines, register_partner, wait_for
from tests.test_lifecycle import _complete_outgoing

YEARLY = "/api/v1/reports/yearly"


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


async def _incoming_with_a_write_off(stack: Stack, key: dict[str, str]) -> None:
    """Theirs: two titles in Russian offered, accepted; one copy never arrives and is
    written off; the records are catalogued, which completes it."""
    http, staff = stack.http, stack.staff
    offered = [{**line, "language": "rus"} for line in lines(2, 1)]
    incoming = (await http.post("/api/v1/exchanges", json={"lines": offered}, headers=key)).json()
    url = f"/api/v1/exchanges/{incoming['id']}"
    ids = [line["id"] for line in incoming["lines"]]
    accept = [{"line_id": i, "quantity": q} for i, q in zip(ids, (2, 1), strict=True)]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    r = await http.post(
        f"{url}/receipt", json={"lines": [{"line_id": ids[0], "received": 2}]}, headers=staff
    )
    claim = r.json()["claims"][0]["claim_no"]
    await http.post(f"{url}/claims/{claim}/answer", json={"action": "write_off"}, headers=key)
    body = b"".join(build_record(n).as_marc() for n in range(1, 3))
    r = await http.post(f"{url}/marc", files={"file": ("in.mrc", body)}, headers=key)
    assert r.status_code == 202, r.text
    batch = r.json()["batch_id"]
    await wait_for(http, f"/api/v1/marc-batches/{batch}", staff, "state", {"staged"})
    await commit_batch(http, staff, batch)
    await wait_for(http, url, staff, "state", {"completed"})


async def _outgoing_with_an_open_claim(stack: Stack, code: str, key: dict[str, str]) -> None:
    """Ours: shipped, but the partner reports a copy missing; the claim stays open."""
    http, staff = stack.http, stack.staff
    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": code, "lines": [{"title": "Peta", "quantity": 2}]},
        headers=staff,
    )
    url = f"/api/v1/exchanges/{r.json()['id']}"
    line = r.json()["lines"][0]["id"]
    await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 2}]}, headers=key
    )
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    r = await http.post(
        f"{url}/receipt", json={"lines": [{"line_id": line, "received": 1}]}, headers=key
    )
    assert [c["state"] for c in r.json()["claims"]] == ["open"], r.text


async def test_the_year_by_direction_material_language_and_value(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, name="Российская государственная библиотека")
    code = partner["code"]
    books = [
        {**line, "language": "ind", "unit_value": "150000", "currency": "IDR"}
        for line in lines(2, 1)
    ]
    serial = {"title": "Majalah Ilmiah", "issn": "0378-5955", "quantity": 3, "language": "ind"}
    await _complete_outgoing(stack, code, key, books)
    await _complete_outgoing(stack, code, key, [serial, {"title": "Peta", "quantity": 1}])
    await _incoming_with_a_write_off(stack, key)
    await _outgoing_with_an_open_claim(stack, code, key)
    year = date.today().year

    r = await http.get(YEARLY, params={"year": year, "partner": code}, headers=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    (row,) = body["partners"]
    assert (row["partner"], body["partner"], body["year"]) == (code, code, year)
    sent, received = row["sent"], row["received"]
    assert (sent["exchanges"], sent["titles"], sent["copies"]) == (2, 4, 7)
    assert sent["value"] == {"IDR": "450000.00"} or sent["value"] == {"IDR": "450000"}
    assert (received["exchanges"], received["titles"], received["copies"]) == (1, 1, 2)
    materials = {
        m["key"]: (m["sent"]["copies"], m["received"]["copies"]) for m in row["by_material"]
    }
    assert materials == {"book": (4, 2), "serial": (3, 0)}
    languages = [
        (x["key"], x["sent"]["copies"], x["received"]["copies"]) for x in row["by_language"]
    ]
    assert languages == [("ind", 6, 0), ("rus", 0, 2), ("und", 1, 0)]
    assert row["open_claims"] == 1
    assert row["losses"]["written_off_claims"] == 1 and row["losses"]["written_off_copies"] == 1
    assert row["years"][-1] == {"year": year, "sent": sent, "received": received}
    assert len(row["years"]) == 5 and body["first_year"] == year - 4
    assert row["balance"]["model"] == "pieces" and row["balance"]["running"]["balance"] == "5"
    assert row["balance_history"][-1]["balance"] == "5"
    assert row["balance_history"][-1]["quota"] == 500

    everyone = (await http.get(YEARLY, params={"year": year}, headers=staff)).json()
    mine: dict[str, Any] = next(p for p in everyone["partners"] if p["partner"] == code)
    assert mine["sent"] == sent and everyone["total"]["sent"]["copies"] >= 7

    r = await http.get(
        YEARLY, params={"year": year, "partner": code, "format": "csv"}, headers=staff
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="yearly-{year}-{code}-en.csv"' in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    first = table[0]
    assert (first["Partner"], first["Breakdown"], first["Copies sent"]) == (code, "All", "7")
    assert (first["Copies received"], first["Balance"], first["Open claims"]) == ("2", "5", "1")
    assert {t["Group"] for t in table if t["Breakdown"] == "Material"} == {"Books", "Serial issues"}

    r = await http.get(
        YEARLY, params={"year": year, "partner": code, "format": "pdf"}, headers=staff
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = _pdf_text(r.content)
    assert f"Yearly report on the exchange of publications, {year}" in text
    assert "UNESCO" in text and partner["name"] in text
    assert stack.settings.home_name in text and "Serial issues" in text


async def test_the_report_is_for_staff_only(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    r = await http.get(YEARLY, params={"partner": partner["code"]}, headers=key)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = await http.get(YEARLY, params={"partner": "NO-SUCH-PARTNER"}, headers=staff)
    assert r.status_code == 404
    r = await http.get(YEARLY, params={"format": "xls"}, headers=staff)
    assert r.status_code == 422
    assert (await http.get(YEARLY)).status_code == 401


async def test_the_yearly_report_in_russian(stack: Stack) -> None:
    """Needs the lead's merge of the new Russian strings into the catalogs."""
    http, staff = stack.http, stack.staff
    year = date.today().year
    params: dict[str, str | int] = {"year": year, "format": "csv", "lang": "ru"}
    r = await http.get(YEARLY, params=params, headers=staff)
    assert r.status_code == 200
    assert f'filename="yearly-{year}-ru.csv"' in r.headers["content-disposition"]
    header = next(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert header[:3] == ["Партнёр", "Библиотека-партнёр", "Страна"]
    assert "Отправлено экземпляров" in header and "Получено экземпляров" in header
    r = await http.get(YEARLY, params={**params, "format": "pdf"}, headers=staff)
    assert r.status_code == 200
    text = _pdf_text(r.content)
    assert f"Годовой отчёт об обмене изданиями за {year} год" in text
    assert "ЮНЕСКО" in text
