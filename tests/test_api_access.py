"""Who may see and do what, and how refusals look (RFC 9457 problems, never a 500)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import bearer, lines, marc_file, register_partner

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["type"]
    if kind:
        assert body["type"] == f"/problems/{kind}"
    return body


async def test_health(stack: Stack) -> None:
    r = await stack.http.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_missing_or_unknown_key_is_401(stack: Stack) -> None:
    http = stack.http
    assert_problem(await http.get("/api/v1/exchanges"), 401, "unauthorized")
    r = await http.get("/api/v1/exchanges", headers=bearer("exk_nope_nope"))
    assert_problem(r, 401, "unauthorized")
    r = await http.get("/api/v1/exchanges", headers=bearer("not-a-key"))
    assert_problem(r, 401)


async def test_partner_key_cannot_reach_staff_routes(stack: Stack) -> None:
    _p, key = await register_partner(stack.http, stack.staff)
    assert_problem(await stack.http.get("/api/v1/partners", headers=key), 403, "staff-only")
    # Records are not a staff route: a partner lists those of its own exchanges (none yet).
    r = await stack.http.get("/api/v1/records", headers=key)
    assert r.status_code == 200 and r.json()["total"] == 0, r.text
    body = {"code": "EVIL", "name": "x", "country": "XX", "marc_format": "marc21"}
    r = await stack.http.post("/api/v1/partners", json=body, headers=key)
    assert_problem(r, 403)


async def test_other_partners_exchange_is_404_on_every_route(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    _a, key_a = await register_partner(http, staff)
    _b, key_b = await register_partner(http, staff)
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key_a)
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line_id = exchange["lines"][0]["id"]

    # Partner A ships and uploads the parcel's records, so that B can try to read them too.
    accept = {"accept": [{"line_id": line_id, "quantity": exchange["lines"][0]["quantity"]}]}
    assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
    assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key_a)).is_success
    upload = marc_file(tmp_path / "a.mrc", 2)
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=key_a)
    assert r.status_code == 202, r.text
    batch_url = f"/api/v1/marc-batches/{r.json()['batch_id']}"

    assert_problem(await http.get(url, headers=key_b), 404, "not-found")
    assert_problem(await http.get(f"{url}/marc", headers=key_b), 404)
    assert_problem(await http.get(batch_url, headers=key_b), 404)
    for path, body in (
        ("decision", {"accept": [{"line_id": line_id, "quantity": 1}]}),
        ("shipment", {"carrier": "EMS"}),
        ("receipt", {"lines": [{"line_id": line_id, "received": 1}]}),
    ):
        assert_problem(await http.post(f"{url}/{path}", json=body, headers=key_b), 404)
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=key_b)
    assert_problem(r, 404)
    listed = (await http.get("/api/v1/exchanges", headers=key_b)).json()
    assert exchange["id"] not in {item["id"] for item in listed["items"]}

    # Nothing B tried changed the exchange.
    r = await http.get(url, headers=key_a)
    assert r.json()["state"] == "shipped"
    assert (await http.get(batch_url, headers=key_a)).status_code == 200


async def test_wrong_side_and_wrong_state_are_409(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    r = await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(2)}, headers=staff
    )
    url = f"/api/v1/exchanges/{r.json()['id']}"
    line_id = r.json()["lines"][0]["id"]

    # We proposed, so only the partner decides.
    r = await http.post(f"{url}/decision", json={"decline": "no"}, headers=staff)
    body = assert_problem(r, 409, "not-your-turn")
    assert "recipient" in body["detail"]
    # Nothing was accepted, so nothing can ship.
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    body = assert_problem(r, 409, "invalid-transition")
    assert "proposed" in body["detail"]
    # Bad decisions are explained.
    r = await http.post(f"{url}/decision", json={"accept": []}, headers=key)
    assert_problem(r, 422, "invalid-step")
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line_id, "quantity": 3}]}, headers=key
    )
    assert "between 1 and the 2 offered" in assert_problem(r, 422)["detail"]
    r = await http.post(
        f"{url}/decision", json={"accept": [{"line_id": "nope", "quantity": 1}]}, headers=key
    )
    assert_problem(r, 422, "invalid-step")
    assert (await http.get(url, headers=staff)).json()["state"] == "proposed"


async def test_bad_requests_are_problems_not_500(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    cases = [
        ("/api/v1/exchanges", {"partner": partner["code"], "lines": []}),
        ("/api/v1/exchanges", {"partner": partner["code"], "lines": [{"title": "x"}]}),
        ("/api/v1/exchanges", {"lines": lines(1)}),
        ("/api/v1/exchanges", {"partner": "NOBODY", "lines": lines(1)}),
        (
            "/api/v1/exchanges",
            {"partner": partner["code"], "lines": lines(1), "state": "completed"},
        ),
        ("/api/v1/partners", {"code": "x", "name": "", "country": "indonesia"}),
    ]
    for path, body in cases:
        r = await http.post(path, json=body, headers=staff)
        assert_problem(r, 422)
    r = await http.post("/api/v1/exchanges", content=b"{not json", headers=staff)
    assert_problem(r, 422)
    assert_problem(await http.get("/api/v1/exchanges/unknown", headers=staff), 404)
    assert_problem(await http.get("/api/v1/marc-batches/unknown", headers=key), 404)
    assert_problem(await http.get("/api/v1/nowhere", headers=staff), 404)
    dup = {"code": partner["code"], "name": "Dup", "country": "BY", "marc_format": "marc21"}
    assert_problem(await http.post("/api/v1/partners", json=dup, headers=staff), 409)


async def test_upload_that_is_not_marc_is_refused(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    _p, key = await register_partner(http, staff)
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    url = f"/api/v1/exchanges/{r.json()['id']}"
    # Staff cataloguers upload to any exchange: the file itself is what is refused.
    r = await http.post(f"{url}/marc", files={"file": ("x.pdf", b"%PDF-1.7 hello")}, headers=staff)
    assert_problem(r, 422, "not-marc")
    assert (await http.get(url, headers=key)).json()["marc_batches"] == []


async def test_lists_filter_and_partners_listed(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=key)
    await http.post(
        "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(1)}, headers=staff
    )
    r = await http.get("/api/v1/exchanges", params={"partner": partner["code"]}, headers=staff)
    assert r.json()["total"] == 2
    r = await http.get(
        "/api/v1/exchanges",
        params={"partner": partner["code"], "direction": "incoming"},
        headers=staff,
    )
    assert [item["sender"] for item in r.json()["items"]] == [partner["code"]]
    r = await http.get("/api/v1/exchanges", params={"direction": "incoming"}, headers=key)
    assert [item["sender"] for item in r.json()["items"]] == ["PERPUSNAS"]
    # By code, every page (the session's database holds every test's partners).
    listed: dict[str, Any] = {}
    while True:
        params = {"limit": 500, "offset": len(listed)}
        page = (await http.get("/api/v1/partners", params=params, headers=staff)).json()
        listed |= {p["code"]: p for p in page["items"]}
        if not page["items"] or len(listed) >= page["total"]:
            break
    assert partner["code"] in listed and "api_key" not in listed[partner["code"]]


async def test_openapi_describes_the_whole_contract(stack: Stack) -> None:
    r = await stack.http.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    expected = {
        ("get", "/health"),
        ("post", "/api/v1/partners"),
        ("get", "/api/v1/partners"),
        ("post", "/api/v1/exchanges"),
        ("get", "/api/v1/exchanges"),
        ("get", "/api/v1/exchanges/{exchange_id}"),
        ("post", "/api/v1/exchanges/{exchange_id}/decision"),
        ("post", "/api/v1/exchanges/{exchange_id}/shipment"),
        ("post", "/api/v1/exchanges/{exchange_id}/receipt"),
        ("post", "/api/v1/exchanges/{exchange_id}/marc"),
        ("get", "/api/v1/exchanges/{exchange_id}/marc"),
        ("get", "/api/v1/marc-batches/{batch_id}"),
        ("get", "/api/v1/records"),
    }
    assert expected <= {(m, p) for p, ops in paths.items() for m in ops}
    assert (await stack.http.get("/docs")).status_code == 200


async def test_every_request_body_has_an_example(stack: Stack) -> None:
    document = (await stack.http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media, spec in content.items():
                ref = spec["schema"].get("$ref", "")
                schema = schemas[ref.rsplit("/", 1)[-1]] if ref else spec["schema"]
                if not (schema.get("examples") or spec.get("examples") or spec.get("example")):
                    missing.append(f"{method.upper()} {path} ({media})")
    assert not missing, missing


async def test_out_of_range_paging_is_a_422_not_a_500(stack: Stack) -> None:
    for path in ("/api/v1/exchanges", "/api/v1/records", "/api/v1/fund", "/api/v1/partners"):
        r = await stack.http.get(path, params={"offset": 2**63}, headers=stack.staff)
        assert r.status_code == 422, (path, r.text)
