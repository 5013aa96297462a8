"""The production composition (docker-compose.yml) is valid and wires api and worker alike.

Runs Debian's ``docker-compose`` (v1.29, which CI installs) as a validator only: ``config``
needs no Docker engine. Every run is hermetic: an empty ``--env-file`` (so a developer's
``.env`` is not read) and no ``EXCHANGE_*``/``COMPOSE_*`` variables from the caller.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKER_COMPOSE = shutil.which("docker-compose")
SERVICES = {"postgres", "temporal", "temporal-ui", "api", "worker"}
DATA_DIR = "/var/lib/exchange"
TOKEN = "compose-test-token"

pytestmark = pytest.mark.skipif(
    DOCKER_COMPOSE is None,
    reason="docker-compose executable not found (CI installs Debian's docker-compose package)",
)


def _compose(
    tmp_path: Path, *args: str, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EXCHANGE_", "COMPOSE_", "DOCKER_"))
    }
    if token is not None:
        env["EXCHANGE_ADMIN_TOKEN"] = token
    assert DOCKER_COMPOSE is not None
    return subprocess.run(
        [DOCKER_COMPOSE, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _only_warnings(stderr: str) -> bool:
    return all(
        line.lstrip().upper().startswith("WARN") for line in stderr.splitlines() if line.strip()
    )


def test_compose_config_is_valid(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr
    assert _only_warnings(result.stderr), result.stderr


def test_admin_token_is_required(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "-q", token=None)
    assert result.returncode != 0
    assert "EXCHANGE_ADMIN_TOKEN" in result.stderr


# --- reading `docker-compose config` output ---------------------------------------------------


def _load_config(text: str) -> dict[str, Any] | None:
    """The normalised config as data, or None when PyYAML is not importable."""
    try:
        import yaml
    except ImportError:
        return None
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _block(lines: list[str], key: str, indent: int) -> list[str]:
    """Lines of ``key:``'s value in block YAML as docker-compose prints it.

    Sequence items may sit at the key's own indentation (``- item``), as PyYAML dumps them.
    """
    head = " " * indent + key + ":"
    for i, line in enumerate(lines):
        if line == head:
            out = []
            for nxt in lines[i + 1 :]:
                stripped = nxt.lstrip(" ")
                depth = len(nxt) - len(stripped)
                if depth > indent or (depth == indent and stripped.startswith("- ")):
                    out.append(nxt)
                else:
                    break
            return out
    return []


def _scalar(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return raw


def _service_from_text(text: str, name: str) -> dict[str, Any]:
    """Environment, volumes and a few scalars of one service, read from the printed config."""
    service = _block(_block(text.splitlines(), "services", 0), name, 2)
    assert service, f"service {name!r} not found in docker-compose config output"
    env: dict[str, str] = {}
    for line in _block(service, "environment", 4):
        key, _, value = line.strip().partition(":")
        env[key] = _scalar(value)
    volumes = [_scalar(line.strip()[2:]) for line in _block(service, "volumes", 4)]
    command = [_scalar(line.strip()[2:]) for line in _block(service, "command", 4)]
    info: dict[str, Any] = {"environment": env, "volumes": volumes, "command": command}
    for line in service:
        if line.startswith("    stop_grace_period:"):
            info["stop_grace_period"] = _scalar(line.partition(":")[2])
    return info


def _named_mounts(service: dict[str, Any]) -> dict[str, str]:
    """target path -> volume name, for both the short (v1) and the long (v2) volume syntax."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type", "volume") == "volume" and volume.get("source"):
                mounts[volume["target"]] = volume["source"]
        else:
            parts = str(volume).split(":")
            if len(parts) >= 2 and not parts[0].startswith((".", "/", "~")):
                mounts[parts[1]] = parts[0]
    return mounts


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return dict(env)


def _seconds(duration: str) -> float:
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
    total, number = 0.0, ""
    rest = str(duration).strip()
    while rest:
        if rest[0].isdigit() or rest[0] == ".":
            number += rest[0]
            rest = rest[1:]
            continue
        unit = next(u for u in ("ms", "us", "h", "m", "s") if rest.startswith(u))
        total += float(number) * units[unit]
        number, rest = "", rest[len(unit) :]
    return total + (float(number) if number else 0.0)


def test_services_and_shared_settings(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    config = _load_config(result.stdout)

    if config is not None:
        services = set(config["services"])
        volumes = set(config.get("volumes") or {})
        api, worker = config["services"]["api"], config["services"]["worker"]
    else:
        listed = _compose(tmp_path, "config", "--services")
        assert listed.returncode == 0, listed.stderr
        services = set(listed.stdout.split())
        listed = _compose(tmp_path, "config", "--volumes")
        assert listed.returncode == 0, listed.stderr
        volumes = set(listed.stdout.split())
        api = _service_from_text(result.stdout, "api")
        worker = _service_from_text(result.stdout, "worker")

    assert services >= SERVICES, f"missing services: {SERVICES - services}"

    # One named volume holds the uploaded MARC files for both processes, where they look.
    api_env, worker_env = _environment(api), _environment(worker)
    assert api_env["EXCHANGE_DATA_DIR"] == worker_env["EXCHANGE_DATA_DIR"] == DATA_DIR
    api_volume = _named_mounts(api).get(DATA_DIR)
    assert api_volume, f"api mounts no named volume at {DATA_DIR}: {api.get('volumes')}"
    assert _named_mounts(worker).get(DATA_DIR) == api_volume
    assert api_volume in volumes

    # Same database, Temporal and credentials.
    url = api_env["EXCHANGE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    for key in (
        "EXCHANGE_DATABASE_URL",
        "EXCHANGE_TEMPORAL_ADDRESS",
        "EXCHANGE_TEMPORAL_NAMESPACE",
        "EXCHANGE_TASK_QUEUE",
        "EXCHANGE_ADMIN_TOKEN",
    ):
        assert api_env[key] == worker_env[key], key
    assert api_env["EXCHANGE_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert api_env["EXCHANGE_ADMIN_TOKEN"] == TOKEN

    assert list(api["command"]) == ["exchange", "api"]
    assert list(worker["command"]) == ["exchange", "worker"]
    # Longer than the worker's own 20 s graceful-shutdown timeout.
    assert _seconds(worker["stop_grace_period"]) >= 30
