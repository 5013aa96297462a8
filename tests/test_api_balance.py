"""Balance models over HTTP with the real worker and Temporal, on SQLite and PostgreSQL.

Real exchanges are completed through the API (ours on the partner's receipt, theirs once its
records are catalogued), then the partner's agreement changes model (the latest signed counts)
and the same ledger is read in each: pieces, titles, value (with a rate recorded for one
currency and none for another) and blanket. A proposal is previewed against the tolerance, the
exchange rates are recorded, changed and removed through their API, and a partner reads only
its own balance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.conftest import Stack
from tests.support import AGREEMENT, build_record, commit_batch, register_partner, wait_for

PROBLEM = "application/problem+json"
# Currencies no other test of the session records rates for (the database is shared).
VALUE_CURRENCY, RATED, UNRATED = "CHF", "SGD", "NOK"


async def _agree(stack: Stack, code: str, signed_on: str, **fields: Any) -> dict[str, Any]:
    body = {**AGREEMENT, "signed_on": signed_on, **fields}
    r = await stack.http.post(f"/api/v1/partners/{code}/agreements", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    agreement: dict[str, Any] = r.json()
    return agreement


async def _complete_outgoing(
    stack: Stack, code: str, key: dict[str, str], line_values: list[dict[str, Any]]
) -> dict[str, Any]:
    """We propose, they accept everything, we ship, they confirm receipt: completed."""
    http, staff = stack.http, stack.staff
    r = await http.post(
        "/api/v1/exchanges", json={"partner": code, "lines": line_values}, headers=staff
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    accept = [{"line_id": line["id"], "quantity": line["quantity"]} for line in r.json()["lines"]]
    r = await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    assert r.status_code == 200, r.text
    receipt = [{"line_id": q["line_id"], "received": q["quantity"]} for q in accept]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
    assert r.json()["state"] == "completed", r.text
    done: dict[str, Any] = r.json()
    return done


async def _complete_incoming(
    stack: Stack, key: dict[str, str], line_values: list[dict[str, Any]]
) -> None:
    """They propose, we accept, they ship, we receive everything and catalogue it: completed."""
    http, staff = stack.http, stack.staff
    r = await http.post("/api/v1/exchanges", json={"lines": line_values}, headers=key)
    assert r.status_code == 201, r.text
    url = f"/api/v1/exchanges/{r.json()['id']}"
    accept = [{"line_id": line["id"], "quantity": line["quantity"]} for line in r.json()["lines"]]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    receipt = [{"line_id": q["line_id"], "received": q["quantity"]} for q in accept]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    assert r.status_code == 200, r.text
    body = b"".join(build_record(n).as_marc() for n in range(1, len(line_values) + 1))
    r = await http.post(f"{url}/marc", files={"file": ("in.mrc", body)}, headers=key)
    assert r.status_code == 202, r.text
    batch = r.json()["batch_id"]
    await wait_for(http, f"/api/v1/marc-batches/{batch}", staff, "state", {"staged"})
    await commit_batch(http, staff, batch)
    await wait_for(http, url, staff, "state", {"completed"})


async def _balance(stack: Stack, code: str, headers: dict[str, str] | None = None) -> Any:
    r = await stack.http.get(
        f"/api/v1/partners/{code}/balance",
        params={"year": date.today().year},
        headers=headers or stack.staff,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _figures(balance: dict[str, Any], which: str) -> tuple[Decimal | None, ...]:
    f = balance[which]
    return tuple(None if f[k] is None else Decimal(f[k]) for k in ("sent", "received", "balance"))


async def test_each_model_reads_the_same_completed_exchanges(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    ours = [
        {
            "title": "Atlas Nasional",
            "quantity": 2,
            "unit_value": "10",
            "purchase_cost": "12.50",
            "currency": RATED,
            "language": "ind",
            "weight_grams": 900,
        },
        {"title": "Kamus", "quantity": 1, "unit_value": "20", "currency": VALUE_CURRENCY},
        {"title": "Peta", "quantity": 3},
    ]
    done = await _complete_outgoing(stack, code, key, ours)
    atlas = done["lines"][0]
    assert (atlas["purchase_cost"], atlas["language"], atlas["weight_grams"]) == (
        "12.50",
        "ind",
        900,
    )
    theirs = [
        {"title": "Letopis", "quantity": 1, "unit_value": "8", "currency": UNRATED},
        {"title": "Slovar", "quantity": 2, "unit_value": "5", "currency": VALUE_CURRENCY},
    ]
    await _complete_incoming(stack, key, theirs)

    # Pieces (the default agreement): copies, and the old fields as they were.
    pieces = await _balance(stack, code)
    assert (pieces["model"], pieces["unit"], pieces["tolerance"]) == ("pieces", "copies", None)
    assert _figures(pieces, "running") == (6, 3, 3) and _figures(pieces, "year_figures") == (
        6,
        3,
        3,
    )
    assert (pieces["balance_copies"], pieces["balance_titles"]) == (3, 1)
    assert pieces["within_tolerance"] is None
    # Bought to send: the purchase cost is kept apart from the declared value.
    sent = pieces["sent"]
    assert {c: Decimal(v) for c, v in sent["value"].items()} == {RATED: 20, VALUE_CURRENCY: 20}
    assert {c: Decimal(v) for c, v in sent["purchase_cost"].items()} == {RATED: Decimal("25")}
    assert pieces["received"]["purchase_cost"] == {}

    await _agree(stack, code, "2024-02-01", balance_model="titles", tolerance="0")
    titles = await _balance(stack, code)
    assert (titles["model"], titles["unit"], Decimal(titles["tolerance"])) == (
        "titles",
        "titles",
        0,
    )
    assert _figures(titles, "running") == (3, 2, 1) and titles["within_tolerance"] is False

    r = await http.post(
        f"/api/v1/partners/{code}/agreements",
        json={**AGREEMENT, "signed_on": "2024-03-01", "balance_model": "value"},
        headers=staff,
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    value_terms = {"balance_model": "value", "currency": VALUE_CURRENCY, "tolerance": "100"}
    agreement = await _agree(stack, code, "2024-03-01", **value_terms)
    assert (agreement["balance_model"], agreement["currency"]) == ("value", VALUE_CURRENCY)
    assert Decimal(agreement["tolerance"]) == 100
    unrated = await _balance(stack, code)
    assert (unrated["model"], unrated["unit"], unrated["currency"]) == (
        "value",
        "value",
        VALUE_CURRENCY,
    )
    assert _figures(unrated, "running") == (20, 10, 10)
    left_out = {c: Decimal(v) for c, v in unrated["running"]["unconverted"].items()}
    assert left_out == {RATED: 20, UNRATED: 8}

    year = date.today().year
    r = await http.put(
        f"/api/v1/exchange-rates/{year}/{RATED}/{VALUE_CURRENCY}",
        json={"rate": "0.6"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    value = await _balance(stack, code)
    assert _figures(value, "running") == (32, 10, 22)  # 20 SGD at 0.6 = 12 CHF, + 20 CHF
    assert {c: Decimal(v) for c, v in value["running"]["unconverted"].items()} == {UNRATED: 8}
    assert value["within_tolerance"] is True

    await _agree(stack, code, "2024-04-01", balance_model="blanket", tolerance="1")
    blanket = await _balance(stack, code)
    assert (blanket["model"], blanket["unit"], blanket["within_tolerance"]) == (
        "blanket",
        None,
        None,
    )
    assert _figures(blanket, "running") == (6, 3, None)

    # The partner reads its own balance, in the same model; another partner finds none.
    own = await _balance(stack, code, key)
    assert own["model"] == "blanket" and own["running"] == blanket["running"]
    _other, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/partners/{code}/balance", headers=other_key)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


async def test_a_proposal_past_the_tolerance_is_warned(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    await _complete_outgoing(stack, code, key, [{"title": "Babad", "quantity": 2}])
    await _agree(stack, code, "2024-02-01", balance_model="pieces", tolerance="4")
    # Under way, not in the ledger yet: the partner's offer of 1 copy.
    r = await http.post(
        "/api/v1/exchanges", json={"lines": [{"title": "Kniga", "quantity": 1}]}, headers=key
    )
    assert r.status_code == 201, r.text

    url = f"/api/v1/partners/{code}/balance/preview"
    past = {"direction": "outgoing", "lines": [{"title": "Serat", "quantity": 4}]}
    r = await http.post(url, json=past, headers=staff)
    assert r.status_code == 200, r.text
    warned = r.json()
    assert (warned["model"], warned["unit"], Decimal(warned["tolerance"])) == (
        "pieces",
        "copies",
        4,
    )
    assert [Decimal(warned[k]) for k in ("before", "effect", "after")] == [1, 4, 5]
    assert warned["warning"] is True and "past the tolerance" in warned["detail"]

    within = {"direction": "outgoing", "lines": [{"title": "Serat", "quantity": 3}]}
    r = await http.post(url, json=within, headers=staff)
    assert r.status_code == 200 and r.json()["warning"] is False
    assert Decimal(r.json()["after"]) == 4 and r.json()["detail"] is None
    assert (await _balance(stack, code))["running"]["balance"] in ("2", 2), (
        "a preview changes nothing"
    )

    r = await http.post(url, json=past, headers=key)
    assert r.status_code in (403, 404) and r.headers["content-type"] == PROBLEM
    r = await http.post(url, json={"direction": "outgoing", "lines": []}, headers=staff)
    assert r.status_code == 422
    r = await http.post("/api/v1/partners/NO-SUCH/balance/preview", json=past, headers=staff)
    assert r.status_code == 404


async def test_exchange_rates_are_recorded_changed_and_removed(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff)
    url = "/api/v1/exchange-rates/2031/NOK/CHF"
    for body, path in (
        ({"rate": "0"}, url),
        ({"rate": "-1"}, url),
        ({"rate": "abc"}, url),
        ({"rate": "1.5"}, "/api/v1/exchange-rates/2031/nok/CHF"),
        ({"rate": "1.5"}, "/api/v1/exchange-rates/1800/NOK/CHF"),
    ):
        r = await http.put(path, json=body, headers=staff)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, path)
    r = await http.put(url, json={"rate": "0.085"}, headers=key)
    assert r.status_code == 403
    r = await http.get("/api/v1/exchange-rates", headers=key)
    assert r.status_code == 403

    r = await http.put(url, json={"rate": "0.085"}, headers=staff)
    assert r.status_code == 200, r.text
    assert (r.json()["currency"], r.json()["to_currency"], Decimal(r.json()["rate"])) == (
        "NOK",
        "CHF",
        Decimal("0.085"),
    )
    r = await http.put(url, json={"rate": "0.09"}, headers=staff)
    assert r.status_code == 200 and Decimal(r.json()["rate"]) == Decimal("0.09")
    r = await http.get("/api/v1/exchange-rates", params={"year": 2031}, headers=staff)
    assert [(x["currency"], Decimal(x["rate"])) for x in r.json()] == [("NOK", Decimal("0.09"))]

    r = await http.delete(url, headers=staff)
    assert r.status_code == 204
    r = await http.delete(url, headers=staff)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    r = await http.get("/api/v1/exchange-rates", params={"year": 2031}, headers=staff)
    assert r.json() == []
    r = await http.get(
        "/api/v1/audit", params={"entity": "exchange_rate", "limit": 500}, headers=staff
    )
    assert r.status_code == 200, r.text
    actions = [e["action"] for e in r.json()["items"] if e["entity_key"] == "2031/NOK/CHF"]
    assert actions[:3] == ["deleted", "updated", "created"]

    paths = (await http.get("/openapi.json")).json()["paths"]
    assert {"get"} <= set(paths["/api/v1/exchange-rates"])
    assert {"put", "delete"} <= set(paths["/api/v1/exchange-rates/{year}/{currency}/{to_currency}"])
    assert "post" in paths["/api/v1/partners/{code}/balance/preview"]
