"""Publishing an offer list: its transaction first, then its workflow, as a proposal does.

Publishing fixes the addressees of our list (the partners named, each with an agreement valid
today, or every partner with one), checks a partner's items against our catalogue
(``holdings``), marks the items wished for (``wish_matching``) and turns the list
``published``; then the list's workflow starts, which announces the list and closes it on its
closing day. If the workflow cannot be started, the list is a draft again and the caller gets
503, as a proposal is undone when its exchange cannot start. The sides whose wish lists the
list meets get one notice each ("3 items from your wish list are offered").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from services.exchange.models import Partner
from services.exchange.offer_models import OfferItem, OfferList, OfferListAddressee, WishHit
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import OfferListOut
from services.exchange.service import (
    agreements,
    holdings,
    notice_delivery,
    wish_matching,
    wishes,
)
from services.exchange.service.context import TEMPORAL_RPC_TIMEOUT, Context
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_reads import read_list
from services.exchange.service.offer_list_rules import (
    DRAFT,
    OUTGOING,
    PUBLISHED,
    PUBLISHED_ACTION,
    UPDATED_ACTION,
    audited,
    list_fields,
    lock_list,
    not_draft,
    require_agreement,
    require_owner,
    today,
    visible,
)
from services.exchange.service.proposals import _unanswered
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_
from workflows.offerlist.types import OfferListInput, offer_list_workflow_id

# The list's workflow by name (``workflows.offerlist.workflow.OfferListWorkflow``), started
# without importing the workflow's module here.
OFFER_LIST_WORKFLOW = "OfferListWorkflow"


@dataclass
class Published:
    """What publishing wrote, for the workflow's start and the wish-list notices after it."""

    input: OfferListInput
    number: str
    title: str
    all_partners: bool
    hits: dict[int | None, int] = field(default_factory=dict)


def prepare_publish(engine: Engine, settings: Settings, caller: Caller, list_id: str) -> Published:
    """Publishing's own transaction (``publish`` then starts the workflow): addressees fixed,
    a partner's items checked against our catalogue, the list published, wishes matched."""
    with session_scope(engine) as session:
        found = visible(session, caller, list_id)
        require_owner(caller, found.direction)
        offer_list = lock_list(session, found.id, exclusive=True)
        assert offer_list is not None
        if offer_list.state != DRAFT:
            raise not_draft(offer_list.number or offer_list.id, offer_list.state)
        before = list_fields(offer_list)
        day = today()
        if offer_list.closes_on < day:
            raise Problem(
                422,
                "validation-error",
                N_("closes_on: the day has already passed; choose a new closing day"),
            )
        items = list(
            session.scalars(select(OfferItem).where(col(OfferItem.list_id) == offer_list.id))
        )
        if not items:
            raise Problem(422, "validation-error", N_("items: the list has no items"))
        if offer_list.direction == OUTGOING:
            _fix_addressees(session, offer_list, day)
        else:
            assert offer_list.partner_id is not None
            require_agreement(session, offer_list.partner_id, caller.party)
            holdings.check_items(session, items)
            session.add_all(items)
        now = datetime.now(UTC)
        offer_list.state = PUBLISHED
        offer_list.published_at = now
        session.add(offer_list)
        session.flush()
        hits = wish_matching.match_list(session, offer_list.id)
        audited(session, caller, offer_list.id, PUBLISHED_ACTION, before, list_fields(offer_list))
        return Published(
            input=OfferListInput(
                list_id=offer_list.id,
                closes_on=offer_list.closes_on.isoformat(),
                home=settings.home_code,
                retry_seconds=settings.webhook_retry_seconds,
            ),
            number=offer_list.number or offer_list.id,
            title=offer_list.title,
            all_partners=offer_list.all_partners,
            hits={k: v for k, v in hits.items() if v > 0},
        )


def _fix_addressees(session: Session, offer_list: OfferList, day: date) -> None:
    """The partners the list goes to, each with an agreement valid on ``day`` (else 409)."""
    if offer_list.all_partners:
        ids = list(
            session.scalars(
                select(col(Partner.id))
                .where(agreements.valid_to_on(day).is_not(None))
                .order_by(col(Partner.code))
            )
        )
        if not ids:
            raise Problem(
                409,
                "no-agreement",
                N_("no partner has a material-exchange agreement valid on {day}").format(
                    day=day.isoformat()
                ),
            )
        session.add_all(
            OfferListAddressee(list_id=offer_list.id, partner_id=i) for i in ids if i is not None
        )
        return
    chosen = list(
        session.execute(
            select(col(Partner.id), col(Partner.code))
            .join(OfferListAddressee, col(OfferListAddressee.partner_id) == col(Partner.id))
            .where(col(OfferListAddressee.list_id) == offer_list.id)
            .order_by(col(Partner.code))
        ).all()
    )
    if not chosen:
        raise Problem(422, "validation-error", N_("partners: the list has no addressees"))
    without = [code for pid, code in chosen if agreements.valid_on(session, pid, day) is None]
    if without:
        raise Problem(
            409,
            "no-agreement",
            N_("no material-exchange agreement valid on {day} with {codes}").format(
                day=day.isoformat(), codes=", ".join(without)
            ),
        )


def _unpublish(engine: Engine, list_id: str, published: Published) -> None:
    """Undo ``prepare_publish`` (the workflow could not be started): a draft again, as it was."""
    with session_scope(engine) as session:
        offer_list = lock_list(session, list_id, exclusive=True)
        if offer_list is None or offer_list.state != PUBLISHED:
            return
        before = list_fields(offer_list)
        offer_list.state = DRAFT
        offer_list.published_at = None
        session.add(offer_list)
        if published.all_partners:
            session.execute(
                delete(OfferListAddressee).where(col(OfferListAddressee.list_id) == list_id)
            )
        session.execute(delete(WishHit).where(col(WishHit.list_id) == list_id))
        audited(
            session, None, list_id, UPDATED_ACTION, before, list_fields(offer_list), actor="system"
        )


async def publish(ctx: Context, caller: Caller, list_id: str) -> OfferListOut:
    """Publish a draft: staff ours, a partner its own; then its workflow announces it."""
    published = await asyncio.to_thread(prepare_publish, ctx.engine, ctx.settings, caller, list_id)
    real_id = published.input.list_id
    try:
        await ctx.temporal.start_workflow(
            OFFER_LIST_WORKFLOW,
            published.input,
            id=offer_list_workflow_id(real_id),
            task_queue=ctx.settings.task_queue,
            rpc_timeout=TEMPORAL_RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        pass  # an earlier publish started it after all: it serves this list
    except RPCError as exc:
        if not (_unanswered(exc) and await _started(ctx, real_id)):
            await asyncio.to_thread(_unpublish, ctx.engine, real_id, published)
            raise Problem(
                503,
                "workflow-unavailable",
                N_("the offer list could not be published: {reason}").format(reason=exc.message),
                headers={"Retry-After": "5"},
            ) from exc
    ids = await asyncio.to_thread(wishes.notify_list, ctx.engine, real_id, ctx.settings.home_code)
    if ids:
        await notice_delivery.deliver_notices(ctx, ids)
    return await asyncio.to_thread(read_list, ctx.engine, ctx.settings, caller, real_id)


async def _started(ctx: Context, list_id: str) -> bool:
    handle = ctx.temporal.get_workflow_handle(offer_list_workflow_id(list_id))
    try:
        await handle.describe(rpc_timeout=TEMPORAL_RPC_TIMEOUT)
    except RPCError:
        return False
    return True
