"""``exchange api`` with several worker processes, as it runs by default on a multi-core machine.

The parent migrates the database before the workers start, the workers share revocations
through the data directory, and a worker that cannot start stops the whole command with
uvicorn's startup-failure code, so a supervisor sees the failure.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ADMIN_TOKEN, free_port
from tests.support import bearer

EXCHANGE = str(Path(sys.executable).parent / "exchange")


def _env(data_dir: Path, temporal: str, port: int) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")} | {
        "EXCHANGE_DATA_DIR": str(data_dir),
        "EXCHANGE_TEMPORAL_ADDRESS": temporal,
        "EXCHANGE_ADMIN_TOKEN": ADMIN_TOKEN,
        "EXCHANGE_PORT": str(port),
        "EXCHANGE_API_WORKERS": "2",
    }


async def test_two_workers_migrate_once_serve_and_revoke_everywhere(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    temporal = temporal_env.client.service_client.config.target_host
    api = subprocess.Popen(
        [EXCHANGE, "api"],
        env=_env(tmp_path, temporal, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    staff = bearer(ADMIN_TOKEN)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # a fresh SQLite file: the parent migrates it before the workers start
            try:
                async with httpx.AsyncClient(base_url=base, timeout=5) as http:
                    if (await http.get("/health")).status_code == 200:
                        break
            except httpx.TransportError:
                pass
            assert api.poll() is None, "exchange api exited"
            assert time.monotonic() < deadline, "exchange api did not start"
            await asyncio.sleep(0.2)

        async def status(headers: dict[str, str]) -> int:
            # A new connection each time, so that the requests spread over both workers.
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                return (await http.get("/api/v1/match-rules", headers=headers)).status_code

        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            r = await http.post("/api/v1/keys", json={"role": "cataloguer"}, headers=staff)
            assert r.status_code == 201, r.text
            created = r.json()
        key = bearer(created["key"])
        assert [await status(key) for _ in range(10)] == [200] * 10
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            r = await http.delete(f"/api/v1/keys/{created['id']}", headers=staff)
            assert r.status_code == 204
        assert [await status(key) for _ in range(10)] == [401] * 10
    finally:
        api.send_signal(signal.SIGTERM)
        output = api.communicate(timeout=60)[0].decode(errors="replace")
    assert api.returncode == 0, output


def test_a_worker_that_cannot_start_stops_the_command_with_code_3(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there: no Temporal, so no worker can start
    api = subprocess.run(
        [EXCHANGE, "api"],
        env=_env(tmp_path, f"127.0.0.1:{closed}", free_port()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert api.returncode == 3, api.stdout + api.stderr
