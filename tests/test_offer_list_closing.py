"""An offer list's workflow on a full stack (API over HTTP, a real worker, SQLite) with
Temporal's time-skipping server: a list published through the API warns its addressees and
closes at the start of the day after its closing day, weeks passing in a moment; the close
gives back the copies of unsubmitted selections, keeps who took what, and writes the notices.
Staff may close a list early; a closed list refuses to be closed or moved again.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from services.exchange.models import Notice
from services.exchange.offer_models import OfferList
from tests.conftest import Stack
from tests.support import closing_day, register_partner, wait_for
from workflows.offerlist.types import offer_list_workflow_id


async def _fund_item(stack: Stack, free: int) -> int:
    body = {
        "title": f"Babad Tanah Jawi {uuid.uuid4().hex[:6]}",
        "copies": free + stack.settings.retention_copies,
    }
    r = await stack.http.post("/api/v1/deposits", json=body, headers=stack.staff)
    assert r.status_code in (200, 201), r.text
    assert r.json()["copies_available"] == free
    return int(r.json()["id"])


async def _fund_available(stack: Stack, item_id: int) -> int:
    r = await stack.http.get(
        "/api/v1/fund", params={"available_only": False, "limit": 500}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    return int(next(i for i in r.json()["items"] if i["id"] == item_id)["copies_available"])


async def _published(stack: Stack, partners: list[str], item: int, closes_on: date) -> str:
    body = {
        "title": "Duplicates, winter",
        "closes_on": closes_on.isoformat(),
        "partners": partners,
        "items": [{"fund_item_id": item, "copies": 3}],
    }
    r = await stack.http.post("/api/v1/offer-lists", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    list_id = str(r.json()["id"])
    r = await stack.http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=stack.staff)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "published"
    return list_id


def _notices(stack: Stack, list_id: str) -> list[tuple[str, str, str | None]]:
    with Session(stack.engine) as session:
        rows = session.exec(
            select(Notice).where(col(Notice.offer_list_id) == list_id).order_by(col(Notice.id))
        ).all()
        return [(n.event, n.party, n.key) for n in rows]


async def _until(what: str, check: Any, timeout: float = 30.0) -> None:
    """Timers fire on the server's clock; their activities then run in real time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never happened")
        await asyncio.sleep(0.1)


async def _run_ended(stack: Stack, list_id: str) -> WorkflowExecutionStatus | None:
    handle = stack.client.get_workflow_handle(offer_list_workflow_id(list_id))
    described = await handle.describe()
    return described.status


async def test_a_published_list_warns_then_closes_at_its_day(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    http, staff, home = stack.http, stack.staff, stack.settings.home_code
    taker, taker_key = await register_partner(http, staff)
    idler, idler_key = await register_partner(http, staff)
    item = await _fund_item(stack, free=3)
    closes_on = await closing_day(skipping_env, days=10)
    list_id = await _published(stack, [taker["code"], idler["code"]], item, closes_on)
    url = f"/api/v1/offer-lists/{list_id}"

    async def published_notices() -> bool:
        return sum(1 for n in _notices(stack, list_id) if n[0] == "offer_list_published") == 2

    await _until("the published notices", published_notices)
    offered = (await http.get(url, headers=taker_key)).json()
    [line] = offered["item_list"]
    # One partner takes a copy and submits; the other holds one and never submits.
    body = {"items": [{"item_id": line["id"], "copies": 1}]}
    r = await http.post(f"{url}/selection", json=body, headers=taker_key)
    assert r.status_code == 200, r.text
    r = await http.post(f"{url}/selection/submit", headers=taker_key)
    assert r.status_code == 201, r.text
    exchange_id = r.json()["exchange_id"]
    r = await http.post(f"{url}/selection", json=body, headers=idler_key)
    assert r.status_code == 200, r.text
    assert await _fund_available(stack, item) == 1

    # Weeks pass: three days before the closing day, a warning to who has not submitted...
    now = await skipping_env.get_current_time()
    warning = datetime.combine(closes_on - timedelta(days=3), datetime.min.time(), UTC)
    await skipping_env.sleep(warning - now + timedelta(hours=1))

    async def warned() -> bool:
        return any(n[0] == "offer_list_closing" for n in _notices(stack, list_id))

    await _until("the closing soon notice", warned)
    assert (await http.get(url, headers=staff)).json()["state"] == "published"
    # ... then the close, at the start of the day after the closing day.
    await skipping_env.sleep(timedelta(days=4))
    closed = await wait_for(http, url, staff, "state", {"closed"})

    summary = closed["summary"]
    assert [(p["code"], p["copies"], p["exchange_id"]) for p in summary["partners"]] == [
        (taker["code"], 1, exchange_id)
    ]
    assert summary["released"] == [idler["code"]]
    assert (summary["copies_offered"], summary["copies_taken"]) == (3, 1)
    assert await _fund_available(stack, item) == 2, "the unsubmitted copy is back in the fund"
    with Session(stack.engine) as session:
        row = session.get(OfferList, list_id)
        assert row is not None and row.closed_by == "system" and row.closed_at is not None
        closed_at = row.closed_at.astimezone(UTC)
    midnight = datetime.combine(closes_on + timedelta(days=1), datetime.min.time(), UTC)
    assert timedelta(0) <= closed_at - midnight < timedelta(minutes=1), closed_at

    prefix = f"offer-list:{list_id}"

    async def all_written() -> bool:
        return any(n[0] == "offer_list_summary" for n in _notices(stack, list_id))

    await _until("the summary notice", all_written)
    assert sorted(_notices(stack, list_id)) == sorted(
        [
            ("offer_list_published", taker["code"], f"{prefix}:published:{taker['code']}"),
            ("offer_list_published", idler["code"], f"{prefix}:published:{idler['code']}"),
            ("selection_submitted", home, f"{prefix}:submitted:{taker['code']}"),
            ("offer_list_closing", idler["code"], f"{prefix}:closing:{idler['code']}"),
            ("offer_list_closed", taker["code"], f"{prefix}:closed:{taker['code']}"),
            ("offer_list_closed", idler["code"], f"{prefix}:closed:{idler['code']}"),
            ("offer_list_summary", home, f"{prefix}:summary:{home}"),
        ]
    )

    async def ended() -> bool:
        return await _run_ended(stack, list_id) == WorkflowExecutionStatus.COMPLETED

    await _until("the end of the list's run", ended)
    r = await http.post(f"{url}/extend", json={"closes_on": closes_on.isoformat()}, headers=staff)
    assert r.status_code == 409 and r.json()["type"] == "/problems/list-closed", r.text


async def test_staff_close_a_list_early_and_it_cannot_be_closed_again(
    skipping_stack: Stack, skipping_env: WorkflowEnvironment
) -> None:
    stack = skipping_stack
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    item = await _fund_item(stack, free=3)
    list_id = await _published(
        stack, [partner["code"]], item, await closing_day(skipping_env, days=20)
    )
    url = f"/api/v1/offer-lists/{list_id}"
    later = await closing_day(skipping_env, days=30)
    r = await http.post(f"{url}/extend", json={"closes_on": later.isoformat()}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["closes_on"] == later.isoformat()
    with Session(stack.engine) as session:
        row = session.get(OfferList, list_id)
        assert row is not None and row.closes_on == later

    r = await http.post(f"{url}/close", json={"note": "all taken by phone"}, headers=staff)
    assert r.status_code == 200, r.text
    closed = await wait_for(http, url, staff, "state", {"closed"})
    assert closed["summary"]["partners"] == [] and closed["summary"]["copies_taken"] == 0
    r = await http.post(f"{url}/close", json={}, headers=staff)
    assert r.status_code == 409 and r.json()["type"] == "/problems/list-closed", r.text
    with Session(stack.engine) as session:
        row = session.get(OfferList, list_id)
        assert row is not None and row.closed_by is not None and row.closed_by != "system"

    async def closed_notices() -> bool:
        # Each notice is its own transaction: the staff summary comes just after the close.
        events = {n[0] for n in _notices(stack, list_id)}
        return {"offer_list_closed", "offer_list_summary"} <= events

    await _until("the closed notice and the summary", closed_notices)
    events = sorted(n[0] for n in _notices(stack, list_id))
    assert events == ["offer_list_closed", "offer_list_published", "offer_list_summary"]
    r = await http.get(url, headers=key)
    assert r.status_code == 200 and r.json()["state"] == "closed"
