"""Saved histories of the exchange workflow must replay against today's workflow code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.exchange import ExchangeWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("exchange_*.json"))


def test_histories_are_present() -> None:
    assert HISTORIES, "no saved histories: run python -m tests.record_histories"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    events = json.loads(path.read_text())["events"]
    assert len(events) > 10
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=[ExchangeWorkflow]).replay_workflow(history)
