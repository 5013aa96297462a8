"""Record workflow histories for the replay tests: ``python -m tests.record_histories [NAME...]``.

With no names it records only the scenarios that have no saved history yet (``make histories``).

Each scenario drives a real stack (dev server, worker, API over HTTP) and saves the exchange's
history, and where it names them the histories of its child workflows, to ``tests/histories``.
Record a new scenario when the workflow changes, with the code as it was BEFORE the change, and
commit the JSON: ``tests/test_replay.py`` then proves the changed code replays what the old code
wrote. Never re-record an old one; each is evidence of what some release did:

- ``exchange_incoming_catalogued``: before every patch (no deadlines, claims or notices; the MARC
  file imported by one ``import_marc_batch`` activity).
- ``exchange_lifecycle_claims``: with ``LIFECYCLE_PATCH`` only (its partner has no webhook).
- ``exchange_webhook_delivery``: notices to a partner's webhook, each delivered by a child
  workflow (``WEBHOOK_PATCH``); one delivery is saved as ``delivery_webhook_retried``.
- ``exchange_marc_import``: a MARC file imported by an import child workflow in chunks of two
  (``IMPORT_PATCH``); the child is saved as ``import_marc_chunks``.
- ``exchange_continued_as_new``: the run after a continue-as-new, whose input carries the
  state of the run before it in ``ExchangeInput.snapshot`` (the wire format of that state).
- ``import_batch_missing``: an import workflow for a batch that does not exist, recorded before
  ``CHUNK_FAILURE_PATCH``: its chunk activity's failure failed the workflow.
- ``exchange_import_terminated_failed``: an exchange whose import child (its chunk failing in the
  database on every attempt) an operator terminates, recorded before ``IMPORT_FAILURE_PATCH``:
  the exchange failed with its child.
- ``exchange_import_terminated_recorded``: the same with ``IMPORT_FAILURE_PATCH``: the batch
  ends failed with the reason, and the exchange goes on to complete.
- ``import_chunk_attempts_exhausted``: a standalone import whose chunk the database refuses on
  each of its two attempts (``import_chunk_attempts=2``), with ``CHUNK_FAILURE_PATCH``: the
  batch ends failed with the reason, recorded by ``fail_batch``.
- ``exchange_staged_commit``: with ``COMMIT_PATCH``: an incoming exchange's MARC file is only
  staged, the exchange stays ``received`` until a cataloguer commits the batch, whose commit
  workflow (saved as ``commit_exchange_batch``) signals it; then catalogued and completed.
- ``commit_standalone_batch``: a standalone batch staged, a multi-match resolved by a decision,
  committed in chunks of two, then undone (the undo saved as ``undo_standalone_batch``).
- ``delivery_webhook_and_emails``: with ``EMAIL_PATCH``: a proposal's notice delivered to a
  webhook that fails its first attempt and, beside it, e-mailed to the partner's contact
  through an SMTP server that refuses the first attempt (451).
- ``exchange_staff_notices``: with ``STAFF_NOTICE_PATCH``: the partner's decision and receipt
  each also make a notice to our staff, e-mailed to the department's mailbox by a delivery
  child of its own.
- ``offer_list_closed``: an ``OfferListWorkflow`` run on the time-skipping server: published to
  two partners (one submits a selection), its "closing soon" notices, then closed by its timer
  at the start of the day after its closing day, with its "closed" notices and their deliveries.
- ``serial_year_claimed``: a ``SerialExchangeWorkflow`` run on the time-skipping server over a
  whole year of a monthly incoming title: one issue received (its signal), the others claimed
  twice, the review reminder on 1 December, and the year closed unconfirmed (the title ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.protobuf.empty_pb2 import Empty
from pymarc import Field, Indicators, Subfield
from sqlmodel import Session, col, select
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import Notice
from services.exchange.service.commit import commit_workflow_id, undo_workflow_id
from tests.conftest import Stack, free_port, running_stack, temporal_cli
from tests.import_faults import outcomes_refused
from tests.smtp_server import SmtpServer
from tests.support import build_record, lines, marc_file, register_partner, wait_for
from tests.webhook_receiver import Receiver
from workflows.committing.types import BATCH_COMMITTED_SIGNAL
from workflows.delivery.workflow import delivery_workflow_id
from workflows.exchange.types import workflow_id
from workflows.importing.types import ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id
from workflows.offerlist.types import offer_list_workflow_id
from workflows.serial.types import serial_workflow_id

HISTORIES = Path(__file__).parent / "histories"


async def _incoming_catalogued(stack: Stack, data: Path) -> str:
    """Issue 2's walking skeleton: an incoming exchange ending catalogued."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="NLB")
    r = await http.post("/api/v1/exchanges", json={"lines": lines(2, 1)}, headers=key)
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    ids = [line["id"] for line in exchange["lines"]]
    accept = [{"line_id": ids[0], "quantity": 1}, {"line_id": ids[1], "quantity": 1}]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=key)
    upload = marc_file(data / "batch.mrc", 5, broken_at={2})
    await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=key)
    receipt = [{"line_id": i, "received": 1} for i in ids]
    await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    await wait_for(http, url, staff, "state", {"completed"})
    return str(exchange["id"])


async def _outgoing_with_claims(stack: Stack, data: Path) -> str:
    """The full lifecycle: revision, partial acceptance, a damaged copy resent and confirmed."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="RSL")
    r = await http.post(
        "/api/v1/exchanges", json={"partner": "RSL", "lines": lines(1)}, headers=staff
    )
    url = f"/api/v1/exchanges/{r.json()['id']}"
    r = await http.post(f"{url}/revision", json={"lines": lines(2, 3)}, headers=staff)
    ids = [line["id"] for line in r.json()["lines"]]
    accept = [{"line_id": ids[0], "quantity": 2}, {"line_id": ids[1], "quantity": 1}]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
    await http.post(f"{url}/shipment", json={"carrier": "Pos Indonesia"}, headers=staff)
    receipt = [{"line_id": ids[0], "received": 2, "damaged": 1}, {"line_id": ids[1], "received": 1}]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
    claim = r.json()["claims"][0]["claim_no"]
    await http.post(f"{url}/claims/{claim}/answer", json={"action": "resend"}, headers=staff)
    await http.post(f"{url}/claims/{claim}/confirm", json={}, headers=key)
    await wait_for(http, url, staff, "state", {"completed"})
    return url.rsplit("/", 1)[1]


async def _webhook_delivery(stack: Stack, data: Path) -> str:
    """An outgoing exchange whose partner has a webhook that fails each event's first attempt:
    the proposal, shipment and completion notices each start a delivery child workflow."""
    http, staff = stack.http, stack.staff
    receiver = Receiver(fail_first=1).start()
    try:
        _partner, key = await register_partner(http, staff, code="KB", webhook_url=receiver.url)
        r = await http.post(
            "/api/v1/exchanges", json={"partner": "KB", "lines": lines(2)}, headers=staff
        )
        exchange = r.json()
        url = f"/api/v1/exchanges/{exchange['id']}"
        line = exchange["lines"][0]["id"]
        accept = [{"line_id": line, "quantity": 2}]
        await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
        await http.post(f"{url}/shipment", json={"carrier": "DHL"}, headers=staff)
        receipt = [{"line_id": line, "received": 2}]
        await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
        await wait_for(http, url, staff, "state", {"completed"})
        for _ in range(600):  # let every delivery succeed before the stack goes away
            if len(receiver.accepted()) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(receiver.accepted()) == 3, receiver.accepted()
    finally:
        receiver.stop()
    return str(exchange["id"])


async def _marc_import(stack: Stack, data: Path) -> str:
    """An incoming exchange whose MARC file is imported by an import child workflow, in chunks
    of two records (the stack runs with ``import_chunk_size=2``), then catalogued."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="BNF")
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1, 2)}, headers=key)
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    ids = [line["id"] for line in exchange["lines"]]
    accept = [{"line_id": ids[0], "quantity": 1}, {"line_id": ids[1], "quantity": 2}]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "La Poste"}, headers=key)
    upload = marc_file(data / "batch.mrc", 5, broken_at={4})
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=key)
    assert r.status_code == 202, r.text
    receipt = [{"line_id": ids[0], "received": 1}, {"line_id": ids[1], "received": 2}]
    await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    await wait_for(http, url, staff, "state", {"completed"})
    return str(exchange["id"])


async def _continued_as_new(stack: Stack, data: Path) -> str:
    """Many claims written off one by one: the run continues as new, and the saved history is
    the later run's, whose input carries the first run's state as ``ExchangeInput.snapshot``."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="NDL")
    body = {"partner": "NDL", "lines": [{"title": f"Vol. {n}", "quantity": 2} for n in range(120)]}
    exchange = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    ids = [line["id"] for line in exchange["lines"]]
    accept = [{"line_id": i, "quantity": 2} for i in ids]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
    await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)
    receipt = [{"line_id": i, "received": 2, "damaged": 1} for i in ids]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
    for claim in r.json()["claims"]:
        no = claim["claim_no"]
        await http.post(f"{url}/claims/{no}/answer", json={"action": "write_off"}, headers=staff)
    await wait_for(http, url, staff, "state", {"completed"})
    return str(exchange["id"])


async def _batch_missing(stack: Stack, data: Path) -> str:
    """An import workflow started for a batch id that names no batch."""
    batch_id = str(uuid.uuid4())
    handle = await stack.client.start_workflow(
        ImportWorkflow.run,
        ImportInput(batch_id, chunk_size=2),
        id=import_workflow_id(batch_id),
        task_queue=stack.settings.task_queue,
    )
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    return batch_id


async def _attempts_exhausted(stack: Stack, data: Path) -> str:
    """A standalone upload whose every record the database refuses to record."""
    http, staff = stack.http, stack.staff
    upload = data / "refused.mrc"
    upload.write_bytes(b"".join(build_record(n, title=f"Unwritable {n}").as_marc() for n in (1, 2)))
    with outcomes_refused(stack.engine, "Unwritable"):
        r = await http.post(
            "/api/v1/marc-batches", files={"file": upload.open("rb")}, headers=staff
        )
        assert r.status_code == 202, r.text
        batch_id = str(r.json()["batch_id"])
        await wait_for(http, f"/api/v1/marc-batches/{batch_id}", staff, "state", {"failed"})
    return batch_id


async def _chunk_attempt(stack: Stack, batch_id: str, at_least: int) -> None:
    """Wait until the batch's import child is retrying its chunk (attempt ``at_least``)."""
    handle = stack.client.get_workflow_handle(import_workflow_id(batch_id))
    for _ in range(600):
        with contextlib.suppress(Exception):
            pending = (await handle.describe()).raw_description.pending_activities
            if pending and pending[0].attempt >= at_least:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the import of {batch_id} never reached attempt {at_least}")


async def _import_terminated(stack: Stack, data: Path) -> str:
    """An outgoing exchange whose MARC file the database refuses to record, record after
    record; the retrying import child is terminated, as an operator would; if the exchange
    goes on, the partner's receipt completes it."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="DNB")
    body = {"partner": "DNB", "lines": lines(1)}
    exchange = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    line = exchange["lines"][0]["id"]
    await http.post(
        f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=key
    )
    await http.post(f"{url}/shipment", json={"carrier": "DHL"}, headers=staff)
    upload = data / "refused.mrc"
    upload.write_bytes(b"".join(build_record(n, title=f"Unwritable {n}").as_marc() for n in (1, 2)))
    with outcomes_refused(stack.engine, "Unwritable"):
        r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=staff)
        assert r.status_code == 202, r.text
        batch_id = r.json()["batch_id"]
        await _chunk_attempt(stack, batch_id, at_least=2)
        await stack.client.get_workflow_handle(import_workflow_id(batch_id)).terminate("stuck")
    handle = stack.client.get_workflow_handle(workflow_id(exchange["id"]))
    for _ in range(300):
        history = [h["step"] for h in (await http.get(url, headers=staff)).json()["history"]]
        if (await handle.describe()).close_time is not None or "marc_imported" in history:
            break
        await asyncio.sleep(0.1)
    if (await handle.describe()).close_time is None:
        receipt = [{"line_id": line, "received": 1}]
        await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
        await wait_for(http, url, staff, "state", {"completed"})
    return str(exchange["id"])


async def _batch_state(stack: Stack, batch_id: str, states: set[str]) -> dict[str, Any]:
    url = f"/api/v1/marc-batches/{batch_id}"
    batch: dict[str, Any] = await wait_for(stack.http, url, stack.staff, "state", states)
    return batch


async def _staged_commit(stack: Stack, data: Path) -> str:
    """An incoming exchange: its MARC file staged, the receipt, then the commit catalogues it."""
    http, staff = stack.http, stack.staff
    _partner, key = await register_partner(http, staff, code="NLR")
    r = await http.post("/api/v1/exchanges", json={"lines": lines(1, 2)}, headers=key)
    exchange = r.json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    ids = [line["id"] for line in exchange["lines"]]
    accept = [{"line_id": ids[0], "quantity": 1}, {"line_id": ids[1], "quantity": 2}]
    await http.post(f"{url}/decision", json={"accept": accept}, headers=staff)
    await http.post(f"{url}/shipment", json={"carrier": "Pochta"}, headers=key)
    upload = marc_file(data / "batch.mrc", 5, broken_at={4})
    r = await http.post(f"{url}/marc", files={"file": upload.open("rb")}, headers=key)
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    await _batch_state(stack, batch_id, {"staged"})
    receipt = [{"line_id": ids[0], "received": 1}, {"line_id": ids[1], "received": 2}]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=staff)
    assert r.json()["state"] == "received", r.text
    r = await http.post(f"/api/v1/marc-batches/{batch_id}/commit", headers=staff)
    assert r.status_code == 202, r.text
    await wait_for(http, url, staff, "state", {"completed"})
    return str(exchange["id"])


async def _standalone_commit_undo(stack: Stack, data: Path) -> str:
    """A standalone batch: staged, a multi-match resolved, committed, then undone."""
    http, staff = stack.http, stack.staff
    isbn_a, isbn_b = "9786020000013", "9786020000020"
    seed = data / "seed.mrc"
    seed.write_bytes(
        build_record(1, "Seed A", isbn_a).as_marc() + build_record(2, "Seed B", isbn_b).as_marc()
    )
    r = await http.post("/api/v1/marc-batches", files={"file": seed.open("rb")}, headers=staff)
    seed_id = r.json()["batch_id"]
    await _batch_state(stack, seed_id, {"staged"})
    await http.post(f"/api/v1/marc-batches/{seed_id}/commit", headers=staff)
    await _batch_state(stack, seed_id, {"committed"})
    both = build_record(1, "Both", isbn_a)
    both.add_field(
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn_b)])
    )
    upload = data / "batch.mrc"
    upload.write_bytes(
        both.as_marc() + b"".join(build_record(n, f"New {n}").as_marc() for n in range(2, 6))
    )
    r = await http.post("/api/v1/marc-batches", files={"file": upload.open("rb")}, headers=staff)
    batch_id = str(r.json()["batch_id"])
    await _batch_state(stack, batch_id, {"staged"})
    decisions = [{"rule": "multi_match", "action": "create"}]
    r = await http.post(f"/api/v1/marc-batches/{batch_id}/decisions", json=decisions, headers=staff)
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/v1/marc-batches/{batch_id}/commit", headers=staff)
    assert r.status_code == 202, r.text
    await _batch_state(stack, batch_id, {"committed"})
    r = await http.post(f"/api/v1/marc-batches/{batch_id}/undo", headers=staff)
    assert r.status_code == 202, r.text
    await _batch_state(stack, batch_id, {"undone"})
    await stack.client.get_workflow_handle(undo_workflow_id(batch_id)).result()
    return batch_id


_SMTP_PORT = free_port()  # the e-mail scenario's server, known before its stack starts


async def _webhook_and_emails(stack: Stack, data: Path) -> str:
    """A proposal's notice goes to the webhook and to a contact's mailbox, each retried once;
    the answer is the id of the notice's delivery workflow."""
    http, staff = stack.http, stack.staff
    receiver = Receiver(fail_first=1).start()
    smtp = SmtpServer(_SMTP_PORT)
    smtp.start()
    try:
        _partner, _key = await register_partner(http, staff, code="SUB", webhook_url=receiver.url)
        contact = {"name": "Anna", "email": "anna@sub.example", "language": "ru"}
        r = await http.post("/api/v1/partners/SUB/contacts", json=contact, headers=staff)
        assert r.status_code == 201, r.text
        smtp.refuse(1)
        r = await http.post(
            "/api/v1/exchanges", json={"partner": "SUB", "lines": lines(1)}, headers=staff
        )
        exchange_id = str(r.json()["id"])
        await smtp.wait_for("anna@sub.example")
        for _ in range(600):
            if receiver.accepted():
                break
            await asyncio.sleep(0.05)
        with Session(stack.engine) as session:
            seq = session.exec(
                select(Notice.seq).where(
                    col(Notice.exchange_id) == exchange_id, col(Notice.event) == "proposal"
                )
            ).one()
        handle = stack.client.get_workflow_handle(delivery_workflow_id(exchange_id, seq))
        await handle.result()
    finally:
        receiver.stop()
        smtp.stop()
    return delivery_workflow_id(exchange_id, seq)


_STAFF_SMTP_PORT = free_port()
STAFF_MAILBOX = "pertukaran@perpusnas.example"


async def _staff_notices(stack: Stack, data: Path) -> str:
    """An outgoing exchange: the partner's decision and receipt are news to our staff, whose
    department's mailbox gets each by e-mail."""
    http, staff = stack.http, stack.staff
    smtp = SmtpServer(_STAFF_SMTP_PORT)
    smtp.start()
    try:
        _partner, key = await register_partner(http, staff, code="BSB")
        body = {"partner": "BSB", "lines": lines(1)}
        exchange = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
        url = f"/api/v1/exchanges/{exchange['id']}"
        line = exchange["lines"][0]["id"]
        accept = [{"line_id": line, "quantity": 1}]
        await http.post(f"{url}/decision", json={"accept": accept}, headers=key)
        await http.post(f"{url}/shipment", json={"carrier": "DHL"}, headers=staff)
        receipt = [{"line_id": line, "received": 1}]
        await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
        await wait_for(http, url, staff, "state", {"completed"})
        await smtp.wait_for(STAFF_MAILBOX, count=2)
    finally:
        smtp.stop()
    return str(exchange["id"])


async def _skip(stack: Stack, duration: timedelta) -> None:
    """Let the time-skipping server's clock run on (as ``WorkflowEnvironment.sleep`` does)."""
    request = SleepRequest()
    request.duration.FromTimedelta(duration)
    await stack.client.test_service.unlock_time_skipping_with_sleep(request)


async def _offer_list_closed(stack: Stack, data: Path) -> str:
    """A list to two partners, one of which submits a selection; weeks later it closes."""
    http, staff = stack.http, stack.staff
    codes = ["KBR", "NLK"]
    keys = [(await register_partner(http, staff, code=code))[1] for code in codes]
    deposit = {"title": "Serat Centhini", "copies": 3 + stack.settings.retention_copies}
    item = (await http.post("/api/v1/deposits", json=deposit, headers=staff)).json()
    now = (await stack.client.test_service.get_current_time(Empty())).time.ToDatetime()
    closes_on = max(now.date(), datetime.now(UTC).date()) + timedelta(days=7)
    body = {
        "title": "Duplicates, spring",
        "closes_on": closes_on.isoformat(),
        "partners": codes,
        "items": [{"fund_item_id": item["id"], "copies": 3}],
    }
    list_id = str((await http.post("/api/v1/offer-lists", json=body, headers=staff)).json()["id"])
    url = f"/api/v1/offer-lists/{list_id}"
    offered = (await http.post(f"{url}/publish", headers=staff)).json()
    pick = {"items": [{"item_id": offered["item_list"][0]["id"], "copies": 1}]}
    r = await http.post(f"{url}/selection", json=pick, headers=keys[0])
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/selection/submit", headers=keys[0])
    assert r.status_code == 201, r.text
    await _skip(stack, timedelta(days=9))
    await wait_for(http, url, staff, "state", {"closed"})
    handle = stack.client.get_workflow_handle(offer_list_workflow_id(list_id))
    for _ in range(600):
        if (await handle.describe()).close_time is not None:
            break
        await asyncio.sleep(0.05)
    return list_id


async def _serial_year_claimed(stack: Stack, data: Path) -> str:
    """A monthly incoming title for the server's next year; its first issue is received."""
    from services.exchange.serial_models import SerialIssue
    from services.exchange.service import serial_runs
    from services.exchange.service.context import Context
    from tests.test_serial_claims import _title

    partner, _key = await register_partner(stack.http, stack.staff)
    now = (await stack.client.test_service.get_current_time(Empty())).time.ToDatetime()
    year = now.year + 1
    serial_id = _title(stack, partner["code"], first_year=year)
    ctx = Context(stack.engine, stack.client, stack.settings)
    await serial_runs.start(ctx, serial_id, year)
    handle = stack.client.get_workflow_handle(serial_workflow_id(serial_id))
    for _ in range(600):
        if (await handle.query("status")).get("next_wake"):
            break
        await asyncio.sleep(0.05)
    with Session(stack.engine) as session:
        first = session.exec(
            select(SerialIssue).where(col(SerialIssue.serial_id) == serial_id)
        ).first()
        assert first is not None
        first.state, first.received_on, first.copies_received = "received", first.expected_on, 1
        session.add(first)
        session.commit()
    await serial_runs.poke(ctx, serial_id, "receipt")
    await _skip(stack, timedelta(days=400))
    for _ in range(1200):
        if (await handle.describe()).close_time is not None:
            break
        await asyncio.sleep(0.05)
    return str(serial_id)


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Stack, Path], Awaitable[str]]
    # Child workflow type -> the name its first run's history is saved under.
    children: dict[str, str] = field(default_factory=dict)
    # Settings for the stack the scenario runs on.
    settings: dict[str, Any] = field(default_factory=dict)
    # The id of the workflow whose history is saved, from what ``run`` returns.
    workflow_of: Callable[[str], str] = workflow_id
    # The saved workflow may end failed (the evidence of an old branch that failed it).
    may_fail: bool = False
    # Signal name -> the name the history of the workflow that sent it is saved under.
    signallers: dict[str, str] = field(default_factory=dict)
    # Further workflows to save, by name, with their ids from what ``run`` returns.
    also: Callable[[str], dict[str, str]] = lambda _: {}
    # Run on Temporal's time-skipping test server (the scenario skips its clock itself).
    time_skipping: bool = False


SCENARIOS = {
    "exchange_incoming_catalogued": Scenario(_incoming_catalogued),
    "exchange_lifecycle_claims": Scenario(_outgoing_with_claims),
    "exchange_webhook_delivery": Scenario(
        _webhook_delivery, children={"WebhookDeliveryWorkflow": "delivery_webhook_retried"}
    ),
    "exchange_marc_import": Scenario(
        _marc_import,
        children={"ImportWorkflow": "import_marc_chunks"},
        settings={"import_chunk_size": 2},
    ),
    "exchange_continued_as_new": Scenario(_continued_as_new),
    "import_batch_missing": Scenario(_batch_missing, workflow_of=import_workflow_id, may_fail=True),
    "exchange_import_terminated_failed": Scenario(_import_terminated, may_fail=True),
    "exchange_import_terminated_recorded": Scenario(_import_terminated),
    "import_chunk_attempts_exhausted": Scenario(
        _attempts_exhausted, workflow_of=import_workflow_id, settings={"import_chunk_attempts": 2}
    ),
    "exchange_staged_commit": Scenario(
        _staged_commit,
        children={"ImportWorkflow": "import_staged_chunks"},
        settings={"import_chunk_size": 2},
        signallers={BATCH_COMMITTED_SIGNAL: "commit_exchange_batch"},
    ),
    "commit_standalone_batch": Scenario(
        _standalone_commit_undo,
        settings={"import_chunk_size": 2},
        workflow_of=commit_workflow_id,
        also=lambda batch_id: {"undo_standalone_batch": undo_workflow_id(batch_id)},
    ),
    "delivery_webhook_and_emails": Scenario(
        _webhook_and_emails,
        workflow_of=lambda delivery_id: delivery_id,
        settings={"smtp_host": "127.0.0.1", "smtp_port": _SMTP_PORT},
    ),
    "exchange_staff_notices": Scenario(
        _staff_notices,
        settings={
            "smtp_host": "127.0.0.1",
            "smtp_port": _STAFF_SMTP_PORT,
            "staff_email": STAFF_MAILBOX,
        },
    ),
    "offer_list_closed": Scenario(
        _offer_list_closed, workflow_of=offer_list_workflow_id, time_skipping=True
    ),
    "serial_year_claimed": Scenario(
        _serial_year_claimed,
        workflow_of=lambda serial_id: serial_workflow_id(int(serial_id)),
        time_skipping=True,
    ),
}


def _save(name: str, history: WorkflowHistory) -> None:
    out = HISTORIES / f"{name}.json"
    out.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
    print(f"wrote {out} ({len(history.events)} events)", file=sys.stderr)


async def _save_children(client: Client, parent: WorkflowHistory, names: dict[str, str]) -> None:
    """Save the first started child of each named type, once it has finished."""
    for event in parent.events:
        if not event.HasField("child_workflow_execution_started_event_attributes"):
            continue
        started = event.child_workflow_execution_started_event_attributes
        name = names.get(started.workflow_type.name)
        if name is None:
            continue
        handle = client.get_workflow_handle(started.workflow_execution.workflow_id)
        await handle.result()
        _save(name, await handle.fetch_history())
        names = {k: v for k, v in names.items() if v != name}
    if names:
        raise AssertionError(f"no child workflow of type {sorted(names)} was started")


async def _save_signallers(client: Client, history: WorkflowHistory, names: dict[str, str]) -> None:
    """Save the workflow that sent each named signal (the first one), once it has finished."""
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        signaled = event.workflow_execution_signaled_event_attributes
        name = names.pop(signaled.signal_name, None)
        if name is None:
            continue
        handle = client.get_workflow_handle(signaled.external_workflow_execution.workflow_id)
        await handle.result()
        _save(name, await handle.fetch_history())
    if names:
        raise AssertionError(f"no workflow sent {sorted(names)}")


async def main(names: list[str]) -> None:
    dev = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    skipping_path = Path(sys.executable).parent / "temporal-test-server"
    skipping = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(skipping_path)
    )
    try:
        for name in names:
            scenario = SCENARIOS[name]
            env = skipping if scenario.time_skipping else dev
            with tempfile.TemporaryDirectory() as tmp:
                data = Path(tmp)
                db = f"sqlite:///{data / 'exchange.db'}"
                async with running_stack(
                    env.client, "record", data, db, **scenario.settings
                ) as stack:
                    run_id = await scenario.run(stack, data)
                    handle = env.client.get_workflow_handle(scenario.workflow_of(run_id))
                    try:
                        await handle.result()
                    except WorkflowFailureError:
                        if not scenario.may_fail:
                            raise
                    history = await handle.fetch_history()
                    _save(name, history)
                    await _save_children(env.client, history, dict(scenario.children))
                    await _save_signallers(env.client, history, dict(scenario.signallers))
                    for other, other_id in scenario.also(run_id).items():
                        _save(other, await env.client.get_workflow_handle(other_id).fetch_history())
    finally:
        await skipping.shutdown()
        await dev.shutdown()


if __name__ == "__main__":
    # Named scenarios are recorded, even again; with no names, only those not saved yet.
    todo = sys.argv[1:] or [n for n in SCENARIOS if not (HISTORIES / f"{n}.json").exists()]
    if todo:
        asyncio.run(main(todo))
    else:
        print("every scenario has a saved history; name one to record it again", file=sys.stderr)
