"""Exchanges: proposing one, reading them (with ETags), and each step of their course.

Every step waits for the exchange's workflow to record it, so each can answer 503 when
Temporal does not; the reads come from the database and the read cache only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from services.exchange.api.conditional import NOT_MODIFIED, json_answer
from services.exchange.api.params import Limit, Offset, ProposedIn
from services.exchange.api.problem_responses import PROBLEMS, UNAVAILABLE
from services.exchange.http.deps import AcquisitionsOrPartnerDep, CallerDep, ContextDep
from services.exchange.schemas.common import Page
from services.exchange.schemas.exchanges import (
    CancelIn,
    ClaimAnswerIn,
    ClaimConfirmIn,
    DecisionIn,
    ExchangeOut,
    ExchangeSummary,
    LostIn,
    ProposalIn,
    ReceiptIn,
    RevisionIn,
    ShipmentIn,
)
from services.exchange.service import exchange_queries, proposals, steps

router = APIRouter(prefix="/exchanges", tags=["exchanges"], responses=PROBLEMS)


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE)
async def propose(
    body: ProposalIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """Propose an exchange: staff to a partner (outgoing), or a partner to us (incoming)."""
    return await proposals.propose(ctx, caller, body)


@router.get("", responses=NOT_MODIFIED, response_model=Page[ExchangeSummary])
async def list_exchanges(
    request: Request,
    ctx: ContextDep,
    caller: CallerDep,
    state: Annotated[str | None, Query(description="Only exchanges in this state")] = None,
    partner: Annotated[str | None, Query(description="Only exchanges with this partner")] = None,
    direction: Annotated[
        Literal["outgoing", "incoming"] | None,
        Query(description="Seen from the caller: outgoing means the caller sends"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words that must each be in a line's title, author or ISBN (hyphens "
            "ignored) or in the exchange's number (EX-2026-0042, or part of it), or begin the "
            "exchange's id; case does not matter",
        ),
    ] = None,
    year: ProposedIn = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Exchanges the key may see, newest first; an ETag comes with each page."""
    query = exchange_queries.ListQuery(
        state=state,
        partner=partner,
        direction=direction,
        year=year,
        q=q,
        limit=limit,
        offset=offset,
    )
    return json_answer(request, await exchange_queries.list_answer(ctx, caller, query))


@router.get("/{exchange_id}", responses=NOT_MODIFIED, response_model=ExchangeOut)
async def get_exchange(
    request: Request,
    exchange_id: Annotated[
        str,
        Path(
            description="The exchange's id, or its number (EX-2026-0042, in any case)",
            examples=["EX-2026-0042"],
        ),
    ],
    ctx: ContextDep,
    caller: CallerDep,
) -> Response:
    """One exchange with its lines, history, claims and MARC batches, with an ETag.

    The exchange is found by its id or by its number, as people quote it on the phone or read
    it on a parcel; the answer is the same either way.
    """
    return json_answer(request, await exchange_queries.view_answer(ctx, caller, exchange_id))


@router.post("/{exchange_id}/decision", responses=UNAVAILABLE)
async def decide(
    exchange_id: str, body: DecisionIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The recipient accepts some or all lines (with quantities) or declines with a reason."""
    return await steps.decide(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/shipment", responses=UNAVAILABLE)
async def ship(
    exchange_id: str, body: ShipmentIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender records the dispatch of the accepted lines."""
    return await steps.ship(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/receipt", responses=UNAVAILABLE)
async def receive(
    exchange_id: str, body: ReceiptIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The recipient records what arrived; lines not listed count as not received."""
    return await steps.receive(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/revision", responses=UNAVAILABLE)
async def revise(
    exchange_id: str, body: RevisionIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender replaces the offered lines while the proposal is undecided."""
    return await steps.revise(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/cancel", responses=UNAVAILABLE)
async def cancel(
    exchange_id: str, body: CancelIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """Either side cancels before shipment; reserved copies go back to the fund."""
    return await steps.cancel(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/lost", responses=UNAVAILABLE)
async def mark_lost(
    exchange_id: str, body: LostIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> ExchangeOut:
    """The sender marks a shipment lost after two claims for an overdue receipt."""
    return await steps.mark_lost(ctx, caller, exchange_id, body)


@router.post("/{exchange_id}/claims/{claim_no}/answer", responses=UNAVAILABLE)
async def answer_claim(
    exchange_id: str,
    claim_no: str,
    body: ClaimAnswerIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> ExchangeOut:
    """The sender answers a claim for missing or damaged copies: resend or write off."""
    return await steps.answer_claim(ctx, caller, exchange_id, claim_no, body)


@router.post("/{exchange_id}/claims/{claim_no}/confirm", responses=UNAVAILABLE)
async def confirm_claim(
    exchange_id: str,
    claim_no: str,
    body: ClaimConfirmIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> ExchangeOut:
    """The recipient confirms that resent copies arrived, which settles the claim."""
    return await steps.confirm_claim(ctx, caller, exchange_id, claim_no, body)
