"""Staged imports through the API with a real worker and Temporal, on both databases: an
upload is only staged (the catalogue does not change), decisions, the commit writes exactly
what the report proposed, the undo puts the catalogue back; an exchange is catalogued only
once a batch of it is committed."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pymarc
from pymarc import Field, Indicators, Subfield
from sqlalchemy import func
from sqlmodel import Session, select

from services.exchange.models import CatalogueRecord, RecordKey
from tests.conftest import Stack
from tests.support import bearer, build_record, isbn13, register_partner, wait_for

BROKEN = b"00042nam  2200025 a 4500\x1ebroken\x1d"


def _record(title: str, *isbns: str) -> bytes:
    """A record with its own control number and source (so only its ISBNs can match it)."""
    record = build_record(1, title=title)
    record.remove_fields("001")
    record.add_ordered_field(Field(tag="001", data=uuid.uuid4().hex[:16]))
    record.add_ordered_field(Field(tag="003", data="ID-TEST"))
    for isbn in isbns:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    data: bytes = record.as_marc()
    return data


def _isbns(count: int) -> list[str]:
    seed = uuid.uuid4().int
    return [isbn13(f"978{(seed + n) % 10**9:09d}") for n in range(count)]


async def _stage(
    stack: Stack,
    records: list[bytes],
    *,
    exchange_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    data = {"exchange_id": exchange_id} if exchange_id else {}
    r = await stack.http.post(
        "/api/v1/marc-batches",
        data=data,
        files={"file": ("batch.mrc", b"".join(records))},
        headers=headers or stack.staff,
    )
    assert r.status_code == 202, r.text
    url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch: dict[str, Any] = await wait_for(
        stack.http, url, stack.staff, "state", {"staged", "failed"}
    )
    assert batch["state"] == "staged", batch
    return batch


async def _commit(stack: Stack, batch_id: str) -> dict[str, Any]:
    url = f"/api/v1/marc-batches/{batch_id}"
    r = await stack.http.post(f"{url}/commit", headers=stack.staff)
    assert r.status_code == 202, r.text
    assert r.json()["state"] in ("committing", "committed")
    batch: dict[str, Any] = await wait_for(
        stack.http, url, stack.staff, "state", {"committed", "failed"}
    )
    assert batch["state"] == "committed", batch
    return batch


def _catalogue(stack: Stack) -> tuple[int, int, int]:
    """Records, match keys and copies in the whole catalogue."""
    with Session(stack.engine) as session:
        records, copies = session.exec(
            select(func.count(), func.coalesce(func.sum(CatalogueRecord.holdings), 0))
        ).one()
        keys = session.exec(select(func.count()).select_from(RecordKey)).one()
    return records, keys, copies


async def _key(stack: Stack, role: str) -> dict[str, str]:
    r = await stack.http.post("/api/v1/keys", json={"role": role}, headers=stack.staff)
    assert r.status_code == 201, r.text
    return bearer(r.json()["key"])


async def test_stage_decide_commit_and_undo(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    a, b, c, d, f = _isbns(5)
    seed = await _stage(stack, [_record("Seed a", a), _record("Seed b", b), _record("Seed f", f)])
    await _commit(stack, seed["id"])
    r = await http.get(f"/api/v1/marc-batches/{seed['id']}/outcomes.csv", headers=staff)
    ra, rb, rf = (int(row["record_id"]) for row in csv.DictReader(io.StringIO(r.text)))

    before = _catalogue(stack)
    records = [
        _record("Serat Centhini (reprint)", a),  # merge into seed a
        _record("Nagarakretagama", c),  # create
        _record("Nagarakretagama, again", c),  # a duplicate of record 2
        _record("Two books at once", b, f),  # a multi-match: seeds b and f
        BROKEN,  # rejected
        _record("Sutasoma", d),  # create
    ]
    batch = await _stage(stack, records)
    assert _catalogue(stack) == before, "staging changes nothing in the catalogue"
    url = f"/api/v1/marc-batches/{batch['id']}"
    assert batch["counts"] == {
        "created": 2,
        "merged": 1,
        "multi_matches": 1,
        "duplicates": 1,
        "rejected": 1,
        "encoding_suspects": 0,
    }
    assert (batch["unresolved"], batch["commit"], batch["undo"]) == (1, None, None)
    r = await http.get(f"{url}/outcomes.csv", headers=staff)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    proposed = ["merge", "create", "duplicate", "multi_match", "rejected", "create"]
    assert [row["outcome"] for row in rows] == proposed
    assert (rows[0]["record_id"], rows[0]["match_points"]) == (str(ra), "isbn")
    assert rows[3]["candidates"].split() == [str(x) for x in sorted((rb, rf))]

    r = await http.post(f"{url}/commit", headers=staff)
    assert r.status_code == 409, r.text
    assert (r.json()["type"], r.json()["unresolved"]) == ("/problems/unresolved-multi-matches", [4])
    pick = [{"position": 4, "action": "merge", "target_record_id": rb}]
    acquisitions = await _key(stack, "acquisitions")
    assert (await http.post(f"{url}/decisions", json=pick, headers=acquisitions)).status_code == 403
    bad = [{"position": 5, "action": "create"}]
    assert (await http.post(f"{url}/decisions", json=bad, headers=staff)).status_code == 422
    cataloguer = await _key(stack, "cataloguer")
    r = await http.post(f"{url}/decisions", json=pick, headers=cataloguer)
    assert (r.status_code, r.json()) == (200, {"changed": 1, "unresolved": 0})

    holdings_before = _catalogue(stack)[2]
    done = await _commit(stack, batch["id"])
    assert done["commit"]["counts"] == {
        "created": 2,
        "merged": 2,
        "replaced": 0,
        "ignored": 2,
        "skipped": 0,
    }
    assert done["commit"]["committed_through"] == 6 and done["commit"]["committed_at"]
    records_after, _, holdings_after = _catalogue(stack)
    assert records_after == before[0] + 2, "the two records the report proposed to create"
    assert holdings_after == holdings_before + 4, "two new copies, two merged"
    r = await http.get(f"{url}/outcomes.csv", headers=staff)
    applied = [row["applied"] for row in csv.DictReader(io.StringIO(r.text))]
    assert applied == ["merged", "created", "ignored", "merged", "ignored", "created"]
    r = await http.get(f"{url}/export", headers=staff)
    titles = [rec["245"]["a"] for rec in pymarc.MARCReader(r.content, to_unicode=True)]
    assert titles == ["Seed a", "Nagarakretagama", "Seed b", "Sutasoma"]
    late = await http.post(f"{url}/decisions", json=pick, headers=staff)
    assert late.status_code == 409, "decisions only while staged"
    assert (await http.post(f"{url}/commit", headers=staff)).status_code == 409

    r = await http.post(f"{url}/undo", headers=cataloguer)
    assert r.status_code == 202, r.text
    undone = await wait_for(http, url, staff, "state", {"undone", "failed"})
    assert undone["state"] == "undone", undone
    assert undone["undo"]["counts"] == {"removed": 2, "taken_back": 2, "restored": 0, "kept": 0}
    assert _catalogue(stack) == before, "records, keys and copies as before the commit"
    assert (await http.post(f"{url}/undo", headers=staff)).status_code == 409


async def test_rule_decisions_and_a_second_import_of_the_same_file(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    a, b = _isbns(2)
    records = [_record("Babad Tanah Jawi", a), _record("Pararaton", b)]
    first = await _stage(stack, records)
    assert first["counts"]["created"] == 2
    await _commit(stack, first["id"])
    before = _catalogue(stack)

    again = await _stage(stack, records)
    assert (again["counts"]["created"], again["counts"]["merged"]) == (0, 2)
    url = f"/api/v1/marc-batches/{again['id']}"
    rule = [{"rule": "merge:isbn", "action": "ignore"}]
    r = await http.post(f"{url}/decisions", json=rule, headers=staff)
    assert r.json()["changed"] == 2
    done = await _commit(stack, again["id"])
    assert done["commit"]["counts"]["ignored"] == 2
    assert _catalogue(stack) == before, "the same file again creates nothing"


async def test_an_exchange_is_catalogued_when_its_batch_is_committed(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff)
    (isbn,) = _isbns(1)
    body = {"lines": [{"title": "Kamus Dewan", "isbn": isbn, "quantity": 1}]}
    exchange = (await http.post("/api/v1/exchanges", json=body, headers=key)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    accept = {"accept": [{"line_id": line, "quantity": 1}]}
    assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
    assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)).is_success
    r = await http.post(
        f"{url}/marc", files={"file": ("parcel.mrc", _record("Kamus Dewan", isbn))}, headers=key
    )
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", {"staged"})
    receipt = {"lines": [{"line_id": line, "received": 1}]}
    r = await http.post(f"{url}/receipt", json=receipt, headers=staff)
    assert r.json()["state"] == "received", "staged records do not catalogue the exchange"
    steps = [h["step"] for h in (await http.get(url, headers=staff)).json()["history"]]
    assert "marc_staged" in steps and "catalogue" not in steps

    r = await http.post(f"/api/v1/marc-batches/{batch_id}/commit", headers=key)
    assert r.status_code == 403, "a partner does not commit"
    await _commit(stack, batch_id)
    done = await wait_for(http, url, staff, "state", {"completed"})
    steps = [h["step"] for h in done["history"]]
    assert steps.index("receive") < steps.index("marc_committed") < steps.index("catalogue")
    assert steps.index("catalogue") < steps.index("complete")
