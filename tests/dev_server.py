"""A Temporal dev server of the test's own, on its own state file, that a test can stop and
start again; and a worker started late, as a busy or restarting worker would be."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from tests.conftest import Stack, temporal_cli
from workflows.worker import build_worker

READY_WITHIN = 120.0  # seconds: generous for a loaded machine, but bounded


class DevServer:
    def __init__(self, db_file: Path, port: int) -> None:
        self.db_file, self.port = db_file, port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the server and return once its namespace answers (not merely its port)."""
        self.proc = subprocess.Popen(
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--headless",
                "--db-filename",
                str(self.db_file),
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_WITHIN
        while loop.time() < deadline:
            assert self.proc.poll() is None, "the Temporal dev server exited"
            try:
                client = await Client.connect(self.address)
                await client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace="default")
                )
                return
            except Exception:
                await asyncio.sleep(0.1)
        raise AssertionError(f"the Temporal dev server was not ready within {READY_WITHIN} s")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def stop_if_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()


@asynccontextmanager
async def late_worker(stack: Stack) -> AsyncIterator[None]:
    """A worker for a stack started ``with_worker=False``, on a client of its own (the SDK lets
    one client carry only one worker per task queue, and the stack built one it did not run)."""
    client = await Client.connect(stack.client.service_client.config.target_host)
    executor = ThreadPoolExecutor(max_workers=8)
    try:
        async with build_worker(client, stack.settings, stack.engine, executor):
            yield
    finally:
        executor.shutdown(wait=True)
