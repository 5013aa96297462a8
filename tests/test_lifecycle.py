"""The lifecycle rules, each through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import AGREEMENT, isbn13, lines, register_partner

PROBLEM = "application/problem+json"


async def _deposit(stack: Stack, copies: int, **fields: Any) -> dict[str, Any]:
    body = {"title": "Kamus Besar Bahasa Indonesia", "copies": copies, **fields}
    r = await stack.http.post("/api/v1/deposits", json=body, headers=stack.staff)
    assert r.status_code in (200, 201), r.text
    item: dict[str, Any] = r.json()
    return item


async def _fund_item(stack: Stack, item_id: int) -> dict[str, Any]:
    r = await stack.http.get(
        "/api/v1/fund", params={"available_only": False, "limit": 500}, headers=stack.staff
    )
    item: dict[str, Any] = next(i for i in r.json()["items"] if i["id"] == item_id)
    return item


async def _propose(stack: Stack, partner: str, fund_lines: list[tuple[int, int]]) -> httpx.Response:
    body = {
        "partner": partner,
        "lines": [
            {"title": f"Item {rid}", "record_id": rid, "quantity": q} for rid, q in fund_lines
        ],
    }
    return await stack.http.post("/api/v1/exchanges", json=body, headers=stack.staff)


# --- agreements ----------------------------------------------------------------------------


async def test_proposals_need_an_agreement_valid_today(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, agreement=None)
    code = partner["code"]
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=staff
    )
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/problems/no-agreement"
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    assert r.status_code == 409

    expired = {
        **AGREEMENT,
        "signed_on": "2018-12-01",
        "valid_from": "2019-01-01",
        "valid_to": "2021-12-31",
    }
    r = await http.post(f"/api/v1/partners/{code}/agreements", json=expired, headers=staff)
    assert r.status_code == 201 and r.json()["valid_today"] is False
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=staff
    )
    assert r.status_code == 409

    other_programme = {**AGREEMENT, "programmes": ["digital_exchange"]}
    await http.post(f"/api/v1/partners/{code}/agreements", json=other_programme, headers=staff)
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=staff
    )
    assert r.status_code == 409, "a digital-only agreement does not cover material exchange"

    valid = {**AGREEMENT, "response_days": 21}
    r = await http.post(f"/api/v1/partners/{code}/agreements", json=valid, headers=staff)
    assert r.status_code == 201 and r.json()["valid_today"] is True
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": lines(1)}, headers=staff
    )
    assert r.status_code == 201, r.text
    expected = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()
    assert r.json()["respond_by"] == expected, "respond_by defaults from the agreement"

    r = await http.get(f"/api/v1/partners/{code}/agreements", headers=key)
    assert [a["valid_today"] for a in r.json()] == [False, True, True]
    _other, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/partners/{code}/agreements", headers=other_key)
    assert r.status_code == 404
    backwards = {**AGREEMENT, "valid_from": "2030-01-01", "valid_to": "2029-01-01"}
    r = await http.post(f"/api/v1/partners/{code}/agreements", json=backwards, headers=staff)
    assert r.status_code == 422
    r = await http.post(f"/api/v1/partners/{code}/agreements", json=AGREEMENT, headers=key)
    assert r.status_code == 403


# --- the fund and reservations ------------------------------------------------------------


async def test_deposits_accumulate_and_keep_the_retained_copies(stack: Stack) -> None:
    isbn = isbn13(f"978{int(datetime.now(UTC).timestamp() * 1000) % 10**9:09d}")
    first = await _deposit(stack, 1, isbn=isbn)
    assert (first["copies_received"], first["copies_retained"], first["copies_available"]) == (
        1,
        1,
        0,
    )
    hyphenated = f"{isbn[:3]}-{isbn[3:6]}-{isbn[6:]}"
    again = await _deposit(stack, 4, isbn=hyphenated, title="KBBI (cetakan ulang)")
    assert again["id"] == first["id"], "the same ISBN adds copies to the same record"
    assert (again["copies_received"], again["copies_retained"], again["copies_available"]) == (
        5,
        2,
        3,
    )
    r = await stack.http.get("/api/v1/fund", params={"isbn": isbn}, headers=stack.staff)
    assert [i["id"] for i in r.json()["items"]] == [first["id"]]


async def test_reservations_follow_the_exchange(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    a = await _deposit(stack, 7)  # 5 available
    b = await _deposit(stack, 4)  # 2 available
    r = await _propose(stack, partner["code"], [(a["id"], 3), (b["id"], 2)])
    assert r.status_code == 201, r.text
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    assert (await _fund_item(stack, a["id"]))["copies_available"] == 2
    assert (await _fund_item(stack, b["id"]))["copies_available"] == 0

    r = await _propose(stack, partner["code"], [(b["id"], 1)])
    assert r.status_code == 409 and r.json()["type"] == "/problems/insufficient-copies"
    assert "0 available" in r.json()["detail"]
    r = await _propose(stack, partner["code"], [(10**9, 1)])
    assert r.status_code == 422 and r.json()["type"] == "/problems/unknown-fund-item"

    # The partner accepts 1 of the 3 copies of A and none of B: the rest goes back.
    line_a = exchange["lines"][0]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line_a, "quantity": 1}]}, headers=key
    )
    assert r.status_code == 200, r.text
    item_a, item_b = await _fund_item(stack, a["id"]), await _fund_item(stack, b["id"])
    assert (item_a["copies_reserved"], item_a["copies_available"]) == (1, 4)
    assert (item_b["copies_reserved"], item_b["copies_available"]) == (0, 2)

    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    assert r.status_code == 200, r.text
    item_a = await _fund_item(stack, a["id"])
    assert (item_a["copies_reserved"], item_a["copies_shipped"], item_a["copies_available"]) == (
        0,
        1,
        4,
    )


async def test_decline_and_cancel_release_reservations(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    item = await _deposit(stack, 6)  # 4 available
    declined = (await _propose(stack, partner["code"], [(item["id"], 2)])).json()
    cancelled = (await _propose(stack, partner["code"], [(item["id"], 2)])).json()
    assert (await _fund_item(stack, item["id"]))["copies_available"] == 0

    r = await http.post(
        f"/api/v1/exchanges/{declined['id']}/decision", json={"decline": "held"}, headers=key
    )
    assert r.status_code == 200 and r.json()["state"] == "declined"
    assert (await _fund_item(stack, item["id"]))["copies_available"] == 2

    # The partner may cancel too, before shipment, with a reason.
    url = f"/api/v1/exchanges/{cancelled['id']}"
    r = await http.post(f"{url}/cancel", json={"reason": ""}, headers=key)
    assert r.status_code == 422
    r = await http.post(f"{url}/cancel", json={"reason": "Budget year closed"}, headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" and r.json()["cancel_reason"] == "Budget year closed"
    assert (await _fund_item(stack, item["id"]))["copies_available"] == 4
    r = await http.post(f"{url}/cancel", json={"reason": "again"}, headers=staff)
    assert r.status_code == 409


async def test_no_cancellation_after_shipment(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff)
    exchange = (await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=staff
    )
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    r = await http.post(f"{url}/cancel", json={"reason": "changed our mind"}, headers=staff)
    assert r.status_code == 409 and "after it, claims and loss apply" in r.json()["detail"]


async def test_concurrent_proposals_never_reserve_the_same_copy(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _key = await register_partner(http, staff)
    item = await _deposit(stack, 5)  # 3 available
    results = await asyncio.gather(
        *(_propose(stack, partner["code"], [(item["id"], 1)]) for _ in range(12))
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 3 + [409] * 9, [r.text for r in results if r.status_code >= 500]
    fund_item = await _fund_item(stack, item["id"])
    assert (fund_item["copies_reserved"], fund_item["copies_available"]) == (3, 0)


# --- revision ------------------------------------------------------------------------------


async def test_sender_revises_an_undecided_proposal(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    item = await _deposit(stack, 5)  # 3 available
    exchange = (await _propose(stack, partner["code"], [(item["id"], 1)])).json()
    url = f"/api/v1/exchanges/{exchange['id']}"

    revision = {
        "lines": [
            {"title": "Item A", "record_id": item["id"], "quantity": 3},
            {"title": "Peta Nusantara", "quantity": 1},
        ]
    }
    r = await http.post(f"{url}/revision", json=revision, headers=key)
    assert r.status_code == 409, "only the sender revises"
    too_many = {"lines": [{"title": "Item A", "record_id": item["id"], "quantity": 4}]}
    r = await http.post(f"{url}/revision", json=too_many, headers=staff)
    assert r.status_code == 409 and r.json()["type"] == "/problems/insufficient-copies"
    assert (await _fund_item(stack, item["id"]))["copies_reserved"] == 1, "nothing changed"

    r = await http.post(f"{url}/revision", json=revision, headers=staff)
    assert r.status_code == 200, r.text
    revised = r.json()
    assert [(line["title"], line["quantity"]) for line in revised["lines"]] == [
        ("Item A", 3),
        ("Peta Nusantara", 1),
    ]
    assert "revise" in [h["step"] for h in revised["history"]]
    assert (await _fund_item(stack, item["id"]))["copies_reserved"] == 3

    # The partner decides on the revised lines, not the old ones.
    old_line = exchange["lines"][0]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": old_line, "quantity": 1}]}, headers=key
    )
    assert r.status_code == 422
    new_line = revised["lines"][1]["id"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": new_line, "quantity": 1}]}, headers=key
    )
    assert r.status_code == 200, r.text
    assert (await _fund_item(stack, item["id"]))["copies_reserved"] == 0
    r = await http.post(f"{url}/revision", json=revision, headers=staff)
    assert r.status_code == 409, "no revision after the decision"


# --- claims, ledger, balance, report -------------------------------------------------------


async def test_damaged_copies_are_resent_and_confirmed(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff)
    exchange = (
        await http.post("/api/v1/exchanges", json={"lines": lines(2, 1)}, headers=key)
    ).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    first, second = (line["id"] for line in exchange["lines"])
    accept = [{"line_id": first, "quantity": 2}, {"line_id": second, "quantity": 1}]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    receipt = [
        {"line_id": first, "received": 2, "damaged": 1},
        {"line_id": second, "received": 1},
    ]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    received = r.json()
    assert [(c["kind"], c["line_id"], c["copies"]) for c in received["claims"]] == [
        ("damaged", first, 1)
    ]
    claim = received["claims"][0]["claim_no"]
    r = await http.post(f"{url}/claims/{claim}/confirm", json={}, headers=staff)
    assert r.status_code == 409, "nothing was resent yet"
    r = await http.post(f"{url}/claims/{claim}/answer", json={"action": "resend"}, headers=key)
    assert r.status_code == 200 and r.json()["claims"][0]["state"] == "resent"
    r = await http.post(f"{url}/claims/{claim}/answer", json={"action": "resend"}, headers=key)
    assert r.status_code == 409
    r = await http.post(f"{url}/claims/{claim}/confirm", json={"note": "ok"}, headers=staff)
    assert r.status_code == 200, r.text
    resolved = r.json()
    assert resolved["claims"][0]["state"] == "resolved"
    # We are the recipient: the exchange waits for its MARC records to be catalogued.
    assert resolved["state"] == "received"
    r = await http.post(f"{url}/claims/nope/answer", json={"action": "resend"}, headers=key)
    assert r.status_code == 422


async def _complete_outgoing(
    stack: Stack, code: str, key: dict[str, str], line_values: list[dict[str, Any]]
) -> dict[str, Any]:
    http, staff = stack.http, stack.staff
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": line_values}, headers=staff
    )
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    accept = [{"line_id": line["id"], "quantity": line["quantity"]} for line in exchange["lines"]]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    receipt = [{"line_id": q["line_id"], "received": q["quantity"]} for q in accept]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
    assert r.json()["state"] == "completed", r.text
    done: dict[str, Any] = r.json()
    return done


async def test_completed_exchanges_fill_the_ledger_and_the_report(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    priced = [
        {"title": "Atlas", "quantity": 2, "unit_value": "150000", "currency": "IDR"},
        {"title": "Ensiklopedi", "quantity": 1, "unit_value": "250000", "currency": "IDR"},
    ]
    await _complete_outgoing(stack, code, key, priced)
    await _complete_outgoing(stack, code, key, [{"title": "Peta", "quantity": 4}])

    # One incoming exchange: 3 titles offered, 2 copies of one and 1 of another arrive.
    r = await http.post("/api/v1/exchanges", json={"lines": lines(2, 1, 1)}, headers=key)
    incoming = r.json()
    url = f"/api/v1/exchanges/{incoming['id']}"
    ids = [line["id"] for line in incoming["lines"]]
    accept = [{"line_id": i, "quantity": q} for i, q in zip(ids, (2, 1, 1), strict=True)]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    receipt = [{"line_id": ids[0], "received": 2}, {"line_id": ids[1], "received": 1}]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    claim = r.json()["claims"][0]["claim_no"]
    await http.post(f"{url}/claims/{claim}/answer", json={"action": "write_off"}, headers=key)
    # Cataloguing completes it: upload and import the shipment's records.
    from tests.support import build_record

    body = b"".join(build_record(n).as_marc() for n in range(1, 4))
    r = await http.post(f"{url}/marc", files={"file": ("in.mrc", body)}, headers=key)
    assert r.status_code == 202, r.text
    from tests.support import commit_batch, wait_for

    batch_url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    await wait_for(http, batch_url, staff, "state", {"staged"})
    await commit_batch(http, staff, r.json()["batch_id"])  # staged, then committed
    await wait_for(http, url, staff, "state", {"completed"})

    year = date.today().year
    r = await http.get(f"/api/v1/partners/{code}/balance", params={"year": year}, headers=staff)
    assert r.status_code == 200, r.text
    balance = r.json()
    assert balance["sent"] == {
        "exchanges": 2,
        "titles": 3,
        "copies": 7,
        "value": {"IDR": "550000.00"},
        "purchase_cost": {},
    }
    assert (balance["model"], balance["running"]["balance"]) == ("pieces", "4")
    assert balance["received"]["copies"] == 3 and balance["received"]["titles"] == 2
    assert (balance["balance_copies"], balance["balance_titles"]) == (4, 1)
    assert balance["quota"] == {"yearly": 500, "sent": 7, "received": 3}
    assert (await http.get(f"/api/v1/partners/{code}/balance", headers=key)).status_code == 200
    _other, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/partners/{code}/balance", headers=other_key)
    assert r.status_code == 404

    r = await http.get("/api/v1/reports/exchanges.csv", params={"year": year}, headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = [row for row in csv.DictReader(io.StringIO(r.text)) if row["partner"] == code]
    assert len(rows) == 2 + 1 + 3
    atlas = next(row for row in rows if row["title"] == "Atlas")
    assert (atlas["offered"], atlas["accepted"], atlas["received"]) == ("2", "2", "2")
    assert atlas["unit_value"] in ("150000.00", "150000") and atlas["currency"] == "IDR"
    assert r.text.splitlines()[0].startswith("exchange_id,partner,direction,state")
    r = await http.get("/api/v1/reports/exchanges.csv", headers=key)
    assert r.status_code == 403
