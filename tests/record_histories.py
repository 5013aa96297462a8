"""Record workflow histories for the replay tests: ``python -m tests.record_histories``.

Run it when the workflow changes in a way that new histories should cover; commit the JSON it
writes to ``tests/histories``. Old histories stay: they prove that running exchanges still replay.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.conftest import running_stack, temporal_cli
from tests.support import lines, marc_file, register_partner, wait_for
from workflows.shared import workflow_id

HISTORIES = Path(__file__).parent / "histories"


async def main() -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            db = f"sqlite:///{data / 'exchange.db'}"
            async with running_stack(env.client, "record", data, db) as stack:
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
                handle = env.client.get_workflow_handle(workflow_id(exchange["id"]))
                await handle.result()
                history = await handle.fetch_history()
                out = HISTORIES / "exchange_incoming_catalogued.json"
                out.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
                print(f"wrote {out} ({len(history.events)} events)", file=sys.stderr)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
