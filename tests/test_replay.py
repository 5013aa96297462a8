"""Saved histories of the exchange workflow must replay against today's workflow code.

``exchange_incoming_catalogued`` was recorded before the lifecycle rules (deadlines, claims,
notices) existed. It still replays because that logic sits behind
``workflow.patched(LIFECYCLE_PATCH)``: that is the proof that exchanges already running when
the change was deployed go on as they started.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.exchange.workflow import LIFECYCLE_PATCH, ExchangeWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("exchange_*.json"))
BEFORE_LIFECYCLE = Path(__file__).parent / "histories" / "exchange_incoming_catalogued.json"


def _patches(path: Path) -> set[str]:
    """The ids of the ``workflow.patched`` markers a history recorded."""
    found = set()
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker.get("markerName") == "core_patch":
            for payload in marker["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found


def test_histories_are_present() -> None:
    assert len(HISTORIES) >= 2, "run python -m tests.record_histories"


def test_old_history_predates_the_patch_and_new_ones_carry_it() -> None:
    assert _patches(BEFORE_LIFECYCLE) == set()
    for path in HISTORIES:
        if path != BEFORE_LIFECYCLE:
            assert LIFECYCLE_PATCH in _patches(path), path.name


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    events = json.loads(path.read_text())["events"]
    assert len(events) > 10
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=[ExchangeWorkflow]).replay_workflow(history)
