"""A long exchange with many claims continues as new instead of growing one huge history."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack
from tests.support import register_partner
from tests.test_deadlines import server_day
from workflows.exchange.types import workflow_id
from workflows.exchange.workflow import CONTINUE_AS_NEW_AFTER_EVENTS

LINES = 120


async def test_many_claims_keep_every_history_short(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    body = {
        "partner": partner["code"],
        "respond_by": await server_day(skipping_env, days=30),
        "lines": [{"title": f"Serial vol. {n}", "quantity": 2} for n in range(1, LINES + 1)],
    }
    exchange = (await http.post("/api/v1/exchanges", json=body, headers=staff)).json()
    url = f"/api/v1/exchanges/{exchange['id']}"
    ids = [line["id"] for line in exchange["lines"]]
    accept = [{"line_id": i, "quantity": 2} for i in ids]
    assert (await http.post(f"{url}/decision", json={"accept": accept}, headers=key)).is_success
    assert (await http.post(f"{url}/shipment", json={"carrier": "EMS"}, headers=staff)).is_success
    receipt = [{"line_id": i, "received": 2, "damaged": 1} for i in ids]
    r = await http.post(f"{url}/receipt", json={"lines": receipt}, headers=key)
    claims = r.json()["claims"]
    assert len(claims) == LINES

    first_run = (
        await stack.client.get_workflow_handle(workflow_id(exchange["id"])).describe()
    ).run_id
    for claim in claims:
        r = await http.post(
            f"{url}/claims/{claim['claim_no']}/answer",
            json={"action": "write_off"},
            headers=staff,
        )
        assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "completed"
    assert {c["state"] for c in done["claims"]} == {"written_off"}
    seqs = [h for h in done["history"]]
    assert len(seqs) == len({(h["at"], h["step"], h["note"]) for h in seqs}), "no step twice"

    first = stack.client.get_workflow_handle(workflow_id(exchange["id"]), run_id=first_run)
    assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    latest = stack.client.get_workflow_handle(workflow_id(exchange["id"]))
    await latest.result()
    for handle in (first, latest):
        history = await handle.fetch_history()
        assert len(history.events) < CONTINUE_AS_NEW_AFTER_EVENTS + 200
    started = (await latest.fetch_history()).events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
