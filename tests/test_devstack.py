"""``exchange dev`` (what ``make run`` starts) as a user runs it: start, use, Ctrl-C, restart."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.support import AGREEMENT, lines
from tests.web_support import csrf_of

EXCHANGE = str(Path(sys.executable).parent / "exchange")


class DevStack:
    def __init__(self, data_dir: Path, ports: dict[str, int]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")} | {
            "EXCHANGE_DATA_DIR": str(data_dir),
            "EXCHANGE_PORT": str(ports["api"]),
            "EXCHANGE_TEMPORAL_PORT": str(ports["temporal"]),
            "EXCHANGE_TEMPORAL_UI_PORT": str(ports["ui"]),
            "EXCHANGE_HOME_CODE": "PERPUSNAS",
        }
        self.proc = subprocess.Popen(
            [EXCHANGE, "dev"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(90):
            self.proc.kill()
            raise AssertionError("exchange dev did not start:\n" + "".join(self.output))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if "Press Ctrl-C" in line:
                self.ready.set()

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


def _closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_dev_stack_starts_stops_and_keeps_exchanges(tmp_path: Path) -> None:
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"

    stack = DevStack(tmp_path, ports)
    try:
        text = "".join(stack.output)
        assert f"http://127.0.0.1:{ports['api']}" in text
        assert f"web UI at http://127.0.0.1:{ports['ui']}" in text
        token = (tmp_path / "admin-token").read_text().strip()
        assert token in text, "a generated staff key is printed once"
        assert oct((tmp_path / "admin-token").stat().st_mode & 0o777) == "0o600"
        assert (tmp_path / "exchange.db").exists() and (tmp_path / "temporal.db").exists()
        staff = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/health").json()["status"] == "ok"
            body = {
                "code": "NLB",
                "name": "National Library of Belarus",
                "country": "BY",
                "marc_format": "rusmarc",
            }
            partner = http.post("/api/v1/partners", json=body, headers=staff).json()
            r = http.post("/api/v1/partners/NLB/agreements", json=AGREEMENT, headers=staff)
            assert r.status_code == 201, r.text
            key = {"Authorization": f"Bearer {partner['api_key']}"}
            exchange = http.post(
                "/api/v1/exchanges", json={"partner": "NLB", "lines": lines(2)}, headers=staff
            ).json()
            assert exchange["state"] == "proposed"
        # The pages: a first admin user, its password printed once and kept 0600.
        password = (tmp_path / "admin-password").read_text().strip()
        assert f"as 'admin' with password {password}" in text
        assert oct((tmp_path / "admin-password").stat().st_mode & 0o777) == "0o600"
        with httpx.Client(base_url=base, timeout=30) as browser:
            page = browser.get("/signin")
            r = browser.post(
                "/signin",
                data={
                    "csrf_token": csrf_of(page.text),
                    "username": "admin",
                    "password": password,
                },
            )
            assert r.status_code == 303, r.text
            assert "Offers awaiting our decision" in browser.get("/").text
    finally:
        code = stack.interrupt()
    assert code == 0, "".join(stack.output)
    assert "Stopped." in "".join(stack.output)
    assert all(_closed(p) for p in (ports["api"], ports["temporal"])), "a child outlived Ctrl-C"

    # Started again on the same data directory, the running exchange goes on.
    stack = DevStack(tmp_path, ports)
    try:
        assert token not in "".join(stack.output), "the staff key is printed only once"
        assert password not in "".join(stack.output), "so is the first password"
        with httpx.Client(base_url=base, timeout=30) as http:
            url = f"/api/v1/exchanges/{exchange['id']}"
            line = exchange["lines"][0]["id"]
            r = http.post(
                f"{url}/decision", json={"accept": [{"line_id": line, "quantity": 1}]}, headers=key
            )
            assert r.status_code == 200, r.text
            assert r.json()["state"] == "accepted"
    finally:
        assert stack.interrupt() == 0, "".join(stack.output)
    assert all(_closed(p) for p in (ports["api"], ports["temporal"]))


def _pids(output: str) -> dict[str, int]:
    line = next(x for x in output.splitlines() if x.strip().startswith("Processes"))
    return {name: int(pid) for name, pid in re.findall(r"(\w+) pid (\d+)", line.split(None, 1)[1])}


def _wait_output(stack: DevStack, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in "".join(stack.output):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in:\n" + "".join(stack.output))
        time.sleep(0.2)


def _wait_healthy(http: httpx.Client, output: str, timeout: float = 60) -> None:
    """Until the API answers /health with Temporal reachable again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = http.get("/health")
            if r.status_code == 200 and r.json()["status"] == "ok":
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the API did not become healthy:\n" + output)
        time.sleep(0.5)


def test_a_worker_or_temporal_that_dies_is_started_again(tmp_path: Path) -> None:
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    stack = DevStack(tmp_path, ports)
    try:
        pids = _pids("".join(stack.output))
        assert set(pids) == {"temporal", "worker", "api"}
        os.kill(pids["worker"], signal.SIGKILL)
        _wait_output(stack, "worker exited with code -9; starting it again in 1s")
        _wait_output(stack, "worker started again (pid")
        os.kill(pids["temporal"], signal.SIGKILL)
        _wait_output(stack, "temporal exited with code -9; starting it again in 1s")
        _wait_output(stack, "temporal started again (pid")
        assert stack.proc.poll() is None, "the launcher keeps running"

        token = (tmp_path / "admin-token").read_text().strip()
        staff = {"Authorization": f"Bearer {token}"}
        body = {"code": "RSL", "name": "Russian State Library", "country": "RU"}
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as http:
            _wait_healthy(http, "".join(stack.output))
            r = http.post(
                "/api/v1/partners", json={**body, "marc_format": "rusmarc"}, headers=staff
            )
            assert r.status_code == 201, r.text
            key = {"Authorization": f"Bearer {r.json()['api_key']}"}
            r = http.post("/api/v1/partners/RSL/agreements", json=AGREEMENT, headers=staff)
            assert r.status_code == 201, r.text
            # The restarted Temporal and worker take the next exchange to its next step.
            deadline = time.monotonic() + 60
            while True:
                r = http.post(
                    "/api/v1/exchanges", json={"partner": "RSL", "lines": lines(1)}, headers=staff
                )
                if r.status_code == 201 or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert r.status_code == 201, r.text
            exchange = r.json()
            line = exchange["lines"][0]["id"]
            r = http.post(
                f"/api/v1/exchanges/{exchange['id']}/decision",
                json={"accept": [{"line_id": line, "quantity": 1}]},
                headers=key,
            )
            assert r.status_code == 200, r.text
            assert r.json()["state"] == "accepted"
    finally:
        assert stack.interrupt() == 0, "".join(stack.output)
    assert all(_closed(p) for p in (ports["api"], ports["temporal"]))
