"""Closing an offer list, moving its closing day, and copies that come back to it.

A list closes once: at its closing day (the workflow's timer) or when staff close it early
(the workflow's ``close`` update); both end in ``close_list``, which the workflow's activity
calls. It turns the list ``closed`` by one conditional UPDATE, gives back the copies of
selections still open (on the list and, for ours, in the fund), and stores who took what; a
second call (a retried activity) finds the list closed and answers the stored summary.

A submitted selection became an exchange. When that exchange is cancelled (or declined or
expired) before shipment, the projection releases its fund copies and calls
``return_copies`` in the same transaction: on a list still open the copies are on offer
again; on a closed one they are only back in the fund.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.exchange.models import Exchange, FundItem, Partner
from services.exchange.offer_models import OfferItem, OfferList, OfferSelection
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import CloseIn, ExtendIn, OfferListOut
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_reads import (
    read_list,
)
from services.exchange.service.offer_list_rules import (
    CLOSED,
    CLOSED_ACTION,
    DRAFT,
    OPEN,
    OUTGOING,
    PUBLISHED,
    RELEASED,
    SUBMITTED,
    UPDATED_ACTION,
    WITHDRAWN,
    WITHDRAWN_ACTION,
    audited,
    closing_day,
    list_fields,
    lock_list,
    picks_of,
    require_owner,
    visible,
)
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.exchange.types import CANCELLED, DECLINED, EXPIRED
from workflows.offerlist.types import (
    ERR_INVALID_CLOSING_DAY,
    ERR_LIST_CLOSED,
    CloseRequest,
    ExtendRequest,
    OfferListStatus,
    offer_list_workflow_id,
)

# Seconds a close or an extension may take, as an exchange's step (``steps.STEP_DEADLINE``).
UPDATE_DEADLINE = 20.0
# The list workflow's updates, by name: this module is imported by the projection, which the
# worker's activities import, so it does not import the workflow's module (nor ``steps``).
CLOSE_UPDATE = "close"
EXTEND_UPDATE = "extend"

# Exchange states in which a selection's copies are no longer on their way to the partner.
_UNDONE = frozenset({CANCELLED, DECLINED, EXPIRED})


def release_picks(session: Session, offer_list: OfferList, selection: OfferSelection) -> int:
    """Give back what a selection holds: ``copies_taken`` of its items and, on our lists, the
    fund copies its picks reserved. The selection is ``released``; returns the copies."""
    assert selection.id is not None
    picks = picks_of(session, selection.id)
    funds = _fund_items(session, list(picks))
    for item_id in sorted(picks):
        copies = picks[item_id]
        session.execute(
            update(OfferItem)
            .where(col(OfferItem.id) == item_id)
            .values(copies_taken=col(OfferItem.copies_taken) - copies)
        )
        fund_item_id = funds.get(item_id)
        if offer_list.direction == OUTGOING and fund_item_id is not None:
            session.execute(
                update(FundItem)
                .where(col(FundItem.id) == fund_item_id)
                .values(copies_reserved=col(FundItem.copies_reserved) - copies)
            )
    selection.state = RELEASED
    selection.updated_at = datetime.now(UTC)
    session.add(selection)
    return sum(picks.values())


def _fund_items(session: Session, item_ids: list[int]) -> dict[int, int | None]:
    if not item_ids:
        return {}
    rows = session.execute(
        select(col(OfferItem.id), col(OfferItem.fund_item_id)).where(
            col(OfferItem.id).in_(item_ids)
        )
    ).all()
    return {int(i): f for i, f in rows}


def close_list(engine: Engine, list_id: str, actor: str, at: datetime) -> dict[str, Any]:
    """Close a published list (idempotent): open selections released, the summary stored.

    Raises LookupError for an unknown list and ValueError for one that was never published
    (a draft or a withdrawn one has nothing to close); both are bugs of the caller.
    """
    with session_scope(engine) as session:
        closed = session.execute(
            update(OfferList)
            .where(col(OfferList.id) == list_id, col(OfferList.state) == PUBLISHED)
            .values(state=CLOSED, closed_at=at, closed_by=actor[:64])
        )
        offer_list = session.get(OfferList, list_id, populate_existing=True)
        if offer_list is None:
            raise LookupError(f"offer list {list_id} is not in the database")
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            if offer_list.state == CLOSED and offer_list.summary is not None:
                return offer_list.summary
            raise ValueError(f"offer list {list_id} is {offer_list.state}, not published")
        before = {**list_fields(offer_list), "state": PUBLISHED, "closed_at": None}
        released: list[str] = []
        open_ones = session.scalars(
            select(OfferSelection)
            .where(col(OfferSelection.list_id) == list_id, col(OfferSelection.state) == OPEN)
            .order_by(col(OfferSelection.id))
        )
        for selection in list(open_ones):
            if release_picks(session, offer_list, selection):
                released.append(_code(session, selection.partner_id))
        session.flush()
        summary = _summary(session, offer_list, sorted(released))
        offer_list.summary = summary
        session.add(offer_list)
        audited(
            session,
            None,
            list_id,
            CLOSED_ACTION,
            before,
            {**list_fields(offer_list), "summary": summary},
            actor=actor,
        )
        return summary


def _code(session: Session, partner_id: int) -> str:
    partner = session.get(Partner, partner_id)
    return partner.code if partner else str(partner_id)


def _summary(session: Session, offer_list: OfferList, released: list[str]) -> dict[str, Any]:
    """Who took what: each submitted selection with its exchange, and the list's totals."""
    items = list(session.scalars(select(OfferItem).where(col(OfferItem.list_id) == offer_list.id)))
    taken: list[dict[str, Any]] = []
    submitted = session.scalars(
        select(OfferSelection)
        .where(
            col(OfferSelection.list_id) == offer_list.id,
            col(OfferSelection.state) == SUBMITTED,
        )
        .order_by(col(OfferSelection.submitted_at), col(OfferSelection.id))
    )
    for selection in submitted:
        assert selection.id is not None
        picks = picks_of(session, selection.id)
        partner = session.get(Partner, selection.partner_id)
        exchange = session.get(Exchange, selection.exchange_id) if selection.exchange_id else None
        taken.append(
            {
                "code": partner.code if partner else str(selection.partner_id),
                "name": partner.name if partner else "",
                "items": len(picks),
                "copies": sum(picks.values()),
                "exchange_id": selection.exchange_id,
                "exchange_number": exchange.number if exchange else None,
            }
        )
    return {
        "partners": taken,
        "items": len(items),
        "copies_offered": sum(i.copies for i in items),
        "copies_taken": sum(i.copies_taken for i in items),
        "released": released,
    }


def set_closing_day(engine: Engine, list_id: str, closes_on: date) -> None:
    """The new closing day of an open list (the workflow's ``extend`` checked it); a list
    closed meanwhile keeps its day. LookupError for a list that is not in the database."""
    with session_scope(engine) as session:
        session.execute(
            update(OfferList)
            .where(col(OfferList.id) == list_id, col(OfferList.state) == PUBLISHED)
            .values(closes_on=closes_on)
        )
        if session.get(OfferList, list_id) is None:
            raise LookupError(f"offer list {list_id} is not in the database")


def return_copies(session: Session, exchange_id: str) -> None:
    """A cancelled (declined, expired) exchange from a selection: its copies back on the list
    if the list is still published. Called in the projection's transaction, after the fund
    copies were released there; the selection is ``released`` (it may select anew)."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is None or exchange.state not in _UNDONE:
        return
    selection = session.scalars(
        select(OfferSelection).where(
            col(OfferSelection.exchange_id) == exchange_id,
            col(OfferSelection.state) == SUBMITTED,
        )
    ).first()
    if selection is None or selection.id is None:
        return
    offer_list = session.scalars(
        select(OfferList)
        .where(col(OfferList.id) == selection.list_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).first()
    if offer_list is not None and offer_list.state == PUBLISHED:
        for item_id, copies in sorted(picks_of(session, selection.id).items()):
            session.execute(
                update(OfferItem)
                .where(col(OfferItem.id) == item_id)
                .values(copies_taken=col(OfferItem.copies_taken) - copies)
            )
    selection.state = RELEASED
    selection.updated_at = datetime.now(UTC)
    session.add(selection)


# --- staff close and extend through the list's workflow ------------------------------------

_STATUS_BY_ERROR = {
    ERR_LIST_CLOSED: (409, "list-closed"),
    ERR_INVALID_CLOSING_DAY: (422, "invalid-closing-day"),
}


def _owned(engine: Engine, caller: Caller, list_id: str) -> OfferList:
    """The list, if the caller may close or extend it: staff ours, a partner its own."""
    with Session(engine) as session:
        offer_list = visible(session, caller, list_id)
    require_owner(caller, offer_list.direction)
    return offer_list


def _list_closed(offer_list: OfferList) -> Problem:
    return Problem(
        409,
        "list-closed",
        N_("offer list {number} is {state}").format(
            number=offer_list.number or offer_list.id, state=offer_list.state
        ),
    )


async def _update(ctx: Context, list_id: str, name: str, arg: Any) -> None:
    """Send an update to the list's workflow; its refusals and Temporal's faults as problems."""
    handle = ctx.temporal.get_workflow_handle(offer_list_workflow_id(list_id))
    try:
        async with asyncio.timeout(UPDATE_DEADLINE):
            await handle.execute_update(name, arg, result_type=OfferListStatus)
    except WorkflowUpdateFailedError as exc:
        cause: BaseException | None = exc.cause
        if isinstance(cause, ActivityError):
            cause = cause.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, kind = _STATUS_BY_ERROR[cause.type]
            raise Problem(status, kind, cause.message) from None
        raise Problem(
            503,
            "step-not-recorded",
            N_("the change could not be recorded, try again: {reason}").format(reason=cause),
            headers={"Retry-After": "5"},
        ) from None
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        raise Problem(
            503,
            "step-not-recorded",
            N_("the list's workflow did not confirm the change in time; it may still be made"),
            headers={"Retry-After": "5"},
        ) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(409, "list-closed", N_("the offer list is closed")) from None
        raise Problem(
            503, "workflow-unavailable", exc.message, headers={"Retry-After": "5"}
        ) from None


def _withdraw(engine: Engine, caller: Caller, list_id: str) -> bool:
    """A draft closed is withdrawn (it never had a workflow); False if it is no draft now."""
    with session_scope(engine) as session:
        offer_list = lock_list(session, list_id, exclusive=True)
        if offer_list is None or offer_list.state != DRAFT:
            return False
        before = list_fields(offer_list)
        offer_list.state = WITHDRAWN
        offer_list.closed_at = datetime.now(UTC)
        offer_list.closed_by = caller.actor[:64]
        session.add(offer_list)
        audited(session, caller, list_id, WITHDRAWN_ACTION, before, list_fields(offer_list))
        return True


async def close(ctx: Context, caller: Caller, list_id: str, body: CloseIn) -> OfferListOut:
    """Close a published list now (a draft is withdrawn); open selections are given back."""
    offer_list = await asyncio.to_thread(_owned, ctx.engine, caller, list_id)
    real_id = offer_list.id
    if offer_list.state == DRAFT and await asyncio.to_thread(
        _withdraw, ctx.engine, caller, real_id
    ):
        return await asyncio.to_thread(read_list, ctx.engine, ctx.settings, caller, real_id)
    if offer_list.state != PUBLISHED:
        raise _list_closed(offer_list)
    arg = CloseRequest(actor=caller.actor, note=body.note)
    await _update(ctx, real_id, CLOSE_UPDATE, arg)
    return await asyncio.to_thread(read_list, ctx.engine, ctx.settings, caller, real_id)


def _draft_day(engine: Engine, caller: Caller, list_id: str, closes_on: date) -> bool:
    with session_scope(engine) as session:
        offer_list = lock_list(session, list_id, exclusive=True)
        if offer_list is None or offer_list.state != DRAFT:
            return False
        before = list_fields(offer_list)
        offer_list.closes_on = closes_on
        session.add(offer_list)
        audited(session, caller, list_id, UPDATED_ACTION, before, list_fields(offer_list))
        return True


def _audit_extension(engine: Engine, caller: Caller, list_id: str, old: date) -> None:
    with session_scope(engine) as session:
        offer_list = session.get(OfferList, list_id)
        assert offer_list is not None
        before = {**list_fields(offer_list), "closes_on": old}
        audited(session, caller, list_id, UPDATED_ACTION, before, list_fields(offer_list))


async def extend(ctx: Context, caller: Caller, list_id: str, body: ExtendIn) -> OfferListOut:
    """Move the closing day of an open list (or of a draft); from today to a year ahead."""
    offer_list = await asyncio.to_thread(_owned, ctx.engine, caller, list_id)
    real_id = offer_list.id
    closes_on = closing_day(ctx.settings, body.closes_on)
    if offer_list.state == DRAFT and await asyncio.to_thread(
        _draft_day, ctx.engine, caller, real_id, closes_on
    ):
        return await asyncio.to_thread(read_list, ctx.engine, ctx.settings, caller, real_id)
    if offer_list.state != PUBLISHED:
        raise _list_closed(offer_list)
    arg = ExtendRequest(actor=caller.actor, closes_on=closes_on.isoformat())
    await _update(ctx, real_id, EXTEND_UPDATE, arg)
    await asyncio.to_thread(_audit_extension, ctx.engine, caller, real_id, offer_list.closes_on)
    return await asyncio.to_thread(read_list, ctx.engine, ctx.settings, caller, real_id)
