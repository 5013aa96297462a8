"""Offer lists: ours to many partners, partners' duplicates to us, and selections from them.

One route makes both kinds of list, told apart by the caller: staff send ``OfferListIn``
(fund items; a draft, published later), a partner sends ``PartnerOfferListIn`` (its own lines;
published at once). Both bodies are in the OpenAPI document as the two choices of that route.
The rules (who may do what, the copies' race) are in the service layer, which the pages share.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import Discriminator, Tag

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS, UNAVAILABLE
from services.exchange.http.deps import AcquisitionsOrPartnerDep, CallerDep, ContextDep
from services.exchange.problems import Problem
from services.exchange.schemas.common import Page
from services.exchange.schemas.offer_lists import (
    CloseIn,
    Direction,
    ExtendIn,
    ListState,
    OfferListIn,
    OfferListOut,
    OfferListSummary,
    PartnerOfferListIn,
    SelectionIn,
    SelectionOut,
    SubmittedOut,
)
from services.exchange.service import offer_lists
from workflows.errors import N_

router = APIRouter(prefix="/offer-lists", tags=["offer lists"], responses=PROBLEMS)


def _body_kind(body: Any) -> str:
    """Which of the two bodies this is, by its items: fund items (ours) or lines (a
    partner's). Telling them apart first gives the errors of that body alone, not of both."""
    if isinstance(body, OfferListIn | PartnerOfferListIn):
        return "fund" if isinstance(body, OfferListIn) else "lines"
    items = body.get("items") if isinstance(body, dict) else None
    first = items[0] if isinstance(items, list) and items else None
    return "fund" if isinstance(first, dict) and "fund_item_id" in first else "lines"


def _example(model: type[OfferListIn] | type[PartnerOfferListIn]) -> Any:
    """The body's first example, as its schema shows it, for the route's two kinds of body."""
    extra = model.model_config.get("json_schema_extra")
    return extra["examples"][0] if isinstance(extra, dict) else None  # type: ignore[index]


ListBody = Annotated[
    Annotated[OfferListIn, Tag("fund")] | Annotated[PartnerOfferListIn, Tag("lines")],
    Discriminator(_body_kind),
]

ListId = Annotated[
    str,
    Path(
        description="The list's id, or its number (OL-2026-0007)",
        max_length=36,
        examples=["OL-2026-0007"],
    ),
]


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE)
async def create(
    body: Annotated[
        ListBody,
        Body(
            openapi_examples={
                "ours": {
                    "summary": "Staff: a draft of fund items",
                    "value": _example(OfferListIn),
                },
                "theirs": {
                    "summary": "A partner: its own duplicates, published at once",
                    "value": _example(PartnerOfferListIn),
                },
            }
        ),
    ],
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> OfferListOut:
    """Make an offer list.

    Staff (acquisitions) send fund items (``OfferListIn``): the answer is a draft, which
    ``POST /offer-lists/{id}/publish`` sends to its addressees; nothing is reserved until a
    partner selects. A partner sends its own duplicates as lines (``PartnerOfferListIn``): the
    list is published at once, its items checked against our catalogue and our wish list, and
    our staff told. A partner key sending fund items gets 403.
    """
    if isinstance(body, OfferListIn):
        return await asyncio.to_thread(
            offer_lists.create_list, ctx.engine, ctx.settings, caller, body
        )
    if caller.is_staff:
        raise Problem(
            422,
            "validation-error",
            N_("items: our lists are made of fund items (fund_item_id and copies)"),
        )
    draft = await asyncio.to_thread(
        offer_lists.create_partner_list, ctx.engine, ctx.settings, caller, body
    )
    return await offer_lists.publish(ctx, caller, draft.id)


@router.get("")
async def list_offer_lists(
    ctx: ContextDep,
    caller: CallerDep,
    state: Annotated[ListState | None, Query(description="Only lists in this state")] = None,
    direction: Annotated[
        Direction | None,
        Query(description="outgoing: our lists to partners; incoming: partners' lists to us"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OfferListSummary]:
    """The lists the key may see: staff all; a partner ours addressed to it and its own."""
    return await asyncio.to_thread(
        offer_lists.list_lists,
        ctx.engine,
        caller,
        state=state,
        direction=direction,
        limit=limit,
        offset=offset,
    )


@router.get("/{list_id}")
async def get_offer_list(
    list_id: ListId,
    ctx: ContextDep,
    caller: CallerDep,
    order: Annotated[
        Literal["profile", "position"],
        Query(
            description="profile: the items that fit the reader's profile first (then list "
            "order); position: list order"
        ),
    ] = "profile",
) -> OfferListOut:
    """One list with its items and what is left of each; the reader's own selection, wish-list
    and profile marks; for staff, every selection and, once closed, who took what."""
    return await asyncio.to_thread(
        offer_lists.read_list,
        ctx.engine,
        ctx.settings,
        caller,
        list_id,
        profile_first=order == "profile",
    )


@router.post("/{list_id}/publish", responses=UNAVAILABLE)
async def publish(
    list_id: ListId, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> OfferListOut:
    """Publish a draft to its addressees (each needs an agreement valid today), or to every
    partner with one; its workflow then announces it and closes it on its closing day."""
    return await offer_lists.publish(ctx, caller, list_id)


@router.post("/{list_id}/selection")
async def set_selection(
    list_id: ListId, body: SelectionIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> SelectionOut:
    """Set the whole selection (items left out go back): a partner on our list, our staff on a
    partner's. Copies are held at once; 409 ``copies-not-available`` when another side took
    them first, and then nothing of the request is changed."""
    return await asyncio.to_thread(offer_lists.set_selection, ctx.engine, caller, list_id, body)


@router.post(
    "/{list_id}/selection/submit", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE
)
async def submit_selection(
    list_id: ListId, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> SubmittedOut:
    """Submit the selection: it becomes one exchange, already accepted, which then runs its
    usual course from the shipment on; the other side is told."""
    return await offer_lists.submit(ctx, caller, list_id)


@router.post("/{list_id}/close", responses=UNAVAILABLE)
async def close(
    list_id: ListId,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
    body: Annotated[
        CloseIn | None,
        Body(openapi_examples={"note": {"value": {"note": "Closed early: all items taken"}}}),
    ] = None,
) -> OfferListOut:
    """Close a list before its closing day (a draft is withdrawn); selections not submitted
    give their copies back, and staff get who took what."""
    return await offer_lists.close(ctx, caller, list_id, body or CloseIn())


@router.post("/{list_id}/extend", responses=UNAVAILABLE)
async def extend(
    list_id: ListId, body: ExtendIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> OfferListOut:
    """Move the closing day of an open list (from today to a year ahead)."""
    return await offer_lists.extend(ctx, caller, list_id, body)
