"""Cataloguing imports through the API: matching, merging, duplicates, dry run, reports; and
imports that cannot go on, which end failed with the reason instead of running for ever.
An upload is staged, then committed (``test_staged_import`` tests that pipeline itself).
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pymarc
import pytest
from pymarc import Field, Indicators, Subfield

import marc
from tests.conftest import Stack
from tests.import_faults import REFUSAL, outcomes_refused
from tests.support import build_record, commit_batch, lines, register_partner, wait_for
from tests.web_support import user_client
from workflows.exchange.types import workflow_id
from workflows.exchange.workflow import ExchangeWorkflow
from workflows.importing.workflow import ImportWorkflow, import_workflow_id


def _record(n: int, title: str, isbns: tuple[str, ...] = (), sysno: str | None = None) -> bytes:
    """A record with a 001 of its own: the stack's database is shared by the session, and a
    001 seen before (with no source) is proposed for review."""
    record = build_record(n, title=title)
    record.remove_fields("001")
    record.add_ordered_field(Field(tag="001", data=f"imp{uuid.uuid4().hex[:12]}"))
    for isbn in isbns:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    if sysno:
        record.add_field(
            Field(tag="035", indicators=Indicators(" ", " "), subfields=[Subfield("a", sysno)])
        )
    data: bytes = record.as_marc()
    return data


def _isbn13(seed: int) -> str:
    digits = f"978{seed % 10**9:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


async def _import(
    stack: Stack,
    records: list[bytes],
    *,
    dry_run: bool = False,
    exchange_id: str | None = None,
    headers: dict[str, str] | None = None,
    separator: bytes = b"",
    commit: bool = True,
) -> dict[str, Any]:
    """Upload and stage the records, then (unless a dry run, or told not to) commit them."""
    data: dict[str, str] = {"exchange_id": exchange_id} if exchange_id else {}
    r = await stack.http.post(
        "/api/v1/marc-batches",
        params={"dry_run": str(dry_run).lower()},
        data=data,
        files={"file": ("batch.mrc", separator.join(records))},
        headers=headers or stack.staff,
    )
    assert r.status_code == 202, r.text
    url = f"/api/v1/marc-batches/{r.json()['batch_id']}"
    batch: dict[str, Any] = await wait_for(
        stack.http, url, headers or stack.staff, "state", {"staged", "failed"}
    )
    if commit and not dry_run and batch["state"] == "staged":
        done = await commit_batch(stack.http, stack.staff, batch["id"])
        return done
    return batch


async def test_import_merges_detects_duplicates_and_leaves_multi_matches(stack: Stack) -> None:
    seed = uuid.uuid4().int
    a, b, c, d, e = (_isbn13(seed + k) for k in range(5))
    first = await _import(
        stack,
        [_record(1, "Serat Centhini", (a,)), _record(2, "Babad", (b,)), _record(3, "Kidung", (e,))],
    )
    assert first["counts"]["created"] == 3

    batch = [
        _record(1, "Serat Centhini (reprint)", (a,)),  # in the catalogue: merged
        _record(2, "Nagarakretagama", (c,)),  # new
        _record(3, "Nagarakretagama, again", (c,)),  # same file, same ISBN: duplicate
        _record(4, "Two books at once", (b, e)),  # two catalogue candidates: review
        b"00042nam  2200025 a 4500\x1ebroken\x1d",  # rejected, kept raw
        _record(6, "Sutasoma", (d,), sysno=f"(OCoLC){seed % 10**8}"),  # new
    ]
    dry = await _import(stack, batch, dry_run=True)
    real = await _import(stack, batch, commit=False)
    for report in (dry, real):
        assert report["state"] == "staged" and report["total"] == 6
        assert report["counts"] == {
            "created": 2,
            "merged": 1,
            "multi_matches": 1,
            "duplicates": 1,
            "rejected": 1,
            "encoding_suspects": 0,
        }, report["counts"]
    assert dry["dry_run"] and not real["dry_run"]
    assert [r["index"] for r in real["rejected"]] == [5]
    assert real["progress"]["processed"] == 6 and real["progress"]["expected_total"] == 6
    # The multi-match waits for a cataloguer: here, a new record after all.
    url = f"/api/v1/marc-batches/{real['id']}"
    decide = [{"position": 4, "action": "create"}]
    assert (await stack.http.post(f"{url}/decisions", json=decide, headers=stack.staff)).is_success
    real = await commit_batch(stack.http, stack.staff, real["id"])

    r = await stack.http.get(f"/api/v1/marc-batches/{real['id']}/outcomes.csv", headers=stack.staff)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["outcome"] for row in rows] == [
        "merge",
        "create",
        "duplicate",
        "multi_match",
        "rejected",
        "create",
    ]
    assert [row["applied"] for row in rows] == [
        "merged",
        "created",
        "ignored",
        "created",
        "ignored",
        "created",
    ]
    assert "record 2 of this file" in rows[2]["reason"]
    assert all(row["flags"] == "" for row in rows if row["outcome"] != "rejected")
    assert len(rows[3]["candidates"].split()) == 2
    r = await stack.http.get(f"/api/v1/marc-batches/{dry['id']}/outcomes.csv", headers=stack.staff)
    dry_rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["outcome"] for row in dry_rows][:2] == ["merge", "create"]
    assert {row["applied"] for row in dry_rows} == {""}, "a dry run is never committed"

    r = await stack.http.get(f"/api/v1/marc-batches/{real['id']}/rejected", headers=stack.staff)
    assert r.content == batch[4], "rejected records come back byte for byte"
    r = await stack.http.get(f"/api/v1/marc-batches/{real['id']}/export", headers=stack.staff)
    titles = [rec["245"]["a"] for rec in pymarc.MARCReader(r.content, to_unicode=True)]
    assert titles == ["Serat Centhini", "Nagarakretagama", "Two books at once", "Sutasoma"]
    r = await stack.http.get(
        f"/api/v1/marc-batches/{real['id']}/export",
        params={"format": "marcxml"},
        headers=stack.staff,
    )
    assert r.content.count(b"<record") == 4
    # The dry run wrote nothing to the catalogue.
    r = await stack.http.get("/api/v1/records", params={"isbn": c}, headers=stack.staff)
    assert r.json()["total"] == 1


async def test_exchange_batch_reports_lines_and_records_without_a_match(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff)
    isbn = _isbn13(uuid.uuid4().int)
    lines = [
        {"title": "Kamus Dewan", "isbn": isbn, "quantity": 1},
        {"title": "Война и мир", "author": "Толстой, Лев", "year": 2026, "quantity": 1},
        {"title": "Nothing sent for this line", "quantity": 1},
    ]
    exchange = (await http.post("/api/v1/exchanges", json={"lines": lines}, headers=key)).json()
    # A partner uploads the records of its parcel once it has shipped it.
    url = f"/api/v1/exchanges/{exchange['id']}"
    accept = {"accept": [{"line_id": line["id"], "quantity": 1} for line in exchange["lines"]]}
    assert (await http.post(f"{url}/decision", json=accept, headers=staff)).is_success
    assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)).is_success
    records = [
        _record(1, "Kamus dewan :", (f"{isbn[:3]}-{isbn[3:]}",)),
        _record(2, "ВОЙНА И МИР."),
        _record(3, "A record for no line"),
    ]
    batch = await _import(stack, records, dry_run=True, exchange_id=exchange["id"], headers=key)
    line_ids = [line["id"] for line in exchange["lines"]]
    assert batch["lines_without_record"] == [line_ids[2]]
    assert batch["records_without_line"] == 1
    r = await http.get(f"/api/v1/marc-batches/{batch['id']}/outcomes.csv", headers=key)
    matched = [row["line_id"] for row in csv.DictReader(io.StringIO(r.text))]
    assert matched == [line_ids[0], line_ids[1], ""]
    # A dry run leaves the exchange alone.
    again = (await http.get(f"/api/v1/exchanges/{exchange['id']}", headers=key)).json()
    assert again["marc_batches"] == [batch["id"]]
    assert "marc_uploaded" not in [h["step"] for h in again["history"]]


async def test_progress_is_a_temporal_query_too(stack: Stack, tmp_path: Path) -> None:
    batch = await _import(stack, [_record(n, f"Buku {n}") for n in range(1, 4)])
    handle = stack.client.get_workflow_handle(import_workflow_id(batch["id"]))
    progress = await handle.query(ImportWorkflow.progress)
    assert (progress.processed, progress.done) == (3, True)


async def test_partners_import_only_into_their_exchanges(stack: Stack) -> None:
    _partner, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post(
        "/api/v1/marc-batches", files={"file": ("x.mrc", _record(1, "x"))}, headers=key
    )
    assert r.status_code == 422
    rules = (await stack.http.get("/api/v1/match-rules", headers=key)).json()
    assert [p["point"] for p in rules["catalogue"]["points"]] == [
        "isbn",
        "issn",
        "system_number",
        "control_number",
        "control_number_only",
        "title_author_year",
    ]


async def test_the_import_command_shows_progress_and_the_report(
    stack: Stack, tmp_path: Path
) -> None:
    import asyncio
    import os
    import sys

    upload = tmp_path / "cli.mrc"
    upload.write_bytes(b"".join(_record(n, f"Majalah {n}") for n in range(1, 1201)))
    env = {
        **os.environ,
        "EXCHANGE_API_URL": stack.base_url,
        "EXCHANGE_API_KEY": stack.staff["Authorization"].removeprefix("Bearer "),
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "exchange"),
        "import",
        str(upload),
        "--dry-run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 0, text
    assert "(dry run)" in text
    assert "/1,200 records" in text and "[" in text
    assert "would be created 1,200" in text
    assert "outcomes.csv" in text


async def test_check_errors_are_reported_not_fatal(stack: Stack) -> None:
    record = build_record(1, title="Judul pertama")
    record.add_field(
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "Kedua")])
    )
    batch = await _import(stack, [record.as_marc()])
    assert batch["counts"]["created"] == 1
    r = await stack.http.get(
        f"/api/v1/marc-batches/{batch['id']}/outcomes.csv", headers=stack.staff
    )
    row = next(csv.DictReader(io.StringIO(r.text)))
    assert row["applied"] == "created" and "check 245" in row["flags"], row


def _json_record(n: int, title: str, isbn: str) -> bytes:
    record = build_record(n, title=title)
    record.add_field(
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
    )
    return marc.to_marcjson(record).encode()


async def test_a_marc_in_json_file_with_bytes_that_are_not_utf8_imports_the_rest(
    stack: Stack,
) -> None:
    """One byte that is not UTF-8 once left such a batch running for ever (its outcome could
    not be written); the record is rejected with where the byte is, the others imported."""
    seed = uuid.uuid4().int
    good = [_json_record(n, f"Hikayat {n}", _isbn13(seed + n)) for n in (1, 3)]
    in_a_tag = _json_record(2, "Babad", _isbn13(seed + 2)).replace(b'"245"', b'"2\xff5"')
    in_the_leader = _json_record(4, "Kidung", _isbn13(seed + 4)).replace(
        b'"leader":"0', b'"leader":"\xe9'
    )
    records = [good[0], in_a_tag, good[1], in_the_leader]

    batch = await _import(stack, records, separator=b"\n")

    assert (batch["state"], batch["format"], batch["total"]) == ("committed", "marcjson", 4)
    assert (batch["counts"]["created"], batch["counts"]["rejected"]) == (2, 2)
    assert [(r["index"], r["reason"]) for r in batch["rejected"]] == [
        (2, "the tag of field 3: byte 0xFF at position 1 is not valid UTF-8"),
        (4, "the leader: byte 0xE9 at position 0 is not valid UTF-8"),
    ]
    url = f"/api/v1/marc-batches/{batch['id']}"
    r = await stack.http.get(f"{url}/outcomes.csv", headers=stack.staff)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["outcome"] for row in rows] == ["create", "rejected", "create", "rejected"]
    r = await stack.http.get(f"{url}/rejected", headers=stack.staff)
    assert r.content == in_a_tag + in_the_leader, "rejected records come back byte for byte"
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(f"/batches/{batch['id']}")
    assert page.status_code == 200
    assert "the tag of field 3: byte 0xFF at position 1 is not valid UTF-8" in page.text


async def test_an_import_that_cannot_go_on_ends_failed_with_the_reason(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk the database refuses on every attempt (a trigger aborts its outcome rows):
    after its attempts (two here, ``EXCHANGE_IMPORT_CHUNK_ATTEMPTS``) the batch is failed."""
    monkeypatch.setattr(stack.settings, "import_chunk_attempts", 2)
    records = [_record(n, f"Unwritable {n}") for n in (1, 2, 3)]
    with outcomes_refused(stack.engine, "Unwritable"):
        batch = await _import(stack, records)

    assert batch["state"] == "failed" and batch["finished_at"] is not None
    assert batch["error"].startswith("the import stopped at record 1 after 2 attempts: ")
    assert REFUSAL in batch["error"] and "\n" not in batch["error"]
    assert (batch["total"], batch["imported"]) == (0, 0)
    handle = stack.client.get_workflow_handle_for(
        ImportWorkflow.run, import_workflow_id(batch["id"])
    )
    result = await handle.result()
    assert (result.state, result.error) == ("failed", batch["error"])
    async with user_client(stack, "cataloguer") as web:
        page = await web.get(f"/batches/{batch['id']}")
    assert page.status_code == 200
    assert 'data-state="failed"' in page.text and 'id="batch-error"' in page.text
    assert REFUSAL in page.text


async def test_an_exchange_goes_on_when_its_import_is_terminated(stack: Stack) -> None:
    """An operator ends an import that keeps failing: its batch ends failed with the reason,
    and the exchange, which waited for it, goes on to its end."""
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    body = {"partner": partner["code"], "lines": lines(1)}
    exchange = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    accept = {"accept": [{"line_id": line, "quantity": 1}]}
    assert (await http.post(f"{url}/decision", json=accept, headers=key)).is_success
    assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)).is_success
    upload = _record(1, "Unwritable and terminated")
    with outcomes_refused(stack.engine, "Unwritable"):
        r = await http.post(f"{url}/marc", files={"file": ("x.mrc", upload)}, headers=staff)
        assert r.status_code == 202, r.text
        batch_id = r.json()["batch_id"]
        child = stack.client.get_workflow_handle(import_workflow_id(batch_id))
        for _ in range(300):  # until the chunk is being retried
            pending = (await child.describe()).raw_description.pending_activities
            if pending and pending[0].attempt >= 2:
                break
            await asyncio.sleep(0.05)
        await child.terminate("an operator stopped it")

    batch = await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", {"failed"})
    assert batch["error"] == "the import did not finish: the import workflow was terminated"
    for _ in range(100):
        history = (await http.get(url, headers=staff)).json()["history"]
        if any(h["step"] == "marc_staged" for h in history):
            break
        await asyncio.sleep(0.05)
    [imported] = [h for h in history if h["step"] == "marc_staged"]
    assert imported["note"] == f"batch {batch_id} failed: {batch['error']}"
    receipt = {"lines": [{"line_id": line, "received": 1}]}
    assert (await http.post(f"{url}/receipt", json=receipt, headers=key)).is_success
    await wait_for(http, url, staff, "state", {"completed"})
    run = await stack.client.get_workflow_handle_for(
        ExchangeWorkflow.run, workflow_id(exchange["id"])
    ).result()
    assert run.state == "completed" and run.batches == [batch_id]
