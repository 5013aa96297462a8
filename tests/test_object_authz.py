"""A second partner's key, on every route and method of the OpenAPI document, against the
first partner's objects: never a success, never a leak. Routes a partner may use answer 404
(as if the object did not exist); routes no partner may use answer 403 whatever the object."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from tests.conftest import Stack
from tests.support import commit_batch, lines, marc_file, register_partner, wait_for

GHOSTS = {
    "exchange_id": "00000000-0000-4000-8000-000000000000",
    "batch_id": "00000000-0000-4000-8000-000000000001",
    "claim_no": "c999",
    "code": "NOSUCHLIB",
    "key_id": "000000000000",
    "address_id": "999999999",
    "contact_id": "999999999",
    "record_id": "999999999",
    "list_id": "00000000-0000-4000-8000-000000000002",
    "item_id": "999999999",
    "agreement_id": "999999999",
    "kind": "transfer-act",
    "year": "2031",
    "currency": "USD",
    "to_currency": "EUR",
    "serial_id": "999999999",
    "issue_id": "999999998",
    "dispatch_id": "999999997",
}


def _masked(body: dict[str, Any], ids: dict[str, str]) -> str:
    """The answer with the ids the caller sent taken out: what it tells beyond the request."""
    text = json.dumps({k: v for k, v in body.items() if k != "instance"}, sort_keys=True)
    for value in sorted(ids.values(), key=len, reverse=True):
        # Whole values only: a small row id ("3") must not eat into "403".
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<id>", text)
    return text


def _again(kwargs: dict[str, Any], upload: Path) -> dict[str, Any]:
    return {**kwargs, "files": {"file": upload.open("rb")}} if "files" in kwargs else kwargs


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def _body_for(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if not schema:
        return {}
    ref = schema.get("$ref", "")
    model = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    examples = model.get("examples") or []
    return dict(examples[0]) if examples else {}


async def test_second_partner_gets_nothing_of_the_first(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    a, key_a = await register_partner(http, staff)
    _b, key_b = await register_partner(http, staff)
    r = await http.post("/api/v1/exchanges", json={"lines": lines(2)}, headers=key_a)
    exchange = r.json()
    shipping = f"/api/v1/exchanges/{exchange['id']}"
    accept = {
        "accept": [
            {"line_id": line["id"], "quantity": line["quantity"]} for line in exchange["lines"]
        ]
    }
    assert (await http.post(f"{shipping}/decision", json=accept, headers=staff)).is_success
    shipped = await http.post(f"{shipping}/shipment", json={"carrier": "EMS"}, headers=key_a)
    assert shipped.is_success, shipped.text  # a partner uploads once it has shipped
    upload = marc_file(tmp_path / "a.mrc", 2)
    r = await http.post(
        f"/api/v1/exchanges/{exchange['id']}/marc",
        files={"file": upload.open("rb")},
        headers=key_a,
    )
    batch_id = r.json()["batch_id"]
    for _ in range(200):  # the exchange has taken the import into its history
        body = (await http.get(f"/api/v1/exchanges/{exchange['id']}", headers=key_a)).json()
        if any(h["step"] == "marc_staged" for h in body["history"]):
            break
        await asyncio.sleep(0.05)
    await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", {"staged"})
    await commit_batch(http, staff, batch_id)
    for _ in range(200):  # and the commit too, before A's exchange is taken as it stands
        body = (await http.get(f"/api/v1/exchanges/{exchange['id']}", headers=key_a)).json()
        if any(h["step"] == "marc_committed" for h in body["history"]):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the exchange never heard of the commit: {body['history']}")
    records = (await http.get("/api/v1/records", headers=key_a)).json()
    record_id = str(records["items"][0]["id"])
    keys = (await http.get("/api/v1/keys", headers=staff)).json()
    a_key_id = next(k["id"] for k in keys if k["partner"] == a["code"])
    kept = {}
    for kind, body in (
        ("addresses", {"lines": "Vozdvizhenka 3/5", "country": "RU"}),
        ("contacts", {"name": "Anna Ivanova", "email": "anna@rsl.example"}),
    ):
        r = await http.post(f"/api/v1/partners/{a['code']}/{kind}", json=body, headers=staff)
        assert r.status_code == 201, r.text
        kept[kind] = str(r.json()["id"])
    # An offer list addressed to A (and only to A), A's wish, A's agreement.
    r = await http.post(
        "/api/v1/deposits", json={"title": "Babad Tanah Jawi", "copies": 4}, headers=staff
    )
    assert r.status_code in (200, 201), r.text
    draft = {
        "title": "Duplicates for A",
        "partners": [a["code"]],
        "items": [{"fund_item_id": r.json()["id"], "copies": 1}],
    }
    r = await http.post("/api/v1/offer-lists", json=draft, headers=staff)
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    r = await http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=staff)
    assert r.status_code == 200, r.text
    wish = {"isbn": "978-979-407-408-4"}
    r = await http.post(f"/api/v1/partners/{a['code']}/wishlist", json=wish, headers=key_a)
    assert r.status_code == 201, r.text
    wish_id = str(r.json()["id"])
    agreements = (await http.get(f"/api/v1/partners/{a['code']}/agreements", headers=staff)).json()
    # A serial we send A, its first issue, and a dispatch of it.
    first_year = date.today().year - 1
    serial = {
        "issn": "0378-5955",
        "title": "Berita Perpustakaan",
        "direction": "outgoing",
        "frequency": {"issues_per_year": 4},
        "first_year": first_year,
    }
    r = await http.post(f"/api/v1/partners/{a['code']}/serials", json=serial, headers=staff)
    assert r.status_code == 201, r.text
    serial_id = r.json()["id"]
    r = await http.get(
        f"/api/v1/serials/{serial_id}/issues", params={"year": first_year}, headers=staff
    )
    issue_id = r.json()[0]["id"]
    r = await http.post(
        "/api/v1/serial-dispatches",
        json={"partner": a["code"], "issues": [issue_id]},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    dispatch_id = r.json()["id"]
    ids = {
        "list_id": list_id,
        "item_id": wish_id,
        "agreement_id": str(agreements[0]["id"]),
        "exchange_id": exchange["id"],
        "batch_id": batch_id,
        "claim_no": "c1",
        "code": a["code"],
        "key_id": a_key_id,
        "address_id": kept["addresses"],
        "contact_id": kept["contacts"],
        "record_id": record_id,
        "kind": "transfer-act",
        "year": "2031",
        "currency": "USD",
        "to_currency": "EUR",
        "serial_id": str(serial_id),
        "issue_id": str(issue_id),
        "dispatch_id": str(dispatch_id),
    }
    before = (await http.get(f"/api/v1/exchanges/{exchange['id']}", headers=key_a)).json()

    document = (await http.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        for method, operation in operations.items():
            url = _fill(path, ids)
            kwargs: dict[str, Any] = {}
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                kwargs["files"] = {"file": upload.open("rb")}
            elif method in ("post", "put", "patch"):
                kwargs["json"] = _body_for(operation, components)
            r = await http.request(method.upper(), url, headers=key_b, **kwargs)
            checked += 1
            assert r.status_code in (403, 404), f"{method.upper()} {path}: {r.status_code} {r.text}"
            assert r.headers["content-type"] == "application/problem+json"
            ghost = await http.request(
                method.upper(), _fill(path, GHOSTS), headers=key_b, **_again(kwargs, upload)
            )
            assert _masked(r.json(), ids) == _masked(ghost.json(), GHOSTS), (
                f"{method.upper()} {path}: A's object is told apart from a missing one"
            )
            if r.status_code == 403:
                # Staff-only: partner A is refused the same way on its own objects.
                own = await http.request(method.upper(), url, headers=key_a, **kwargs)
                assert own.status_code == 403, (
                    f"{method.upper()} {path} answers A {own.status_code}"
                )
    assert checked >= 15

    after = (await http.get(f"/api/v1/exchanges/{exchange['id']}", headers=key_a)).json()
    assert after == before, "nothing partner B tried changed A's exchange"
    listed = (await http.get("/api/v1/exchanges", headers=key_b)).json()
    assert exchange["id"] not in {item["id"] for item in listed["items"]}
