"""The service as its own processes for benchmarks: a file-backed Temporal dev server,
``exchange migrate``, ``exchange worker`` and ``exchange api``, stopped in reverse order."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
TOKEN = "bench-admin-token"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {seconds:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Service:
    api_url: str
    temporal_address: str
    env: dict[str, str]
    worker: subprocess.Popen[bytes]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def running_service(
    data_dir: Path, database_url: str, task_queue: str, **env_extra: str
) -> Iterator[Service]:
    """Start everything, yield where it listens, stop it all however the block ends."""
    temporal_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "EXCHANGE_DATA_DIR": str(data_dir),
        "EXCHANGE_DATABASE_URL": database_url,
        "EXCHANGE_TEMPORAL_ADDRESS": f"{HOST}:{temporal_port}",
        "EXCHANGE_ADMIN_TOKEN": TOKEN,
        "EXCHANGE_HOST": HOST,
        "EXCHANGE_PORT": str(api_port),
        "EXCHANGE_TASK_QUEUE": task_queue,
        **env_extra,
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        temporal = spawn(
            [
                str(BIN / "temporal"),
                "server",
                "start-dev",
                "--headless",
                "--log-level",
                "error",
                "--db-filename",
                str(data_dir / "temporal.db"),
                "--ip",
                HOST,
                "--port",
                str(temporal_port),
            ],
            env,
            data_dir / "temporal.log",
        )
        procs.append(temporal)
        wait_port(temporal_port, temporal, "Temporal")
        subprocess.run([str(BIN / "exchange"), "migrate"], env=env, check=True, capture_output=True)
        env["EXCHANGE_SKIP_MIGRATIONS"] = "1"
        worker = spawn([str(BIN / "exchange"), "worker"], env, data_dir / "worker.log")
        procs.append(worker)
        api = spawn([str(BIN / "exchange"), "api"], env, data_dir / "api.log")
        procs.append(api)
        wait_port(api_port, api, "the API")
        yield Service(f"http://{HOST}:{api_port}", f"{HOST}:{temporal_port}", env, worker, procs)
    finally:
        for proc in reversed(procs):
            stop(proc)
