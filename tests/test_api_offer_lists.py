"""Offer lists over HTTP with the real worker and Temporal, on SQLite and PostgreSQL.

The whole path of the issue: staff make a list of fund items and publish it to three
partners; two partners select, racing for the last copy (one wins); both submit and get an
exchange each, already accepted, whose workflow then takes the usual shipment step. Around
it: what a partner may see (only lists addressed to it, never another partner's selection),
copies given back by a changed selection, a submit after the close refused, a cancelled
exchange's copies back on the open list, a partner's own list selected by our staff, and a
list whose workflow cannot start left a draft.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select
from temporalio.client import Client

from services.exchange.models import Notice
from services.exchange.problems import Problem
from services.exchange.service import offer_lists
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from tests.conftest import Stack
from tests.support import isbn13, register_partner, wait_for

PROBLEM = "application/problem+json"


async def _fund_item(stack: Stack, free: int, **fields: Any) -> dict[str, Any]:
    """A deposit with ``free`` copies in the exchange fund (beyond those the library keeps)."""
    body = {
        "title": f"Sejarah Nusantara {uuid.uuid4().hex[:6]}",
        "author": "Poesponegoro",
        "copies": free + stack.settings.retention_copies,
        **fields,
    }
    r = await stack.http.post("/api/v1/deposits", json=body, headers=stack.staff)
    assert r.status_code in (200, 201), r.text
    item: dict[str, Any] = r.json()
    assert item["copies_available"] == free
    return item


async def _available_in_fund(stack: Stack, item_id: int) -> int:
    r = await stack.http.get(
        "/api/v1/fund", params={"available_only": False, "limit": 500}, headers=stack.staff
    )
    assert r.status_code == 200, r.text
    return int(next(i for i in r.json()["items"] if i["id"] == item_id)["copies_available"])


async def _published_list(
    stack: Stack, partners: list[str], picks: list[tuple[int, int]]
) -> dict[str, Any]:
    body = {
        "title": "Duplicates, autumn",
        "note": "Indonesian history",
        "partners": partners,
        "items": [{"fund_item_id": i, "copies": c} for i, c in picks],
    }
    r = await stack.http.post("/api/v1/offer-lists", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    draft: dict[str, Any] = r.json()
    assert draft["state"] == "draft"
    r = await stack.http.post(f"/api/v1/offer-lists/{draft['id']}/publish", headers=stack.staff)
    assert r.status_code == 200, r.text
    published: dict[str, Any] = r.json()
    assert published["state"] == "published" and published["published_at"]
    return published


def _items(offer_list: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The list's items by fund item."""
    return {item["fund_item_id"]: item for item in offer_list["item_list"]}


async def _select(stack: Stack, key: dict[str, str], list_id: str, picks: dict[int, int]) -> Any:
    body = {"items": [{"item_id": i, "copies": c} for i, c in picks.items()]}
    return await stack.http.post(f"/api/v1/offer-lists/{list_id}/selection", json=body, headers=key)


async def test_a_list_to_three_partners_two_select_and_both_get_an_exchange(
    stack: Stack,
) -> None:
    http, staff = stack.http, stack.staff
    keys: dict[str, dict[str, str]] = {}
    for _ in range(3):
        partner, key = await register_partner(http, staff)
        keys[partner["code"]] = key
    first, second, third = list(keys)
    _, outsider = await register_partner(http, staff)
    atlas, last = await _fund_item(stack, 3), await _fund_item(stack, 1)
    offer = await _published_list(
        stack, [first, second, third], [(atlas["id"], 3), (last["id"], 1)]
    )
    list_id = offer["id"]
    assert sorted(offer["addressees"]) == sorted([first, second, third])
    items = _items(offer)
    atlas_item, last_item = items[atlas["id"]]["id"], items[last["id"]]["id"]
    # Publishing holds nothing: the fund still has every copy.
    assert await _available_in_fund(stack, last["id"]) == 1

    # Two partners want the one last copy at the same moment: one gets it, one gets 409.
    answers = await asyncio.gather(
        _select(stack, keys[first], list_id, {last_item: 1, atlas_item: 1}),
        _select(stack, keys[second], list_id, {last_item: 1, atlas_item: 1}),
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 409], [r.text for r in answers]
    winner, loser = (first, second) if answers[0].status_code == 200 else (second, first)
    refused = next(r for r in answers if r.status_code == 409)
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"] == "/problems/copies-not-available"
    assert refused.json()["item_id"] == last_item and refused.json()["copies_available"] == 0
    # The loser's refused request changed nothing: the atlas copy it asked for is still free.
    seen = (await http.get(f"/api/v1/offer-lists/{list_id}", headers=keys[loser])).json()
    assert {i["id"]: i["copies_available"] for i in seen["item_list"]} == {
        atlas_item: 2,
        last_item: 0,
    }
    assert seen["selection"] is None and seen["selections"] is None
    assert seen["addressees"] == [loser]
    r = await _select(stack, keys[loser], list_id, {atlas_item: 2})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "partner": loser,
        "state": "open",
        "items": [{"item_id": atlas_item, "copies": 2}],
        "copies": 2,
        "exchange_id": None,
        "exchange_number": None,
        "submitted_at": None,
    }
    assert await _available_in_fund(stack, atlas["id"]) == 0

    # A selection changed gives copies back: the loser keeps one atlas copy only.
    r = await _select(stack, keys[loser], list_id, {atlas_item: 1})
    assert r.status_code == 200 and r.json()["copies"] == 1
    assert await _available_in_fund(stack, atlas["id"]) == 1
    # A winner never sees the loser's selection, only the copies left.
    mine = (await http.get(f"/api/v1/offer-lists/{list_id}", headers=keys[winner])).json()
    assert mine["selection"]["copies"] == 2 and mine["selections"] is None
    assert {i["id"]: i["selected"] for i in mine["item_list"]} == {atlas_item: 1, last_item: 1}
    assert loser not in str(mine)

    # A partner the list is not addressed to: it does not exist, whatever it asks.
    for method, path, body in (
        ("GET", f"/api/v1/offer-lists/{list_id}", None),
        ("POST", f"/api/v1/offer-lists/{list_id}/selection", {"items": []}),
        ("POST", f"/api/v1/offer-lists/{list_id}/selection/submit", None),
    ):
        r = await http.request(method, path, json=body, headers=outsider)
        assert r.status_code == 404, (path, r.text)
    listed = (await http.get("/api/v1/offer-lists", headers=outsider, params={"limit": 500})).json()
    assert list_id not in {s["id"] for s in listed["items"]}
    listed = (
        await http.get("/api/v1/offer-lists", headers=keys[third], params={"limit": 500})
    ).json()
    assert list_id in {s["id"] for s in listed["items"]}

    # Both submit: two exchanges, already accepted, the loser's with fewer copies.
    exchanges = {}
    for code in (winner, loser):
        r = await http.post(f"/api/v1/offer-lists/{list_id}/selection/submit", headers=keys[code])
        assert r.status_code == 201, r.text
        submitted = r.json()
        assert submitted["selection"]["state"] == "submitted"
        assert submitted["exchange_number"].startswith("EX-")
        exchanges[code] = submitted["exchange_id"]
    r = await http.post(f"/api/v1/offer-lists/{list_id}/selection/submit", headers=keys[winner])
    assert r.status_code == 409
    copies = {}
    for code, exchange_id in exchanges.items():
        exchange = (await http.get(f"/api/v1/exchanges/{exchange_id}", headers=staff)).json()
        assert exchange["state"] == "accepted" and exchange["partner"] == code
        copies[code] = sum(line["accepted_quantity"] for line in exchange["lines"])
    assert copies == {winner: 2, loser: 1}
    # The workflows run the usual course from the shipment on.
    for exchange_id in exchanges.values():
        url = f"/api/v1/exchanges/{exchange_id}"
        r = await http.post(f"{url}/shipment", json={"carrier": "Pos Indonesia"}, headers=staff)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "shipped"
    # Shipped copies left the fund; the third partner can still take the last atlas copy.
    assert await _available_in_fund(stack, atlas["id"]) == 1
    assert await _available_in_fund(stack, last["id"]) == 0
    staff_view = (await http.get(f"/api/v1/offer-lists/{list_id}", headers=staff)).json()
    assert {s["partner"]: s["state"] for s in staff_view["selections"]} == {
        winner: "submitted",
        loser: "submitted",
    }


async def test_a_submit_after_the_close_is_refused_and_its_copies_go_back(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    item = await _fund_item(stack, 2)
    offer = await _published_list(stack, [partner["code"]], [(item["id"], 2)])
    list_id = offer["id"]
    (offered,) = offer["item_list"]
    r = await _select(stack, key, list_id, {offered["id"]: 2})
    assert r.status_code == 200, r.text
    assert await _available_in_fund(stack, item["id"]) == 0
    # The closing day moves through the list's workflow; a day past is refused.
    later = (date.fromisoformat(offer["closes_on"]) + timedelta(days=7)).isoformat()
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/extend", json={"closes_on": later}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert r.json()["closes_on"] == later
    r = await http.post(
        f"/api/v1/offer-lists/{list_id}/extend", json={"closes_on": "2020-01-01"}, headers=staff
    )
    assert r.status_code == 422, r.text
    r = await http.post(f"/api/v1/offer-lists/{list_id}/close", json={"note": "early"}, headers=key)
    assert r.status_code == 403
    r = await http.post(f"/api/v1/offer-lists/{list_id}/close", json={}, headers=staff)
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["state"] == "closed"
    assert closed["summary"]["released"] == [partner["code"]]
    assert closed["summary"]["partners"] == []
    assert await _available_in_fund(stack, item["id"]) == 2
    r = await http.post(f"/api/v1/offer-lists/{list_id}/selection/submit", headers=key)
    assert r.status_code == 409 and r.json()["type"] == "/problems/list-closed"
    r = await _select(stack, key, list_id, {offered["id"]: 1})
    assert r.status_code == 409
    r = await http.post(f"/api/v1/offer-lists/{list_id}/close", json={}, headers=staff)
    assert r.status_code == 409
    # The partner still sees the closed list, with its released selection.
    seen = (await http.get(f"/api/v1/offer-lists/{list_id}", headers=key)).json()
    assert seen["state"] == "closed" and seen["selection"]["state"] == "released"
    assert seen["summary"] is None


async def test_a_cancelled_exchange_puts_its_copies_back_on_the_open_list(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    item = await _fund_item(stack, 2)
    offer = await _published_list(stack, [partner["code"]], [(item["id"], 2)])
    list_id = offer["id"]
    (offered,) = offer["item_list"]
    assert (await _select(stack, key, list_id, {offered["id"]: 2})).status_code == 200
    r = await http.post(f"/api/v1/offer-lists/{list_id}/selection/submit", headers=key)
    assert r.status_code == 201, r.text
    exchange_id = r.json()["exchange_id"]
    r = await http.post(
        f"/api/v1/exchanges/{exchange_id}/cancel",
        json={"reason": "the partner's budget year closed"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled"
    url = f"/api/v1/offer-lists/{list_id}"
    deadline = asyncio.get_running_loop().time() + 30
    while True:  # the projection writes the step just after the workflow answers
        seen = (await http.get(url, headers=key)).json()
        if seen["item_list"][0]["copies_available"] == 2:
            break
        assert asyncio.get_running_loop().time() < deadline, seen
        await asyncio.sleep(0.1)
    assert seen["selection"]["state"] == "released"
    assert await _available_in_fund(stack, item["id"]) == 2
    # The copies are on offer again: the partner selects them anew.
    assert (await _select(stack, key, list_id, {offered["id"]: 1})).status_code == 200


async def test_a_partners_own_list_is_selected_by_our_staff(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    _, other = await register_partner(http, staff)
    body = {
        "title": "Дублетные издания, 2026",
        "items": [
            {"title": "История Беларуси", "author": "Ковкель, И. И.", "year": 2000, "copies": 2},
            {"title": "Минск: путеводитель", "copies": 1, "language": "rus"},
        ],
    }
    # A partner sending fund items is refused: its list is its own lines.
    r = await http.post(
        "/api/v1/offer-lists",
        json={"title": "x", "items": [{"fund_item_id": 1, "copies": 1}]},
        headers=key,
    )
    assert r.status_code == 403, r.text
    r = await http.post("/api/v1/offer-lists", json=body, headers=key)
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["state"] == "published" and offer["direction"] == "incoming"
    assert offer["partner"] == partner["code"]
    list_id = offer["id"]
    assert (await http.get(f"/api/v1/offer-lists/{list_id}", headers=other)).status_code == 404
    seen = (await http.get(f"/api/v1/offer-lists/{list_id}", headers=staff)).json()
    first = next(i for i in seen["item_list"] if i["position"] == 1)
    assert first["held"] == 0
    r = await _select(stack, key, list_id, {first["id"]: 1})
    assert r.status_code == 403
    r = await _select(stack, staff, list_id, {first["id"]: 2})
    assert r.status_code == 200, r.text
    assert r.json()["partner"] == stack.settings.home_code
    r = await http.post(f"/api/v1/offer-lists/{list_id}/selection/submit", headers=staff)
    assert r.status_code == 201, r.text
    exchange_id = r.json()["exchange_id"]
    exchange = await wait_for(http, f"/api/v1/exchanges/{exchange_id}", key, "state", {"accepted"})
    assert [line["accepted_quantity"] for line in exchange["lines"]] == [2]
    # The partner sends: the exchange is its to ship.
    r = await http.post(
        f"/api/v1/exchanges/{exchange_id}/shipment", json={"carrier": "Belpochta"}, headers=key
    )
    assert r.status_code == 200, r.text


async def test_refusals_of_lists_that_cannot_be_published(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, _ = await register_partner(http, staff)
    lapsed, lapsed_key = await register_partner(http, staff, agreement=None)
    item = await _fund_item(stack, 1)
    r = await http.post(
        "/api/v1/offer-lists",
        json={
            "title": "Refused",
            "partners": [partner["code"], lapsed["code"]],
            "items": [{"fund_item_id": item["id"], "copies": 1}],
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    r = await http.post(f"/api/v1/offer-lists/{list_id}/publish", headers=staff)
    assert r.status_code == 409 and lapsed["code"] in r.json()["detail"]
    assert (await http.get(f"/api/v1/offer-lists/{list_id}", headers=lapsed_key)).status_code == 404
    for change, kind in (
        ({"items": [{"fund_item_id": item["id"], "copies": 2}]}, "insufficient-copies"),
        ({"partners": ["NOBODY"]}, "unknown-partner"),
        ({"closes_on": "2020-01-01"}, "validation-error"),
    ):
        body = {
            "title": "Refused",
            "partners": [partner["code"]],
            "items": [{"fund_item_id": item["id"], "copies": 1}],
            **change,
        }
        r = await http.post("/api/v1/offer-lists", json=body, headers=staff)
        assert r.status_code == 422, r.text
        assert r.json()["type"] == f"/problems/{kind}"
    # A draft closed is withdrawn; it was never published, so no partner ever saw it.
    r = await http.post(f"/api/v1/offer-lists/{list_id}/close", json={}, headers=staff)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"


async def test_a_list_whose_workflow_cannot_start_is_a_draft_again(stack: Stack) -> None:
    """Temporal refusing the start (here: a namespace it does not have) is a 503, and the list
    is the draft it was, its addressees as chosen, so publishing can be tried again."""
    partner, key = await register_partner(stack.http, stack.staff)
    item = await _fund_item(stack, 1)
    body = {
        "title": "Nobody home",
        "partners": [partner["code"]],
        "items": [{"fund_item_id": item["id"], "copies": 1}],
    }
    r = await stack.http.post("/api/v1/offer-lists", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    draft = r.json()
    client = await Client.connect(
        stack.client.service_client.config.target_host, namespace="no-such-namespace"
    )
    ctx = Context(engine=stack.engine, temporal=client, settings=stack.settings)
    staff = Caller(kind="staff", key_id="test", party=stack.settings.home_code, role="admin")
    with pytest.raises(Problem) as refused:
        await offer_lists.publish(ctx, staff, draft["id"])
    assert refused.value.status == 503 and refused.value.kind == "workflow-unavailable"
    url = f"/api/v1/offer-lists/{draft['id']}"
    again = (await stack.http.get(url, headers=stack.staff)).json()
    assert again["state"] == "draft" and again["published_at"] is None
    assert again["addressees"] == [partner["code"]]
    assert (await stack.http.get(url, headers=key)).status_code == 404
    r = await stack.http.post(f"{url}/publish", headers=stack.staff)
    assert r.status_code == 200 and r.json()["state"] == "published"


async def test_a_partners_wish_on_a_published_list_is_marked_and_noticed(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    isbn = isbn13(f"978602{uuid.uuid4().int % 10**6:06d}")
    r = await http.post(
        f"/api/v1/partners/{partner['code']}/wishlist", json={"isbn": isbn}, headers=key
    )
    assert r.status_code == 201, r.text
    wished = await _fund_item(stack, 1, isbn=isbn)
    other = await _fund_item(stack, 1)
    offer = await _published_list(stack, [partner["code"]], [(wished["id"], 1), (other["id"], 1)])
    seen = (await http.get(f"/api/v1/offer-lists/{offer['id']}", headers=key)).json()
    assert seen["wishlist_hits"] == 1
    assert {i["fund_item_id"]: i["on_wishlist"] for i in seen["item_list"]} == {
        wished["id"]: True,
        other["id"]: False,
    }
    with Session(stack.engine) as session:
        notice = session.scalars(
            select(Notice).where(col(Notice.key) == f"wishes:list:{offer['id']}:{partner['code']}")
        ).one()
    assert (notice.event, notice.party, notice.offer_list_id) == (
        "wishlist_hits",
        partner["code"],
        offer["id"],
    )
    assert notice.note_params and notice.note_params["n"] == 1
