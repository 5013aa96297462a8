"""Serial exchanges over HTTP with the real worker and Temporal, on SQLite and PostgreSQL.

The centre of issue 16: a year of a monthly title a partner sends us (checked in by ISSN and
number, a skipped issue, a damaged copy, a duplicate, claims answered by the partner) and of a
quarterly title we send it (due out, a dispatch sent and confirmed, a claim the partner makes
and our staff answer, a receipt the partner confirms, then "no longer wanted"), both counted in
the partner's balance. The year run through is the year before last, so every issue of it is
due whatever today's date; the claims are the workflow's own activity (called here directly as
well, so the test does not wait on the run's timing: both are conditional UPDATEs). Around it:
what a partner may see, the refusals as problems, and every operation in the OpenAPI document.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from services.exchange.models import Notice
from services.exchange.service import serial_claims
from tests.conftest import Stack
from tests.support import register_partner

PROBLEM = "application/problem+json"
TODAY = datetime.now(UTC).date()
YEAR = TODAY.year - 2


def _issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


async def _register(stack: Stack, code: str, **fields: Any) -> dict[str, Any]:
    body = {
        "issn": _issn(),
        "title": "Vestnik Biblioteki",
        "direction": "incoming",
        "frequency": {"issues_per_year": 12},
        "first_year": YEAR,
        "claim_after_days": 30,
        **fields,
    }
    r = await stack.http.post(f"/api/v1/partners/{code}/serials", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def _issues(stack: Stack, serial_id: int, key: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = await stack.http.get(
        f"/api/v1/serials/{serial_id}/issues", params={"year": YEAR}, headers=key
    )
    assert r.status_code == 200, r.text
    return {i["numbers"]: i for i in r.json()}


async def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    return body


async def test_a_year_of_a_monthly_title_we_receive_and_a_quarterly_one_we_send(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]
    _, stranger = await register_partner(http, staff)

    # --- the monthly title the partner sends us -------------------------------------------
    monthly = await _register(stack, code, issn=_issn().replace("-", ""))
    sid = monthly["id"]
    assert "-" in monthly["issn"] and monthly["state"] == "active"
    issues = await _issues(stack, sid, staff)
    assert list(issues) == [str(n) for n in range(1, 13)]
    r = await http.patch(
        f"/api/v1/serials/{sid}/issues/{issues['6']['id']}", json={"skip": True}, headers=staff
    )
    assert r.status_code == 200 and r.json()["state"] == "skipped", r.text
    for number in ("1", "2", "3", "4", "5"):  # scanned at the desk: the ISSN and the number
        body = {"issn": monthly["issn"], "numbers": number, "year": YEAR}
        r = await http.post("/api/v1/serials/check-in", json=body, headers=staff)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == issues[number]["id"] and r.json()["state"] == "received"
    url = f"/api/v1/serials/{sid}/issues/{issues['7']['id']}/receipt"
    r = await http.post(url, json={"copies": 1, "damaged": 1}, headers=staff)
    assert r.status_code == 200 and r.json()["damaged"] == 1, r.text
    r = await http.post(url, json={"copies": 1, "duplicate": True}, headers=staff)
    assert r.status_code == 200 and r.json()["duplicates"] == 1, r.text
    # The partner does not check in what it sends; nobody else sees the title.
    assert (await http.post(url, json={"copies": 1}, headers=key)).status_code == 403
    await _problem(await http.get(f"/api/v1/serials/{sid}", headers=stranger), 404)
    await _problem(await http.post(url, json={"copies": 1}, headers=stranger), 404)
    r = await http.get("/api/v1/serials", headers=stranger)
    assert r.status_code == 200 and sid not in [t["id"] for t in r.json()]

    # The rest of the year is late: the workflow's claim activity claims it from the partner.
    serial_claims.claim_due_issues(stack.engine, sid, TODAY)
    issues = await _issues(stack, sid, key)
    assert {issues[n]["state"] for n in ("8", "9", "10", "11", "12")} == {"claimed"}
    with Session(stack.engine) as session:
        claims = session.scalars(
            select(Notice).where(col(Notice.serial_id) == sid, col(Notice.event) == "serial_claim")
        ).all()
        assert {n.party for n in claims} == {code}
        assert f"serial-claim:{issues['8']['id']}:1" in {n.key for n in claims}
    answer = f"/api/v1/serials/{sid}/issues/{issues['8']['id']}/claim-answer"
    r = await http.post(answer, json={"answer": "sent", "sent_on": TODAY.isoformat()}, headers=key)
    assert r.status_code == 200 and r.json()["state"] == "expected", r.text
    assert r.json()["answer"] == "sent"
    await _problem(await http.post(answer, json={"answer": "sent"}, headers=staff), 403)
    never = f"/api/v1/serials/{sid}/issues/{issues['10']['id']}/claim-answer"
    r = await http.post(never, json={"answer": "will_not_be_published"}, headers=key)
    assert r.status_code == 200 and r.json()["state"] == "skipped", r.text
    for number in ("8", "9", "11", "12"):
        body = {"issn": monthly["issn"], "numbers": number, "partner": code}
        r = await http.post("/api/v1/serials/check-in", json=body, headers=staff)
        assert r.status_code == 200 and r.json()["year"] == YEAR, r.text
    missing = {"issn": monthly["issn"], "numbers": "13", "year": YEAR}
    problem = await _problem(
        await http.post("/api/v1/serials/check-in", json=missing, headers=staff), 404
    )
    assert "13" in problem["detail"]

    # --- the quarterly title we send it ----------------------------------------------------
    quarterly = await _register(
        stack,
        code,
        direction="outgoing",
        frequency={"issues_per_year": 4},
        copies=2,
        unit_value="3.00",
        currency="EUR",
    )
    qid = quarterly["id"]
    ours = await _issues(stack, qid, staff)
    r = await http.get(f"/api/v1/partners/{code}/serials/due", headers=staff)
    assert r.status_code == 200, r.text
    due = {i["id"] for i in r.json()["issues"]}
    assert {i["id"] for i in ours.values()} <= due
    parcel = [ours[n]["id"] for n in ("1", "2", "3")]
    r = await http.post(
        "/api/v1/serial-dispatches", json={"partner": code, "issues": parcel}, headers=staff
    )
    assert r.status_code == 201 and r.json()["state"] == "draft", r.text
    dispatch = r.json()
    await _problem(await http.get(f"/api/v1/serial-dispatches/{dispatch['id']}", headers=key), 404)
    sent_url = f"/api/v1/serial-dispatches/{dispatch['id']}/sent"
    r = await http.post(sent_url, json={"sent_on": TODAY.isoformat()}, headers=staff)
    assert r.status_code == 200 and r.json()["state"] == "sent", r.text
    await _problem(await http.post(sent_url, headers=staff), 409)
    with Session(stack.engine) as session:
        told = session.scalars(
            select(Notice).where(col(Notice.key) == f"serial-dispatch:{dispatch['id']}:sent")
        ).one()
        assert told.party == code and told.event == "serial_dispatch"
    r = await http.get("/api/v1/serial-dispatches", headers=key)
    assert [d["id"] for d in r.json()] == [dispatch["id"]]
    r = await http.post(f"/api/v1/serial-dispatches/{dispatch['id']}/confirm", headers=key)
    assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text
    assert {i["state"] for i in r.json()["issues"]} == {"received"}
    # The fourth did not come: the partner claims it, our staff answer, then it arrives.
    fourth = ours["4"]["id"]
    r = await http.post(f"/api/v1/serials/{qid}/issues/{fourth}/claim", headers=key)
    assert r.status_code == 200 and r.json()["claims"] == 1, r.text
    await _problem(
        await http.post(f"/api/v1/serials/{qid}/issues/{fourth}/claim", headers=staff), 403
    )
    r = await http.post(
        f"/api/v1/serials/{qid}/issues/{fourth}/claim-answer",
        json={"answer": "sent", "sent_on": TODAY.isoformat(), "note": "sent again by post"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["answer_note"] == "sent again by post", r.text
    r = await http.post(
        f"/api/v1/serials/{qid}/issues/{fourth}/receipt", json={"copies": 2}, headers=key
    )
    assert r.status_code == 200 and r.json()["state"] == "received", r.text

    # --- both in the balance -------------------------------------------------------------
    r = await http.get(f"/api/v1/partners/{code}/balance", params={"year": YEAR}, headers=key)
    assert r.status_code == 200, r.text
    balance = r.json()
    # Received: issues 1-5, 7, 8, 9, 11, 12 (6 skipped, 10 never published), one copy each.
    assert balance["received"]["copies"] == 10 and balance["received"]["titles"] == 1
    assert balance["sent"]["copies"] == 8 and balance["sent"]["titles"] == 1
    assert balance["sent"]["value"] == {"EUR": "24.00"}

    # The partner no longer wants the quarterly title; staff confirm the monthly one.
    r = await http.post(f"/api/v1/serials/{qid}/end", json={"reason": "not_wanted"}, headers=key)
    assert r.status_code == 200 and r.json()["state"] == "ended", r.text
    await _problem(
        await http.post(f"/api/v1/serials/{qid}/end", json={"reason": "not_wanted"}, headers=key),
        409,
    )
    r = await http.post(
        f"/api/v1/serials/{sid}/review", json={"year": TODAY.year + 1}, headers=staff
    )
    assert r.status_code == 200 and r.json()["confirmed_year"] == TODAY.year + 1, r.text
    r = await http.get("/api/v1/serials", params={"partner": code}, headers=key)
    assert {t["id"]: t["state"] for t in r.json()} == {sid: "active", qid: "ended"}


async def test_refusals_are_problems_and_every_operation_is_documented(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _ = await register_partner(http, staff)
    code = partner["code"]
    base = {
        "issn": _issn(),
        "title": "Acta",
        "direction": "incoming",
        "frequency": {"issues_per_year": 4, "months": [3, 6]},
        "first_year": YEAR,
    }
    url = f"/api/v1/partners/{code}/serials"
    problem = await _problem(await http.post(url, json=base, headers=staff), 422)
    assert "2 months given for 4 issues a year" in problem["detail"]
    bad_issn = {**base, "issn": "1234-5678", "frequency": {"issues_per_year": 4}}
    await _problem(await http.post(url, json=bad_issn, headers=staff), 422)
    good = {**base, "frequency": {"issues_per_year": 4}}
    assert (await http.post(url, json=good, headers=staff)).status_code == 201
    await _problem(await http.post(url, json=good, headers=staff), 409)
    _, stranger = await register_partner(http, staff)
    await _problem(await http.post(url, json=good, headers=stranger), 404)
    r = await http.get("/openapi.json")
    paths = r.json()["paths"]
    wanted = {
        "/api/v1/partners/{code}/serials": {"post"},
        "/api/v1/partners/{code}/serials/due": {"get"},
        "/api/v1/serials": {"get"},
        "/api/v1/serials/check-in": {"post"},
        "/api/v1/serials/{serial_id}": {"get", "patch"},
        "/api/v1/serials/{serial_id}/end": {"post"},
        "/api/v1/serials/{serial_id}/review": {"post"},
        "/api/v1/serials/{serial_id}/issues": {"get", "post"},
        "/api/v1/serials/{serial_id}/issues/{issue_id}": {"patch"},
        "/api/v1/serials/{serial_id}/issues/{issue_id}/receipt": {"post"},
        "/api/v1/serials/{serial_id}/issues/{issue_id}/claim": {"post"},
        "/api/v1/serials/{serial_id}/issues/{issue_id}/claim-answer": {"post"},
        "/api/v1/serial-dispatches": {"get", "post"},
        "/api/v1/serial-dispatches/{dispatch_id}": {"get"},
        "/api/v1/serial-dispatches/{dispatch_id}/sent": {"post"},
        "/api/v1/serial-dispatches/{dispatch_id}/confirm": {"post"},
    }
    for path, methods in wanted.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            assert (
                "404" in paths[path][method]["responses"]
                or "422" in paths[path][method]["responses"]
            ), (path, method)


async def test_another_partner_gets_nothing_of_a_partners_serials(stack: Stack) -> None:
    """Partner B on every serial route with A's title, issue and dispatch: 404 as for ids that
    do not exist (the same answer once the ids are masked), or 403 for staff-only routes."""
    http, staff = stack.http, stack.staff
    a, key_a = await register_partner(http, staff)
    _, key_b = await register_partner(http, staff)
    title = await _register(
        stack, a["code"], direction="outgoing", frequency={"issues_per_year": 4}
    )
    issue = (await _issues(stack, title["id"], staff))["1"]
    r = await http.post(
        "/api/v1/serial-dispatches",
        json={"partner": a["code"], "issues": [issue["id"]]},
        headers=staff,
    )
    dispatch = r.json()
    assert (
        await http.post(f"/api/v1/serial-dispatches/{dispatch['id']}/sent", headers=staff)
    ).is_success
    ids = {
        "code": a["code"],
        "serial_id": str(title["id"]),
        "issue_id": str(issue["id"]),
        "dispatch_id": str(dispatch["id"]),
    }
    ghosts = {
        "code": "NOSUCHLIB",
        "serial_id": "999999999",
        "issue_id": "999999998",
        "dispatch_id": "999999997",
    }
    document = (await http.get("/openapi.json")).json()
    components = document["components"]["schemas"]

    def fill(path: str, values: dict[str, str]) -> str:
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path

    def masked(body: dict[str, Any], values: dict[str, str]) -> str:
        text = str(sorted((k, v) for k, v in body.items() if k != "instance"))
        for value in sorted(values.values(), key=len, reverse=True):
            # Whole values only: a small row id ("4") must not eat into "404".
            text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<id>", text)
        return text

    checked = 0
    for path, operations in document["paths"].items():
        if "serial" not in path or "{" not in path:
            continue
        for method, operation in operations.items():
            kwargs: dict[str, Any] = {}
            if method in ("post", "patch"):
                schema = (
                    operation.get("requestBody", {})
                    .get("content", {})
                    .get("application/json", {})
                    .get("schema", {})
                )
                ref = schema.get("$ref", "") or next(
                    (s.get("$ref", "") for s in schema.get("anyOf", []) if "$ref" in s), ""
                )
                model = components.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
                kwargs["json"] = dict((model.get("examples") or [{}])[0])
            r = await http.request(method.upper(), fill(path, ids), headers=key_b, **kwargs)
            ghost = await http.request(method.upper(), fill(path, ghosts), headers=key_b, **kwargs)
            checked += 1
            assert r.status_code in (403, 404), (method, path, r.status_code, r.text)
            assert r.headers["content-type"] == PROBLEM
            assert masked(r.json(), ids) == masked(ghost.json(), ghosts), (method, path)
            if r.status_code == 403:
                own = await http.request(method.upper(), fill(path, ids), headers=key_a, **kwargs)
                assert own.status_code == 403, (method, path, own.text)
    assert checked >= 14
    # Nothing B tried changed A's title or its dispatch.
    after = (await http.get(f"/api/v1/serials/{title['id']}", headers=key_a)).json()
    assert after["state"] == "active"
    r = await http.get(f"/api/v1/serial-dispatches/{dispatch['id']}", headers=key_a)
    assert r.json()["state"] == "sent"
