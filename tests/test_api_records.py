"""``GET /api/v1/records/{id}`` over a real stack: JSON, MARC 21 and MARCXML, problems for what
is not there, and one rule for partners in the list and the record alike: the records of
their own exchanges, and in them only their own exchanges' history."""

from __future__ import annotations

import io

import pymarc

from tests.catalogue_support import (
    book,
    import_records,
    record_ids,
    shipped_to_us,
    tag,
    unique_isbn,
)
from tests.conftest import Stack

PROBLEM = "application/problem+json"


async def test_a_record_as_json_marc21_and_marcxml(stack: Stack) -> None:
    word = tag()
    isbn, compact = unique_isbn()
    partner, key, exchange = await shipped_to_us(stack, 1)
    batch = await import_records(
        stack,
        [book(f"Светильник {word}", isbn=isbn, author="Иванов, И. И.", control=f"c-{word}")],
        exchange_id=exchange["id"],
        key=key,
    )
    (record_id,) = await record_ids(stack.http, stack.staff, word)
    url = f"/api/v1/records/{record_id}"

    r = await stack.http.get(url, headers=stack.staff)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert (body["id"], body["isbn"], body["holdings"]) == (record_id, compact, 1)
    assert body["leader"][6:8] == "am"
    title = next(f for f in body["fields"] if f["tag"] == "245")
    assert title["ind1"] == "1" and title["subfields"][0] == {
        "code": "a",
        "value": f"Светильник {word} /",
    }
    control = next(f for f in body["fields"] if f["tag"] == "001")
    assert control["value"] == f"c-{word}" and control["subfields"] == []
    parts = {d["part"]: d["values"] for d in body["description"]}
    assert parts["title"] == [f"Светильник {word}"] and parts["authors"] == ["Иванов, И. И."]
    provenance = body["provenance"]
    assert provenance["batch_id"] == batch["id"]
    assert provenance["exchange_id"] == exchange["id"]
    assert provenance["exchange_number"] == exchange["number"]
    assert provenance["partner"]["code"] == partner["code"]
    assert [(h["action"], h["batch_id"], h["holdings"]) for h in body["history"]] == [
        ("imported", batch["id"], 1)
    ]

    r = await stack.http.get(url, params={"format": "marc21"}, headers=stack.staff)
    assert r.status_code == 200 and r.headers["content-type"] == "application/marc"
    (read,) = list(pymarc.MARCReader(r.content, to_unicode=True, force_utf8=True))
    assert read is not None and read["245"]["a"] == f"Светильник {word} /"
    assert read["020"]["a"] == isbn

    r = await stack.http.get(url, params={"format": "marcxml"}, headers=stack.staff)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/marcxml+xml")
    (parsed,) = pymarc.parse_xml_to_array(io.BytesIO(r.content))
    assert parsed["245"]["a"] == f"Светильник {word} /" and parsed["001"].data == f"c-{word}"


async def test_unknown_or_malformed_ids_are_problems(stack: Stack) -> None:
    r = await stack.http.get("/api/v1/records/2147483647", headers=stack.staff)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/problems/not-found"
    r = await stack.http.get(
        "/api/v1/records/2147483647", params={"format": "marc21"}, headers=stack.staff
    )
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    for bad in ("0", "abc", "2147483648"):
        r = await stack.http.get(f"/api/v1/records/{bad}", headers=stack.staff)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, bad
    r = await stack.http.get("/api/v1/records/1", params={"format": "pdf"}, headers=stack.staff)
    assert r.status_code == 422 and r.json()["type"] == "/problems/validation-error"
    assert (await stack.http.get("/api/v1/records/1")).status_code == 401


async def test_a_partner_sees_only_records_of_its_own_exchanges(stack: Stack) -> None:
    word = tag()
    isbn, _ = unique_isbn()
    # Ours first: a record no partner brought.
    await import_records(stack, [book(f"Ours {word}")])
    # Then the partner's parcel: a new record, and a copy of a record we catalogued before.
    await import_records(stack, [book(f"Shared {word}", isbn=isbn)])
    ours, shared = await record_ids(stack.http, stack.staff, word)
    _partner, key, exchange = await shipped_to_us(stack, 2)
    batch = await import_records(
        stack,
        [book(f"Theirs {word}"), book(f"Shared {word}", isbn=isbn)],
        exchange_id=exchange["id"],
        key=key,
    )
    _ours, _shared, theirs = await record_ids(stack.http, stack.staff, word)
    _other, other_key, _ = await shipped_to_us(stack, 1)

    # The list and the record, one rule.
    r = await stack.http.get("/api/v1/records", params={"q": word}, headers=key)
    assert r.status_code == 200
    assert sorted(item["id"] for item in r.json()["items"]) == sorted([shared, theirs])
    assert (await stack.http.get(f"/api/v1/records/{theirs}", headers=key)).status_code == 200
    r = await stack.http.get(f"/api/v1/records/{ours}", headers=key)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    r = await stack.http.get(f"/api/v1/records/{ours}", params={"format": "marc21"}, headers=key)
    assert r.status_code == 404

    # A record it added a copy to: only its own part of the story.
    r = await stack.http.get(f"/api/v1/records/{shared}", headers=key)
    assert r.status_code == 200
    seen = r.json()
    assert seen["holdings"] == 2
    assert [h["batch_id"] for h in seen["history"]] == [batch["id"]]
    assert seen["provenance"]["exchange_id"] is None and seen["provenance"]["batch_id"] is None

    # Another partner sees none of them.
    for record_id in (ours, shared, theirs):
        r = await stack.http.get(f"/api/v1/records/{record_id}", headers=other_key)
        assert r.status_code == 404, record_id
    r = await stack.http.get("/api/v1/records", params={"q": word}, headers=other_key)
    assert r.json()["total"] == 0
