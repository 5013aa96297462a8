"""ISBN/ISSN check digits in the API, and resent copies taken out of the fund (issue 19,
item 9), over real HTTP with a real worker.

A deposit or an offered line with a wrong check digit is a 422 problem that names the field
and the digit expected; a good number is stored without its hyphens. A resend answering a
claim in one of our outgoing exchanges takes the copies out of the fund, and is refused while
the fund has none left.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Stack
from tests.support import isbn13, register_partner, wait_for
from tests.web_support import exchange_view


def _unique_isbn() -> str:
    """An ISBN-13 of our own (the fund adds a deposit of a known ISBN to its item), typed with
    hyphens as a cataloguer would."""
    number = isbn13(f"978602{uuid.uuid4().int % 10**6:06d}")
    return f"{number[:3]}-{number[3:6]}-{number[6:12]}-{number[12]}"


async def test_a_wrong_check_digit_is_a_422_naming_the_field(stack: Stack) -> None:
    r = await stack.http.post(
        "/api/v1/deposits",
        # The C Programming Language, 2nd ed., is 978-0-13-110362-7: the last digit mistyped.
        json={"title": "The C Programming Language", "isbn": "978-0-13-110362-1", "copies": 1},
        headers=stack.staff,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["detail"] == (
        "body.isbn: ISBN 9780131103621 ends in check digit 1, but its other digits give 7: "
        "please check the number"
    )
    assert problem["errors"][0]["loc"] == ["body", "isbn"]
    assert problem["errors"][0]["type"] == "isbn_check_digit"

    _, key = await register_partner(stack.http, stack.staff)
    offer = {
        "lines": [
            {"title": "Nature", "issn": "0028-0836", "quantity": 1},
            {"title": "Nature, again", "issn": "0028-0837", "quantity": 1},
        ]
    }
    r = await stack.http.post("/api/v1/exchanges", json=offer, headers=key)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "lines", 1, "issn"]
    assert "its other digits give 6" in r.json()["detail"]


async def test_numbers_are_stored_in_one_form(stack: Stack) -> None:
    _, key = await register_partner(stack.http, stack.staff)
    offer = {
        "lines": [
            {"title": "The C Programming Language", "isbn": "978-0-13-110362-7", "quantity": 1},
            {"title": "The Pragmatic Programmer", "isbn": "0 201 61622 x", "quantity": 1},
            {"title": "The Astrophysical Journal", "issn": "0004637x", "quantity": 1},
        ]
    }
    r = await stack.http.post("/api/v1/exchanges", json=offer, headers=key)
    assert r.status_code == 201, r.text
    stored = [(line["isbn"], line["issn"]) for line in r.json()["lines"]]
    assert stored == [("9780131103627", None), ("020161622X", None), (None, "0004-637X")]


async def _post(stack: Stack, path: str, body: dict[str, Any], key: dict[str, str]) -> Any:
    r = await stack.http.post(path, json=body, headers=key)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _fund_item(stack: Stack, isbn: str) -> dict[str, Any]:
    r = await stack.http.get(
        "/api/v1/fund", params={"isbn": isbn, "available_only": "false"}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    return dict(item)


async def test_a_resend_from_the_fund_takes_its_copies_out(stack: Stack) -> None:
    isbn = _unique_isbn()
    retention = stack.settings.retention_copies
    title = f"Sejarah Nasional Indonesia {isbn}"
    item = await _post(
        stack,
        "/api/v1/deposits",
        {"title": title, "isbn": isbn, "copies": retention + 1},
        stack.staff,
    )
    assert item["copies_available"] == 1
    partner, key = await register_partner(stack.http, stack.staff)
    exchange = await _post(
        stack,
        "/api/v1/exchanges",
        {
            "partner": partner["code"],
            "lines": [{"title": title, "record_id": item["id"], "quantity": 1}],
        },
        stack.staff,
    )
    url = f"/api/v1/exchanges/{exchange['id']}"
    (line,) = exchange["lines"]
    await _post(stack, f"{url}/decision", {"accept": [{"line_id": line["id"], "quantity": 1}]}, key)
    await _post(stack, f"{url}/shipment", {"carrier": "Pos Indonesia"}, stack.staff)
    receipt = {"lines": [{"line_id": line["id"], "received": 1, "damaged": 1}]}
    await _post(stack, f"{url}/receipt", receipt, key)
    (claim,) = (await exchange_view(stack, exchange["id"]))["claims"]
    assert (claim["kind"], claim["state"]) == ("damaged", "open")
    answer = f"{url}/claims/{claim['claim_no']}/answer"

    # The fund's last copy went in the parcel: nothing is left to resend.
    r = await stack.http.post(answer, json={"action": "resend"}, headers=stack.staff)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "/problems/insufficient-copies"
    assert "no copies of this publication left to resend" in problem["detail"]
    assert (problem["wanted"], problem["available"], problem["fund_item"]) == (1, 0, item["id"])
    after = await _fund_item(stack, isbn)
    assert (after["copies_shipped"], after["copies_reserved"]) == (1, 0)
    assert (await exchange_view(stack, exchange["id"]))["claims"][0]["state"] == "open"

    # A copy deposited since: the resend takes it.
    again = await _post(
        stack, "/api/v1/deposits", {"title": title, "isbn": isbn, "copies": 1}, stack.staff
    )
    assert again["id"] == item["id"] and again["copies_available"] == 1
    await _post(stack, answer, {"action": "resend", "note": "EMS again"}, stack.staff)
    after = await _fund_item(stack, isbn)
    assert (after["copies_shipped"], after["copies_reserved"], after["copies_available"]) == (
        2,
        0,
        0,
    )
    await _post(stack, f"{url}/claims/{claim['claim_no']}/confirm", {}, key)
    await wait_for(stack.http, url, stack.staff, "state", {"completed"})
    final = await _fund_item(stack, isbn)
    assert (final["copies_shipped"], final["copies_reserved"]) == (2, 0)  # taken once


async def test_a_written_off_claim_leaves_the_fund_alone(stack: Stack) -> None:
    isbn = _unique_isbn()
    title = f"Babad Tanah Jawi {isbn}"
    retention = stack.settings.retention_copies
    item = await _post(
        stack,
        "/api/v1/deposits",
        {"title": title, "isbn": isbn, "copies": retention + 3},
        stack.staff,
    )
    partner, key = await register_partner(stack.http, stack.staff)
    exchange = await _post(
        stack,
        "/api/v1/exchanges",
        {
            "partner": partner["code"],
            "lines": [{"title": title, "record_id": item["id"], "quantity": 2}],
        },
        stack.staff,
    )
    url = f"/api/v1/exchanges/{exchange['id']}"
    (line,) = exchange["lines"]
    await _post(stack, f"{url}/decision", {"accept": [{"line_id": line["id"], "quantity": 2}]}, key)
    await _post(stack, f"{url}/shipment", {"carrier": "EMS"}, stack.staff)
    await _post(stack, f"{url}/receipt", {"lines": [{"line_id": line["id"], "received": 1}]}, key)
    (claim,) = (await exchange_view(stack, exchange["id"]))["claims"]
    assert claim["kind"] == "missing"
    await _post(
        stack, f"{url}/claims/{claim['claim_no']}/answer", {"action": "write_off"}, stack.staff
    )
    await wait_for(stack.http, url, stack.staff, "state", {"completed"})
    final = await _fund_item(stack, isbn)
    assert (final["copies_shipped"], final["copies_reserved"], final["copies_available"]) == (
        2,
        0,
        1,
    )
