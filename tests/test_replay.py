"""Saved histories of every workflow must replay against today's workflow code.

Each file in ``tests/histories`` was recorded by ``tests/record_histories.py`` with the code of
its time; a replay that fails means a run of that time, still open when new code is deployed,
would break. Old runs go on as they started because changed logic sits behind
``workflow.patched(ID)``, so every patch id must be backed by evidence here:

- a history that recorded the patch's marker (the new branch replays), and
- where one can exist, a history recorded before the patch that went down the old branch.
  ``WEBHOOK_PATCH`` has none: before it, a notice never asked for delivery, so an old run never
  reached the ``patched`` call (``exchange_lifecycle_claims`` notifies without it). The old
  branch of ``IMPORT_FAILURE_PATCH`` and ``CHUNK_FAILURE_PATCH`` failed the workflow, so their
  old histories end failed (queries on such a closed run still replay it).

When a patch is removed (see the table in ``workflows/exchange/patches.py``), the histories
that predate it are deleted with it, and its row below goes.
"""

from __future__ import annotations

import ast
import base64
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from workflows.committing import workflow as commit_workflow
from workflows.delivery import workflow as delivery_workflow
from workflows.exchange import workflow as exchange_workflow
from workflows.exchange.types import ExchangeInput
from workflows.importing import workflow as import_workflow
from workflows.offerlist import workflow as offer_list_workflow
from workflows.serial import workflow as serial_workflow
from workflows.worker import WORKFLOWS

HISTORY_DIR = Path(__file__).parent / "histories"
HISTORIES = sorted(HISTORY_DIR.glob("*.json"))
WORKFLOWS_DIR = Path(exchange_workflow.__file__).parents[1]
MODULES: tuple[ModuleType, ...] = (
    exchange_workflow,
    import_workflow,
    delivery_workflow,
    commit_workflow,
    offer_list_workflow,
    serial_workflow,
)

# Patch id -> the saved history recorded before it that took the old branch (None: none can).
PREDATING = {
    exchange_workflow.LIFECYCLE_PATCH: "exchange_incoming_catalogued",
    exchange_workflow.WEBHOOK_PATCH: None,
    exchange_workflow.IMPORT_PATCH: "exchange_incoming_catalogued",
    exchange_workflow.IMPORT_FAILURE_PATCH: "exchange_import_terminated_failed",
    import_workflow.CHUNK_FAILURE_PATCH: "import_batch_missing",
    exchange_workflow.COMMIT_PATCH: "exchange_marc_import",
    delivery_workflow.EMAIL_PATCH: "delivery_webhook_retried",  # the webhook alone
    exchange_workflow.STAFF_NOTICE_PATCH: "exchange_lifecycle_claims",  # the partner's alone
}
# What the old branch of each patch leaves in a history: proof the old code path ran.
_OLD_BRANCH_ACTIVITY = {
    exchange_workflow.IMPORT_PATCH: "import_marc_batch",  # the whole file in one activity
}
# What the old branch of each patch recorded as a step: its import made the exchange catalogued.
_OLD_BRANCH_STEP = {exchange_workflow.COMMIT_PATCH: "catalogue"}
# The patches whose old branch failed the workflow.
_OLD_BRANCH_FAILED = {exchange_workflow.IMPORT_FAILURE_PATCH, import_workflow.CHUNK_FAILURE_PATCH}


def _events(path: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(path.read_text())["events"]
    return events


def _patches(path: Path) -> set[str]:
    """The ids of the ``workflow.patched`` markers a history recorded."""
    found = set()
    for event in _events(path):
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker.get("markerName") == "core_patch":
            for payload in marker["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found


def _activities(path: Path) -> set[str]:
    return {
        event["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for event in _events(path)
        if "activityTaskScheduledEventAttributes" in event
    }


def _steps(path: Path) -> set[str]:
    """The steps a history's ``record_step`` activities wrote."""
    found = set()
    for event in _events(path):
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled and scheduled["activityType"]["name"] == "record_step":
            for payload in scheduled["input"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["step"])
    return found


def _patch_ids() -> dict[str, str]:
    """Every ``*_PATCH`` constant of the workflow modules, by value."""
    return {
        value: f"{module.__name__}.{name}"
        for module in MODULES
        for name, value in vars(module).items()
        if name.endswith("_PATCH") and isinstance(value, str)
    }


def test_histories_are_present() -> None:
    assert len(HISTORIES) >= 6, "run python -m tests.record_histories"


def test_every_patch_call_names_a_patch_constant() -> None:
    """A literal id in a ``patched`` call anywhere in ``workflows/`` would escape the checks
    below; so would a constant outside the workflow modules."""
    constants = {name.rsplit(".", 1)[1] for name in _patch_ids().values()}
    calls = 0
    for path in sorted(WORKFLOWS_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in ("patched", "deprecate_patch"):
                assert isinstance(node, ast.Call)
                [arg] = node.args
                where = f"{path.name}: {ast.unparse(node)}"
                assert isinstance(arg, ast.Name) and arg.id in constants, where
                calls += 1
    assert calls >= len(constants)


def test_every_patch_has_a_history_that_recorded_it() -> None:
    recorded = set().union(*(_patches(path) for path in HISTORIES))
    for patch, constant in _patch_ids().items():
        assert patch in recorded, f"{constant}: record a history that goes through it"


def test_every_patch_has_a_history_from_before_it_where_one_can_exist() -> None:
    assert set(PREDATING) == set(_patch_ids()), "say which history predates each patch"
    for patch, name in PREDATING.items():
        if name is None:
            continue
        path = HISTORY_DIR / f"{name}.json"
        assert patch not in _patches(path), name
        old = _OLD_BRANCH_ACTIVITY.get(patch)
        if old is not None:
            assert old in _activities(path), f"{name} never took the old branch of {patch}"
        step = _OLD_BRANCH_STEP.get(patch)
        if step is not None:
            assert step in _steps(path), f"{name} never took the old branch of {patch}"
        if patch in _OLD_BRANCH_FAILED:
            last = _events(path)[-1]["eventType"]
            assert last == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED", f"{name} ended {last}"


def _notified_parties(path: Path) -> list[str]:
    """The parties of the notices a history's ``notify`` activities wrote."""
    return [
        json.loads(base64.b64decode(payload["data"]))["party"]
        for event in _events(path)
        if (scheduled := event.get("activityTaskScheduledEventAttributes"))
        and scheduled["activityType"]["name"] == "notify"
        for payload in scheduled["input"]["payloads"]
    ]


def test_staff_notices_appear_only_behind_their_patch() -> None:
    """Before ``STAFF_NOTICE_PATCH`` only the partner was told; after it, our staff too."""
    before = _notified_parties(HISTORY_DIR / "exchange_lifecycle_claims.json")
    after = _notified_parties(HISTORY_DIR / "exchange_staff_notices.json")
    assert before and set(before) == {"RSL"}
    assert after.count("PERPUSNAS") == 2 and "BSB" in after


def test_the_oldest_history_predates_every_patch() -> None:
    assert _patches(HISTORY_DIR / "exchange_incoming_catalogued.json") == set()
    assert "notify" not in _activities(HISTORY_DIR / "exchange_incoming_catalogued.json")


async def test_a_continued_run_input_decodes_into_todays_dataclasses() -> None:
    """The state a run hands to its next run travels as JSON; the field names are the contract."""
    started = _events(HISTORY_DIR / "exchange_continued_as_new.json")[0]
    attributes = started["workflowExecutionStartedEventAttributes"]
    assert attributes["initiator"] == "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
    history = WorkflowHistory.from_json(
        "continued", (HISTORY_DIR / "exchange_continued_as_new.json").read_text()
    )
    payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [inp] = await DataConverter.default.decode(payloads, [ExchangeInput])
    assert isinstance(inp, ExchangeInput) and inp.snapshot is not None
    assert inp.snapshot.state == "received" and len(inp.snapshot.claims) == 120
    assert inp.snapshot.seq == inp.next_seq - 1 and inp.snapshot.shipped_at is not None


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    assert len(_events(path)) > 10
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=list(WORKFLOWS)).replay_workflow(history)
