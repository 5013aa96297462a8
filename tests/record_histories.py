"""Record workflow histories for the replay tests: ``python -m tests.record_histories``.

Run it for a new scenario when the workflow changes (``python -m tests.record_histories NAME``)
and commit the JSON it writes to ``tests/histories``. Never re-record an old one: old histories
prove that exchanges already running still replay (``exchange_incoming_catalogued`` was recorded
before the lifecycle rules, which sit behind ``workflow.patched``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack, running_stack, temporal_cli
from tests.support import lines, marc_file, register_partner, wait_for
from workflows.exchange.types import workflow_id

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


SCENARIOS = {
    "exchange_incoming_catalogued": _incoming_catalogued,
    "exchange_lifecycle_claims": _outgoing_with_claims,
}


async def main(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    try:
        for name in names:
            with tempfile.TemporaryDirectory() as tmp:
                data = Path(tmp)
                db = f"sqlite:///{data / 'exchange.db'}"
                async with running_stack(env.client, "record", data, db) as stack:
                    exchange_id = await SCENARIOS[name](stack, data)
                    handle = env.client.get_workflow_handle(workflow_id(exchange_id))
                    await handle.result()
                    history = await handle.fetch_history()
                    out = HISTORIES / f"{name}.json"
                    out.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
                    print(f"wrote {out} ({len(history.events)} events)", file=sys.stderr)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    # Name the scenarios to record; existing files for other scenarios are kept.
    asyncio.run(main(sys.argv[1:] or list(SCENARIOS)))
