"""Many partners racing for the last copies of an offer list, over HTTP, on both databases.

The race is decided by the database alone (one conditional UPDATE per item, and one on the
fund item in the same transaction): whatever the order the requests arrive in, exactly the
copies on offer are taken, no copy twice, every loser gets 409 and keeps nothing of its
request, and the fund's counters agree with the selections afterwards. A staff proposal
taking fund copies in the same moment counts against the same copies.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlmodel import Session, col, select

from services.exchange.models import FundItem
from services.exchange.offer_models import OfferItem, OfferPick, OfferSelection
from tests.conftest import Stack
from tests.support import register_partner

PARTNERS = 12


async def _fund_item(stack: Stack, free: int) -> int:
    body = {
        "title": f"Atlas Nusantara {uuid.uuid4().hex[:6]}",
        "copies": free + stack.settings.retention_copies,
    }
    r = await stack.http.post("/api/v1/deposits", json=body, headers=stack.staff)
    assert r.status_code in (200, 201), r.text
    assert r.json()["copies_available"] == free
    return int(r.json()["id"])


async def _list(stack: Stack, codes: list[str], picks: list[tuple[int, int]]) -> dict[str, Any]:
    body = {
        "title": "Race",
        "partners": codes,
        "items": [{"fund_item_id": i, "copies": c} for i, c in picks],
    }
    r = await stack.http.post("/api/v1/offer-lists", json=body, headers=stack.staff)
    assert r.status_code == 201, r.text
    r = await stack.http.post(f"/api/v1/offer-lists/{r.json()['id']}/publish", headers=stack.staff)
    assert r.status_code == 200, r.text
    published: dict[str, Any] = r.json()
    return published


async def _partners(stack: Stack, n: int) -> list[tuple[str, dict[str, str]]]:
    made = await asyncio.gather(*(register_partner(stack.http, stack.staff) for _ in range(n)))
    return [(partner["code"], key) for partner, key in made]


async def _select(stack: Stack, key: dict[str, str], list_id: str, picks: dict[int, int]) -> Any:
    body = {"items": [{"item_id": i, "copies": c} for i, c in picks.items()]}
    return await stack.http.post(f"/api/v1/offer-lists/{list_id}/selection", json=body, headers=key)


def _held(stack: Stack, list_id: str) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Per item: copies the picks hold, ``copies_taken``; per fund item: ``copies_reserved``."""
    with Session(stack.engine) as session:
        items = list(session.scalars(select(OfferItem).where(col(OfferItem.list_id) == list_id)))
        picks: dict[int, int] = {i.id or 0: 0 for i in items}
        rows = session.execute(
            select(col(OfferPick.item_id), col(OfferPick.copies))
            .join(OfferSelection, col(OfferSelection.id) == col(OfferPick.selection_id))
            .where(col(OfferSelection.list_id) == list_id, col(OfferSelection.state) == "open")
        ).all()
        for item_id, copies in rows:
            picks[item_id] += copies
        reserved = {
            f.id or 0: f.copies_reserved
            for f in session.scalars(
                select(FundItem).where(col(FundItem.id).in_([i.fund_item_id for i in items]))
            )
        }
        return picks, {i.id or 0: i.copies_taken for i in items}, reserved


async def test_many_partners_racing_for_the_last_copies(stack: Stack) -> None:
    partners = await _partners(stack, PARTNERS)
    scarce, plenty = await _fund_item(stack, 3), await _fund_item(stack, 5)
    offer = await _list(stack, [code for code, _ in partners], [(scarce, 3), (plenty, 5)])
    list_id = offer["id"]
    by_fund = {i["fund_item_id"]: i["id"] for i in offer["item_list"]}
    scarce_item, plenty_item = by_fund[scarce], by_fund[plenty]

    # Everyone wants one copy of the scarce item and two of the other, all at once.
    answers = await asyncio.gather(
        *(_select(stack, key, list_id, {scarce_item: 1, plenty_item: 2}) for _, key in partners)
    )
    won = [code for (code, _), r in zip(partners, answers, strict=True) if r.status_code == 200]
    lost = [r for r in answers if r.status_code != 200]
    assert all(r.status_code == 409 for r in lost), [r.text for r in lost]
    assert all(r.json()["type"] == "/problems/copies-not-available" for r in lost)
    # Five copies in twos: two partners get theirs; the scarce item could have served three.
    assert len(won) == 2
    # A loser keeps nothing of its refused request, not even the copy that was free.
    loser_key = next(key for code, key in partners if code not in won)
    seen = (await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=loser_key)).json()
    assert seen["selection"] is None
    assert {i["id"]: i["copies_available"] for i in seen["item_list"]} == {
        scarce_item: 1,
        plenty_item: 1,
    }

    # One copy of an item to each partner that has none, all at once: the copies left go.
    rest = [(code, key) for code, key in partners if code not in won]
    answers = await asyncio.gather(
        *(_select(stack, key, list_id, {scarce_item: 1}) for _, key in rest)
    )
    assert sorted(r.status_code for r in answers) == [200] + [409] * (len(rest) - 1)
    # (A selection is set whole: the one that got the copy is left out of the next race.)
    rest = [p for p, r in zip(rest, answers, strict=True) if r.status_code != 200]
    answers = await asyncio.gather(
        *(_select(stack, key, list_id, {plenty_item: 1}) for _, key in rest)
    )
    assert sorted(r.status_code for r in answers) == [200] + [409] * (len(rest) - 1)

    staff_view = (
        await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=stack.staff)
    ).json()
    selected: dict[int, int] = {scarce_item: 0, plenty_item: 0}
    for selection in staff_view["selections"]:
        for line in selection["items"]:
            selected[line["item_id"]] += line["copies"]
    assert selected == {scarce_item: 3, plenty_item: 5}
    assert {i["id"]: i["copies_available"] for i in staff_view["item_list"]} == {
        scarce_item: 0,
        plenty_item: 0,
    }
    picks, taken, reserved = await asyncio.to_thread(_held, stack, list_id)
    assert picks == taken == {scarce_item: 3, plenty_item: 5}
    assert reserved == {scarce: 3, plenty: 5}


async def test_a_proposal_and_selections_share_the_funds_copies(stack: Stack) -> None:
    partners = await _partners(stack, 6)
    fund_item = await _fund_item(stack, 3)
    offer = await _list(stack, [code for code, _ in partners], [(fund_item, 3)])
    list_id = offer["id"]
    (item,) = offer["item_list"]
    proposal_partner = partners[0][0]
    proposal = stack.http.post(
        "/api/v1/exchanges",
        json={
            "partner": proposal_partner,
            "lines": [{"title": "Atlas", "record_id": fund_item, "quantity": 2}],
        },
        headers=stack.staff,
    )
    answers = await asyncio.gather(
        proposal, *(_select(stack, key, list_id, {item["id"]: 1}) for _, key in partners)
    )
    proposed, picks = answers[0], answers[1:]
    picked = sum(r.status_code == 200 for r in picks)
    assert all(r.status_code in (200, 409) for r in picks), [r.text for r in picks]
    assert proposed.status_code in (201, 409), proposed.text
    by_proposal = 2 if proposed.status_code == 201 else 0
    # Never more than the fund has; and the fund's three copies are all taken by someone
    # unless the proposal lost (then the picks take all three).
    assert picked + by_proposal <= 3
    assert picked == (1 if by_proposal else 3)
    with Session(stack.engine) as session:
        row = session.get(FundItem, fund_item)
        assert row is not None
        free = row.copies_received - row.copies_retained - row.copies_reserved - row.copies_shipped
        assert free == 0 and row.copies_reserved == picked + by_proposal
    seen = (await stack.http.get(f"/api/v1/offer-lists/{list_id}", headers=partners[1][1])).json()
    assert seen["item_list"][0]["copies_available"] == 0
