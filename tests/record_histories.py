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
from pathlib import Path
from typing import Any

from pymarc import Field, Indicators, Subfield
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from services.exchange.service.commit import commit_workflow_id, undo_workflow_id
from tests.conftest import Stack, running_stack, temporal_cli
from tests.import_faults import outcomes_refused
from tests.support import build_record, lines, marc_file, register_partner, wait_for
from tests.webhook_receiver import Receiver
from workflows.committing.types import BATCH_COMMITTED_SIGNAL
from workflows.exchange.types import workflow_id
from workflows.importing.types import ImportInput
from workflows.importing.workflow import ImportWorkflow, import_workflow_id

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
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    try:
        for name in names:
            scenario = SCENARIOS[name]
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
        await env.shutdown()


if __name__ == "__main__":
    # Named scenarios are recorded, even again; with no names, only those not saved yet.
    todo = sys.argv[1:] or [n for n in SCENARIOS if not (HISTORIES / f"{n}.json").exists()]
    if todo:
        asyncio.run(main(todo))
    else:
        print("every scenario has a saved history; name one to record it again", file=sys.stderr)
