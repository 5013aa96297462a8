"""What the cards and lists count at each stage (issue 19, item 2), over real HTTP.

7 copies offered, 4 accepted: the parcel holds 4, so every card and list that shows it from
then on says 4 accepted, not 7; once it arrived, what was received and damaged. The respond-by
date is gone once the offer is answered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Stack
from tests.support import lines, register_partner, wait_for
from tests.web_support import exchange_view, user_client


def _card(html: str, caption: str) -> str:
    """One dashboard card (its section), by its heading."""
    found = re.search(
        rf"<h2>{re.escape(caption)} <span class=\"count\">.*?</section>", html, re.DOTALL
    )
    assert found, f"no card {caption!r}"
    return found.group(0)


def _row(html: str, exchange_id: str) -> str:
    """The table row of one exchange."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*?/exchanges/{exchange_id}\".*?</tr>", html, re.DOTALL)
    assert found, f"no row for {exchange_id}"
    return found.group(0)


async def _step(
    stack: Stack, exchange_id: str, path: str, body: dict[str, Any], key: dict[str, str]
) -> None:
    r = await stack.http.post(f"/api/v1/exchanges/{exchange_id}/{path}", json=body, headers=key)
    assert r.status_code == 200, r.text


async def _respond_by_shown(web: httpx.AsyncClient, exchange_id: str) -> bool:
    page = await web.get(f"/exchanges/{exchange_id}")
    assert page.status_code == 200
    return "<dt>Respond by</dt>" in page.text


async def test_each_stage_counts_its_own_copies(stack: Stack) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    soon = datetime.now(UTC).date() + timedelta(days=3)  # a card for proposals near it
    r = await stack.http.post(
        "/api/v1/exchanges",
        json={"partner": partner["code"], "lines": lines(3, 4), "respond_by": soon.isoformat()},
        headers=stack.staff,
    )
    assert r.status_code == 201, r.text
    exchange_id = r.json()["id"]
    first, second = (line["id"] for line in (await exchange_view(stack, exchange_id))["lines"])

    async with user_client(stack, "acquisitions") as web:
        assert await _respond_by_shown(web, exchange_id)
        near = _row(
            _card((await web.get("/")).text, "Our proposals near their deadline"), exchange_id
        )
        assert "offered: 7" in near

        accept = [{"line_id": first, "quantity": 3}, {"line_id": second, "quantity": 1}]
        await _step(stack, exchange_id, "decision", {"accept": accept}, key)
        board = (await web.get("/")).text
        dispatch = _card(board, "Shipments to dispatch")
        row = _row(dispatch, exchange_id)
        assert "accepted: 4" in row and "offered: 7" not in row  # the packing list's 4
        assert "Respond by" not in dispatch  # an answered offer has no respond-by date
        listed = _row((await web.get("/exchanges", params={"state": "accepted"})).text, exchange_id)
        assert "accepted: 4" in listed
        assert 'data-label="Respond by"></td>' in listed  # the column stays, empty
        assert not await _respond_by_shown(web, exchange_id)
        facts = (await web.get(f"/exchanges/{exchange_id}")).text
        assert re.search(r'id="copy-counts".*offered: 7 · accepted: 4</dd>', facts)

        await _step(stack, exchange_id, "shipment", {"carrier": "EMS"}, stack.staff)
        receipt = [
            {"line_id": first, "received": 3, "damaged": 1},
            {"line_id": second, "received": 1},
        ]
        await _step(stack, exchange_id, "receipt", {"lines": receipt}, key)
        claimed = _row(_card((await web.get("/")).text, "Exchanges with open claims"), exchange_id)
        assert "received: 4" in claimed and "damaged: 1" in claimed
        assert "offered: 7" not in claimed

        (claim,) = (await exchange_view(stack, exchange_id))["claims"]
        await _step(
            stack,
            exchange_id,
            f"claims/{claim['claim_no']}/answer",
            {"action": "write_off"},
            stack.staff,
        )
        await wait_for(
            stack.http, f"/api/v1/exchanges/{exchange_id}", stack.staff, "state", {"completed"}
        )
        done = (await web.get("/exchanges", params={"state": "completed"})).text
        row = _row(done, exchange_id)
        assert "received: 4" in row and "damaged: 1" in row and "offered: 7" not in row
        facts = (await web.get(f"/exchanges/{exchange_id}")).text
        assert re.search(
            r'id="copy-counts".*offered: 7 · accepted: 4 · received: 4 · .*damaged: 1', facts
        )


async def test_the_portal_counts_what_we_accepted(stack: Stack) -> None:
    partner, key = await register_partner(stack.http, stack.staff)
    r = await stack.http.post("/api/v1/exchanges", json={"lines": lines(5)}, headers=key)
    assert r.status_code == 201, r.text
    exchange_id = r.json()["id"]
    (line,) = (await exchange_view(stack, exchange_id))["lines"]
    async with user_client(stack, "partner", partner["code"]) as portal:
        waiting = _card((await portal.get("/partner/")).text, "Your offers awaiting our decision")
        assert "offered: 5" in _row(waiting, exchange_id)
        await _step(
            stack,
            exchange_id,
            "decision",
            {"accept": [{"line_id": line["id"], "quantity": 2}]},
            stack.staff,
        )
        home = (await portal.get("/partner/")).text
        dispatch = _card(home, "Your shipments to dispatch")
        row = _row(dispatch, exchange_id)
        assert "accepted: 2" in row and "offered: 5" not in row
        assert "Respond by" not in dispatch
        listed = (await portal.get("/partner/exchanges")).text
        assert "accepted: 2" in _row(listed, exchange_id)
