"""Selecting from an offer list: first come, first served, decided by the database.

A selection is set as a whole (items left out go back). Each change of an item's copies is one
conditional UPDATE of ``offer_item.copies_taken`` (and, on our lists, of the fund item's
``copies_reserved``, as ``fund.reserve`` does) in one transaction: when two partners want the
last copy at the same moment, the database lets one UPDATE match and the other match no row,
on PostgreSQL (the row lock, the condition checked again) and SQLite (one writer) alike. The
loser gets 409 ``copies-not-available`` naming the item and what is left, and nothing of its
request is changed. Before changing picks the transaction locks the list row
(``lock_list``), so a close (which updates that row) and a pick never interleave. The
statements are SQLAlchemy Core, built once (``offer_selection_sql``): many partners select at
the same moment, and the ORM's own work was most of each request's time.

Submitting turns the selection into one exchange (``selection_exchanges``) and tells the other
side.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.exchange.offer_models import OfferList
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import (
    SelectionIn,
    SelectionLineOut,
    SelectionOut,
    SubmittedOut,
)
from services.exchange.service import list_notices, notice_delivery
from services.exchange.service import offer_selection_sql as sql
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_reads import own_selection, selection_out
from services.exchange.service.offer_list_rules import (
    INCOMING,
    OPEN,
    OUTGOING,
    RELEASED,
    SUBMITTED,
    list_not_found,
    require_selectable,
    sees_list,
    selector_of,
)
from services.exchange.service.selection_exchanges import start_exchange, write_exchange
from services.exchange.service.writer_turn import writer_turn
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
    conn: Connection, offer_list: sql.ListRow, item_id: int, want: int, held: int
) -> Problem:
    """What the loser of a race is told: the item, and how many it could have now."""
    title, copies, taken, fund_id = sql.item_now(conn, item_id)
    left = max(0, copies - taken)
    if offer_list.direction == OUTGOING and fund_id is not None:
        in_fund = sql.fund_left(conn, fund_id)
        if in_fund is not None:
            left = min(left, in_fund)
    can = held + left
    return Problem(
        409,
        "copies-not-available",
        N_("item {item_id} ('{title}'): {wanted} copies wanted, {left} can be selected").format(
            item_id=item_id, title=title, wanted=want, left=can
        ),
        item_id=item_id,
        copies_available=can,
    )


def _selecting(conn: Connection, caller: Caller, list_id: str) -> tuple[sql.ListRow, int]:
    """The list (locked for picks) and whose selection the caller changes on it: the rules of
    ``offer_list_rules.selecting`` (404, 403, 409 list-closed), on the locked row's fields."""
    found = sql.lock_list(conn, list_id)
    if found is None or not sees_list(
        caller,
        found.direction,
        found.state,
        found.partner_id,
        lambda: sql.addressed(conn, found.id, caller.partner_id),
    ):
        raise list_not_found(list_id)
    selector = selector_of(caller, found.direction, found.partner_id)
    require_selectable(found.number or found.id, found.state, found.closes_on)
    return found, selector


class _ShortOfCopies(Exception):
    """Some item had fewer copies left than the batch of moves asked for."""


def _set(
    engine: Engine,
    home: str,
    caller: Caller,
    list_id: str,
    wanted: dict[int, int],
    *,
    one_by_one: bool,
) -> SelectionOut:
    """One transaction that sets the selection. The copies move in one batch of conditional
    UPDATEs (one round trip on PostgreSQL); if any of them matches no row (another side was
    first) the whole transaction is rolled back and made again ``one_by_one``, which finds the
    item that is short and answers 409 for it (or succeeds if copies came back meanwhile)."""
    now = datetime.now(UTC)
    with writer_turn(engine), engine.begin() as conn:
        offer_list, selector = _selecting(conn, caller, list_id)
        selection = sql.locked_selection(conn, offer_list.id, selector)
        current: dict[int, int] = {}
        if selection is None:
            selection = sql.SelectionRow(
                sql.new_selection(conn, offer_list.id, selector, OPEN, now), OPEN, None, None
            )
        elif selection.state == SUBMITTED:
            raise Problem(
                409,
                "selection-submitted",
                N_("the selection was submitted: it became exchange {exchange}").format(
                    exchange=sql.exchange_number(conn, selection.exchange_id)
                    or selection.exchange_id
                ),
            )
        elif selection.state == RELEASED:  # its exchange was cancelled: it starts anew
            sql.drop_all_picks(conn, selection.id)
        else:
            current = sql.picks(conn, selection.id)
        funds = sql.items_on_list(conn, offer_list.id, set(wanted) | set(current))
        unknown = sorted(set(wanted) - set(funds))
        if unknown:
            raise Problem(
                422,
                "unknown-item",
                N_("items: item {item_id} is not on this list").format(item_id=unknown[0]),
            )
        ours = offer_list.direction == OUTGOING
        gone: list[int] = []
        new: dict[int, int] = {}
        changed: dict[int, int] = {}
        moves: list[tuple[int, int | None, int]] = []
        for item_id in sorted(set(current) | set(wanted)):
            want, held = wanted.get(item_id, 0), current.get(item_id, 0)
            if want == held:
                continue
            fund_id = funds.get(item_id) if ours else None
            moves.append((item_id, fund_id, want - held))
            if one_by_one and not sql.move(conn, item_id, fund_id, want - held):
                raise _not_available(conn, offer_list, item_id, want, held)
            if want == 0:
                gone.append(item_id)
            elif held == 0:
                new[item_id] = want
            else:
                changed[item_id] = want
        if not one_by_one and not sql.move_all(conn, moves):
            raise _ShortOfCopies  # rolled back; the caller tries again item by item
        sql.write_picks(conn, selection.id, gone, new, changed)
        sql.touch_selection(conn, selection.id, OPEN, now)
        party = home if offer_list.direction == INCOMING else caller.party
        number = sql.exchange_number(conn, selection.exchange_id)
    return SelectionOut(
        partner=party,
        state=OPEN,
        items=[SelectionLineOut(item_id=i, copies=c) for i, c in sorted(wanted.items())],
        copies=sum(wanted.values()),
        exchange_id=selection.exchange_id,
        exchange_number=number,
        submitted_at=selection.submitted_at,
    )


def set_selection(engine: Engine, caller: Caller, list_id: str, body: SelectionIn) -> SelectionOut:
    """Set the caller's whole selection on a list; 409 when copies are gone (nothing changed).

    On a partner's list the selection is ours: staff's ``party`` is our library's code.
    """
    wanted = _wanted(body)
    home = caller.party if caller.is_staff else ""
    try:
        return _attempt(engine, home, caller, list_id, wanted)
    except IntegrityError:  # the caller's own first selection, made twice at the same moment
        return _attempt(engine, home, caller, list_id, wanted)


def _attempt(
    engine: Engine, home: str, caller: Caller, list_id: str, wanted: dict[int, int]
) -> SelectionOut:
    try:
        return _set(engine, home, caller, list_id, wanted, one_by_one=False)
    except _ShortOfCopies:
        return _set(engine, home, caller, list_id, wanted, one_by_one=True)


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
