"""The README's Quick start works when pasted into a shell: ``exchange dev`` (what ``make run``
starts) in a fresh folder, then the README's ``curl`` block as it stands, only the port changed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import free_port

README = Path(__file__).parents[1] / "README.md"
EXCHANGE = str(Path(sys.executable).parent / "exchange")


def _curl_block() -> str:
    text = README.read_text()
    start = text.index("A first exchange with `curl`")
    match = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert match, "the README's Quick start has no sh block after 'A first exchange with curl'"
    return match.group(1)


def test_the_readme_curl_block_runs_against_exchange_dev(tmp_path: Path) -> None:
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")} | {
        "EXCHANGE_PORT": str(ports["api"]),
        "EXCHANGE_TEMPORAL_PORT": str(ports["temporal"]),
        "EXCHANGE_TEMPORAL_UI_PORT": str(ports["ui"]),
    }
    dev = subprocess.Popen(
        [EXCHANGE, "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert dev.stdout is not None
        for line in dev.stdout:
            output.append(line)
            if "Press Ctrl-C" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(90), "exchange dev did not start:\n" + "".join(output)
        script = _curl_block().replace("localhost:8000", f"localhost:{ports['api']}")
        assert script.count(f"localhost:{ports['api']}") >= 3
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        answers = [json.loads(line) for line in done.stdout.replace("}{", "}\n{").splitlines()]
        partner, agreement, exchange = answers
        assert partner["code"] == "NLB" and partner["api_key"]
        assert agreement["valid_today"] is True
        assert exchange["state"] == "proposed"
        assert exchange["lines"][0]["title"] == "Sejarah Nasional Indonesia"
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=60)
