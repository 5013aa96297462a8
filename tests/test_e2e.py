"""Whole exchanges through the HTTP API only, with a real worker and Temporal server,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pymarc

from tests.conftest import Stack
from tests.support import commit_batch, lines, marc_file, register_partner, wait_for


async def test_outgoing_exchange_from_proposal_to_completion(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    partner, partner_key = await register_partner(http, staff)

    r = await http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(3, 2, 1), "respond_by": "2026-12-31"},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    exchange = r.json()
    assert exchange["state"] == "proposed"
    assert exchange["sender"] == "PERPUSNAS"
    assert exchange["recipient"] == partner["code"]
    assert exchange["direction"] == "outgoing"
    assert [line["quantity"] for line in exchange["lines"]] == [3, 2, 1]
    url = f"/api/v1/exchanges/{exchange['id']}"
    first, second, _third = (line["id"] for line in exchange["lines"])

    # The partner sees it as incoming and accepts two lines, one with fewer copies.
    r = await http.get(url, headers=partner_key)
    assert r.json()["direction"] == "incoming"
    r = await http.post(
        f"{url}/decision",
        json={"accept": [{"line_id": first, "quantity": 2}, {"line_id": second, "quantity": 2}]},
        headers=partner_key,
    )
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["state"] == "accepted"
    assert [line["accepted_quantity"] for line in accepted["lines"]] == [2, 2, 0]

    r = await http.post(
        f"{url}/shipment",
        json={"carrier": "Pos Indonesia", "tracking": "EE123456789ID", "parcels": 1},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "shipped"
    assert r.json()["shipment"]["carrier"] == "Pos Indonesia"

    # We send the records of what we shipped; the partner downloads them.
    upload = marc_file(tmp_path / "sent.mrc", 4)
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=staff)
    assert r.status_code == 202, r.text
    batch = await wait_for(
        http, f"/api/v1/marc-batches/{r.json()['batch_id']}", partner_key, "state", {"staged"}
    )
    assert (batch["total"], batch["rejected"]) == (4, [])
    committed = await commit_batch(http, staff, batch["id"])
    assert committed["commit"]["counts"]["created"] + committed["commit"]["counts"]["merged"] == 4

    r = await http.post(
        f"{url}/receipt",
        json={"lines": [{"line_id": first, "received": 2}, {"line_id": second, "received": 1}]},
        headers=partner_key,
    )
    assert r.status_code == 200, r.text
    received = r.json()
    # One copy of the second line is missing: a claim we must answer before the end.
    assert received["state"] == "received"
    assert [(c["kind"], c["copies"], c["state"]) for c in received["claims"]] == [
        ("missing", 1, "open")
    ]
    claim_no = received["claims"][0]["claim_no"]
    r = await http.post(
        f"{url}/claims/{claim_no}/answer", json={"action": "write_off"}, headers=partner_key
    )
    assert r.status_code == 409, "only the sender answers claims"
    r = await http.post(
        f"{url}/claims/{claim_no}/answer",
        json={"action": "write_off", "note": "last copy"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "completed"
    assert done["claims"][0]["state"] == "written_off"
    assert [line["received"] for line in done["lines"]] == [2, 1, None]  # line 3 never accepted
    steps = [h["step"] for h in done["history"] if h["step"] != "notice"]
    # The import's own steps interleave with the partner's receipt; the lifecycle is ordered.
    assert [s for s in steps if not s.startswith("marc_")] == [
        "propose",
        "accept",
        "ship",
        "receive",
        "claim_answer",
        "complete",
    ]
    assert steps.index("marc_uploaded") < steps.index("marc_staged")
    assert steps.index("marc_staged") < steps.index("marc_committed")
    accept = next(h for h in done["history"] if h["step"] == "accept")
    assert accept["actor"] == partner["code"]
    notices = [h["note"] for h in done["history"] if h["step"] == "notice"]
    assert any(n.startswith("proposal notice for") for n in notices)
    assert any(n.startswith("marc_ready notice for") for n in notices)

    r = await http.get(f"{url}/marc", headers=partner_key)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/marc"
    titles = [rec["245"]["a"] for rec in pymarc.MARCReader(r.content, to_unicode=True)]
    assert titles == [f"Buku nomor {n} /" for n in range(1, 5)]

    r = await http.get(f"{url}/marc", params={"format": "marcxml"}, headers=partner_key)
    assert r.status_code == 200
    assert r.content.count(b"<record") == 4


async def test_incoming_exchange_ends_catalogued(stack: Stack, tmp_path: Path) -> None:
    http, staff = stack.http, stack.staff
    partner, partner_key = await register_partner(http, staff, marc_format="marc21")

    r = await http.post("/api/v1/exchanges", json={"lines": lines(1, 1)}, headers=partner_key)
    assert r.status_code == 201, r.text
    exchange = r.json()
    assert (exchange["sender"], exchange["recipient"]) == (partner["code"], "PERPUSNAS")
    assert exchange["direction"] == "outgoing"  # seen by the partner, who sends
    url = f"/api/v1/exchanges/{exchange['id']}"
    line_ids = [line["id"] for line in exchange["lines"]]

    r = await http.get(url, headers=staff)
    assert r.json()["direction"] == "incoming"
    r = await http.post(
        f"{url}/decision",
        json={"accept": [{"line_id": i, "quantity": 1} for i in line_ids]},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["state"] == "accepted", r.text
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=partner_key)
    assert r.status_code == 200 and r.json()["state"] == "shipped", r.text

    # The partner sends 12 records; the 5th and 9th are broken and must not stop the rest.
    upload = marc_file(tmp_path / "incoming.mrc", 12, broken_at={5, 9})
    r = await http.post(
        f"{url}/marc", files={"file": ("incoming.mrc", upload.read_bytes())}, headers=partner_key
    )
    assert r.status_code == 202, r.text
    batch_url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch = await wait_for(http, batch_url, staff, "state", {"staged"})
    assert batch["total"] == 12
    assert batch["imported"] + batch["counts"]["multi_matches"] == 10
    assert [rej["index"] for rej in batch["rejected"]] == [5, 9]
    assert all(rej["reason"] for rej in batch["rejected"])

    r = await http.post(
        f"{url}/receipt",
        json={"lines": [{"line_id": i, "received": 1} for i in line_ids]},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "received", "staged records do not catalogue it"
    committed = await commit_batch(http, staff, batch["id"])
    assert sum(committed["commit"]["counts"][k] for k in ("created", "merged")) == 10
    done = await wait_for(http, url, staff, "state", {"completed"})
    steps = [h["step"] for h in done["history"] if h["step"] != "notice"]
    assert "catalogue" in steps and steps[-1] == "complete"
    assert steps.index("marc_committed") < steps.index("catalogue")

    r = await http.get("/api/v1/records", params={"q": "Buku nomor"}, headers=staff)
    assert r.status_code == 200
    records = [rec for rec in r.json()["items"] if rec["exchange_id"] == exchange["id"]]
    assert len(records) == 10
    r = await http.get(f"{url}/marc", headers=staff)
    assert len(list(pymarc.MARCReader(r.content))) == 10


async def test_declined_exchange_ends(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, partner_key = await register_partner(http, staff)
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=partner_key)
    url = f"/api/v1/exchanges/{r.json()['id']}"
    r = await http.post(f"{url}/decision", json={"decline": "Already held"}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "declined"
    assert r.json()["decline_reason"] == "Already held"
    r = await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=partner_key)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert (await http.get(url, headers=staff)).json()["state"] == "declined"
