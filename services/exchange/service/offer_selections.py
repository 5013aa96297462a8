"""Selecting from an offer list: first come, first served, decided by the database.

A selection is set as a whole (items left out go back). Each change of an item's copies is one
conditional UPDATE of ``offer_item.copies_taken`` (and, on our lists, of the fund item's
``copies_reserved``, as ``fund.reserve`` does) in one transaction: when two partners want the
last copy at the same moment, the database lets one UPDATE match and the other match no row,
on PostgreSQL (the row lock, the condition checked again) and SQLite (one writer) alike. The
loser gets 409 ``copies-not-available`` naming the item and what is left, and nothing of its
request is changed. Before changing picks the transaction locks the list row
(``lock_list``), so a close (which updates that row) and a pick never interleave.

Submitting turns the selection into one exchange (``selection_exchanges``) and tells the other
side.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.models import FundItem
from services.exchange.offer_models import OfferItem, OfferList, OfferPick, OfferSelection
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import SelectionIn, SelectionOut, SubmittedOut
from services.exchange.service import fund, list_notices, notice_delivery
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_reads import (
    own_selection,
    selection_out,
)
from services.exchange.service.offer_list_rules import (
    OPEN,
    OUTGOING,
    RELEASED,
    SUBMITTED,
    fund_available,
    locked_selection,
    picks_of,
    selecting,
)
from services.exchange.service.selection_exchanges import start_exchange, write_exchange
from services.exchange.storage.db import session_scope
from workflows.errors import N_


def _wanted(body: SelectionIn) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for line in body.items:
        if line.item_id in wanted:
            raise Problem(
                422,
                "validation-error",
                N_("items: item {item_id} is named twice").format(item_id=line.item_id),
            )
        wanted[line.item_id] = line.copies
    return {item_id: copies for item_id, copies in wanted.items() if copies > 0}


def _not_available(
    session: Session, offer_list: OfferList, item: OfferItem, want: int, held: int
) -> Problem:
    """What the loser of a race is told: the item, and how many it could have now."""
    session.refresh(item)
    left = max(0, item.copies - item.copies_taken)
    if offer_list.direction == OUTGOING and item.fund_item_id is not None:
        fund_item = session.get(FundItem, item.fund_item_id, populate_existing=True)
        if fund_item is not None:
            left = min(left, fund.available_copies(fund_item))
    can = held + left
    return Problem(
        409,
        "copies-not-available",
        N_("item {item_id} ('{title}'): {wanted} copies wanted, {left} can be selected").format(
            item_id=item.id, title=item.title, wanted=want, left=can
        ),
        item_id=item.id,
        copies_available=can,
    )


def _move(session: Session, offer_list: OfferList, item: OfferItem, delta: int) -> bool:
    """Take (delta > 0) or give back copies of one item by conditional UPDATEs; False when
    the list or the fund has fewer left than asked (the caller rolls back)."""
    taken = session.execute(
        update(OfferItem)
        .where(
            col(OfferItem.id) == item.id,
            col(OfferItem.copies_taken) + delta <= col(OfferItem.copies),
            col(OfferItem.copies_taken) + delta >= 0,
        )
        .values(copies_taken=col(OfferItem.copies_taken) + delta)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if offer_list.direction != OUTGOING or item.fund_item_id is None:
        return True
    conditions = [col(FundItem.id) == item.fund_item_id]
    if delta > 0:
        conditions.append(fund_available() >= delta)
    reserved = session.execute(
        update(FundItem)
        .where(*conditions)
        .values(copies_reserved=col(FundItem.copies_reserved) + delta)
    )
    return bool(reserved.rowcount == 1)  # type: ignore[attr-defined]


def _set(
    engine: Engine, home: str, caller: Caller, list_id: str, wanted: dict[int, int]
) -> SelectionOut:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        offer_list, selector = selecting(session, caller, list_id)
        selection = locked_selection(session, offer_list.id, selector)
        if selection is None:
            selection = OfferSelection(
                list_id=offer_list.id, partner_id=selector, state=OPEN, updated_at=now
            )
            session.add(selection)
            session.flush()  # two first requests at once: one of them IntegrityError
        elif selection.state == SUBMITTED:
            raise Problem(
                409,
                "selection-submitted",
                N_("the selection was submitted: it became exchange {exchange}").format(
                    exchange=selection_out(session, selection, home, offer_list).exchange_number
                    or selection.exchange_id
                ),
            )
        elif selection.state == RELEASED:  # its exchange was cancelled: it starts anew
            session.execute(delete(OfferPick).where(col(OfferPick.selection_id) == selection.id))
            selection.state = OPEN
        assert selection.id is not None
        current = picks_of(session, selection.id)
        items = {
            item.id: item
            for item in session.scalars(
                select(OfferItem).where(
                    col(OfferItem.list_id) == offer_list.id,
                    col(OfferItem.id).in_(list(wanted)),
                )
            )
        }
        unknown = sorted(set(wanted) - set(items))
        if unknown:
            raise Problem(
                422,
                "unknown-item",
                N_("items: item {item_id} is not on this list").format(item_id=unknown[0]),
            )
        for item_id in sorted(set(current) | set(wanted)):
            want, held = wanted.get(item_id, 0), current.get(item_id, 0)
            if want == held:
                continue
            item = items.get(item_id) or session.get(OfferItem, item_id)
            assert item is not None
            if not _move(session, offer_list, item, want - held):
                raise _not_available(session, offer_list, item, want, held)
            if want == 0:
                session.execute(
                    delete(OfferPick).where(
                        col(OfferPick.selection_id) == selection.id,
                        col(OfferPick.item_id) == item_id,
                    )
                )
            elif held == 0:
                session.add(OfferPick(selection_id=selection.id, item_id=item_id, copies=want))
            else:
                session.execute(
                    update(OfferPick)
                    .where(
                        col(OfferPick.selection_id) == selection.id,
                        col(OfferPick.item_id) == item_id,
                    )
                    .values(copies=want)
                )
        selection.updated_at = now
        session.add(selection)
        session.flush()
        return selection_out(session, selection, home, offer_list)


def set_selection(engine: Engine, caller: Caller, list_id: str, body: SelectionIn) -> SelectionOut:
    """Set the caller's whole selection on a list; 409 when copies are gone (nothing changed).

    On a partner's list the selection is ours: staff's ``party`` is our library's code.
    """
    wanted = _wanted(body)
    home = caller.party if caller.is_staff else ""
    try:
        return _set(engine, home, caller, list_id, wanted)
    except IntegrityError:  # the caller's own first selection, made twice at the same moment
        return _set(engine, home, caller, list_id, wanted)


async def submit(ctx: Context, caller: Caller, list_id: str) -> SubmittedOut:
    """The selection becomes one exchange, already accepted; the other side is told."""
    written = await asyncio.to_thread(write_exchange, ctx.engine, ctx.settings, caller, list_id)
    await start_exchange(ctx, written)
    home = ctx.settings.home_code
    party = home if written.direction == OUTGOING else written.partner_code
    notice_id = await asyncio.to_thread(
        list_notices.record_notice,
        ctx.engine,
        party=party,
        event="selection_submitted",
        key=f"offer-list:{written.list_id}:submitted:{written.partner_code}",
        note=(
            f"{written.selector} selected {written.lines} items, {written.copies} copies from "
            f"{written.list_number}: exchange {written.exchange_number}"
        ),
        note_id="selection_submitted",
        note_params={
            "partner": written.selector,
            "list": written.list_number,
            "title": written.list_title,
            "lines": written.lines,
            "copies": written.copies,
            "exchange": written.exchange_number,
        },
        offer_list_id=written.list_id,
    )
    if notice_id is not None:
        await notice_delivery.deliver_notices(ctx, [notice_id])
    out = await asyncio.to_thread(
        _selection_now, ctx.engine, home, written.list_id, written.selector_id
    )
    return SubmittedOut(
        selection=out, exchange_id=written.exchange_id, exchange_number=written.exchange_number
    )


def _selection_now(engine: Engine, home: str, list_id: str, selector: int) -> SelectionOut:
    with Session(engine) as session:
        offer_list = session.get(OfferList, list_id)
        assert offer_list is not None
        selection = own_selection(session, offer_list, selector)
        assert selection is not None
        return selection_out(session, selection, home, offer_list)
