"""Standing serial exchanges: titles per partner, their issues, check-in, claims, dispatches.

Thin routes: the rules (who may do what, the conditional UPDATEs, the ledger) are in the
service layer (``service/serials.py``, ``serial_issues.py``, ``serial_dispatches.py``), which the
pages share. After a change that may move the title's timers the route pokes its workflow
(``serial_runs.poke``); a new title is registered with its run (``serial_runs.register``: a
title whose run cannot be started is taken back, 503, so that a retry registers it again).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import ConfigDict, Field

from services.exchange.api.problem_responses import PROBLEMS, UNAVAILABLE
from services.exchange.http.deps import (
    AcquisitionsDep,
    AcquisitionsOrPartnerDep,
    CallerDep,
    ContextDep,
)
from services.exchange.schemas.common import Code, EventDay, RequestModel
from services.exchange.schemas.serials import (
    CheckInIn,
    ClaimAnswerIn,
    Direction,
    DispatchIn,
    DispatchOut,
    DueOut,
    IssueAddIn,
    IssueEditIn,
    IssueOut,
    ReceiptIn,
    ReviewIn,
    SerialChangeIn,
    SerialEndIn,
    SerialIn,
    SerialOut,
    TitleState,
)
from services.exchange.service import (
    notice_delivery,
    serial_dispatches,
    serial_issues,
    serial_runs,
    serials,
)
from services.exchange.service.context import Context

router = APIRouter(prefix="/serials", tags=["serials"], responses=PROBLEMS)
partner_router = APIRouter(prefix="/partners/{code}/serials", tags=["serials"], responses=PROBLEMS)
dispatch_router = APIRouter(prefix="/serial-dispatches", tags=["serials"], responses=PROBLEMS)

SerialId = Annotated[int, Path(description="The serial title's id", ge=1, le=2_147_483_647)]
IssueId = Annotated[int, Path(description="The issue's id", ge=1, le=2_147_483_647)]
DispatchId = Annotated[int, Path(description="The dispatch's id", ge=1, le=2_147_483_647)]


class SentIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sent_on": "2026-11-20"}, {}]}
    )

    sent_on: EventDay | None = Field(default=None, description="The day it left; left out: today")


async def _poke(ctx: Context, serial_id: int, reason: str) -> None:
    await serial_runs.poke(ctx, serial_id, reason)


@partner_router.post("", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE)
async def create_serial(
    code: Code, body: SerialIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> SerialOut:
    """Register a title one side sends the other every year (staff, or the partner itself).

    The frequency and numbering must describe a year of issues (422 with the reason); the ISSN
    is validated and stored as ``NNNN-NNNX``; one title per partner, ISSN and direction (409);
    an agreement valid today is needed (409). Its workflow is started: it claims what we
    receive when late and reminds staff of the yearly review.
    """
    return await serial_runs.register(ctx, caller, code, body)


@partner_router.get("/due")
async def due_out(code: Code, ctx: ContextDep, caller: AcquisitionsDep) -> DueOut:
    """Our issues owed to the partner: expected by today, still awaited, in no dispatch."""
    return await asyncio.to_thread(serial_dispatches.due_out, ctx.engine, caller, code)


@router.get("")
async def list_serials(
    ctx: ContextDep,
    caller: CallerDep,
    partner: Annotated[Code | None, Query(description="Only this partner's titles")] = None,
    direction: Annotated[
        Direction | None, Query(description="outgoing: we send; incoming: we receive")
    ] = None,
    state: Annotated[TitleState | None, Query(description="Only titles in this state")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="An ISSN, or words of the title")
    ] = None,
) -> list[SerialOut]:
    """The titles the key may see: staff all, a partner its own (both directions)."""
    return await asyncio.to_thread(
        serials.list_serials, ctx.engine, caller, partner, direction, state, q
    )


@router.post("/check-in")
async def check_in(body: CheckInIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep) -> IssueOut:
    """Check in an issue by its ISSN and number as printed (typed or scanned): the oldest
    open issue that matches is received. Staff check in what we receive, a partner what we
    send it; 404 says what was not found."""
    out = await asyncio.to_thread(serial_issues.check_in, ctx.engine, caller, body)
    await _poke(ctx, out.serial_id, "receipt")
    return out


@router.get("/{serial_id:int}")
async def get_serial(serial_id: SerialId, ctx: ContextDep, caller: CallerDep) -> SerialOut:
    return await asyncio.to_thread(serials.get_serial, ctx.engine, caller, serial_id)


@router.patch("/{serial_id:int}")
async def change_serial(
    serial_id: SerialId, body: SerialChangeIn, ctx: ContextDep, caller: AcquisitionsDep
) -> SerialOut:
    """Change a title's name, copies, grace periods or note (staff)."""
    out = await asyncio.to_thread(serials.change_serial, ctx.engine, caller, serial_id, body)
    await _poke(ctx, serial_id, "changed")
    return out


@router.post("/{serial_id:int}/end")
async def end_serial(
    serial_id: SerialId, body: SerialEndIn, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> SerialOut:
    """End the exchange of a title. A partner may say it no longer wants a title it receives
    (``not_wanted``); staff give any reason, and ``renamed`` registers the successor title
    (``successor_id``), whose workflow starts. The other side is told."""
    told: list[int] = []
    out = await asyncio.to_thread(
        serials.end_serial,
        ctx.engine,
        caller,
        serial_id,
        body,
        home=ctx.settings.home_code,
        told=told,
    )
    await _poke(ctx, serial_id, "ended")
    if out.successor_id is not None:
        await serial_runs.start_successor(ctx, caller, out.successor_id)
    await notice_delivery.deliver_notices(ctx, told)
    return out


@router.post("/{serial_id:int}/review")
async def review(
    serial_id: SerialId, body: ReviewIn, ctx: ContextDep, caller: AcquisitionsDep
) -> SerialOut:
    """The yearly review (staff): confirm the exchange for a year, with new copies if given,
    or end it. A title not confirmed for the next year ends at this year's end."""
    out = await asyncio.to_thread(serials.review, ctx.engine, caller, serial_id, body)
    await _poke(ctx, serial_id, "review")
    return out


@router.get("/{serial_id:int}/issues")
async def list_issues(
    serial_id: SerialId,
    ctx: ContextDep,
    caller: CallerDep,
    year: Annotated[
        int | None, Query(ge=1950, le=2099, description="Left out: every year written")
    ] = None,
) -> list[IssueOut]:
    """The title's issues: expected, claimed, received or skipped, with claims and answers.
    A year not yet started is predicted and shown."""
    return await asyncio.to_thread(serial_issues.list_issues, ctx.engine, caller, serial_id, year)


@router.post("/{serial_id:int}/issues", status_code=status.HTTP_201_CREATED)
async def add_issue(
    serial_id: SerialId, body: IssueAddIn, ctx: ContextDep, caller: AcquisitionsDep
) -> IssueOut:
    """Add an issue the prediction does not know (a supplement, an extra number; staff)."""
    out = await asyncio.to_thread(serial_issues.add_issue, ctx.engine, caller, serial_id, body)
    await _poke(ctx, serial_id, "issue added")
    return out


@router.patch("/{serial_id:int}/issues/{issue_id}")
async def edit_issue(
    serial_id: SerialId,
    issue_id: IssueId,
    body: IssueEditIn,
    ctx: ContextDep,
    caller: AcquisitionsDep,
) -> IssueOut:
    """Correct the prediction (staff): skip an issue, move its expected day, its copies."""
    out = await asyncio.to_thread(
        serial_issues.edit_issue, ctx.engine, caller, serial_id, issue_id, body
    )
    await _poke(ctx, serial_id, "issue edited")
    return out


@router.post("/{serial_id:int}/issues/{issue_id}/receipt")
async def record_receipt(
    serial_id: SerialId,
    issue_id: IssueId,
    body: ReceiptIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> IssueOut:
    """An issue arrived: staff for what we receive, the partner for what we send it. Damaged
    copies are recorded as such; a second receipt of the issue counts duplicates."""
    out = await asyncio.to_thread(
        serial_issues.record_receipt, ctx.engine, caller, serial_id, issue_id, body
    )
    await _poke(ctx, serial_id, "receipt")
    return out


@router.post("/{serial_id:int}/issues/{issue_id}/claim")
async def claim_issue(
    serial_id: SerialId, issue_id: IssueId, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> IssueOut:
    """A partner claims an issue of a title we send it that has not arrived (at most twice,
    once it is due); our staff are told."""
    told: list[int] = []
    out = await asyncio.to_thread(
        serial_issues.claim_issue,
        ctx.engine,
        caller,
        serial_id,
        issue_id,
        home=ctx.settings.home_code,
        told=told,
    )
    await notice_delivery.deliver_notices(ctx, told)
    return out


@router.post("/{serial_id:int}/issues/{issue_id}/claim-answer")
async def answer_claim(
    serial_id: SerialId,
    issue_id: IssueId,
    body: ClaimAnswerIn,
    ctx: ContextDep,
    caller: AcquisitionsOrPartnerDep,
) -> IssueOut:
    """The sender answers a claim: "sent" (on ``sent_on``), "not_yet_published" (both move
    the next claim on), "will_not_be_published" (skipped) or "ceased" (the title ends)."""
    out = await asyncio.to_thread(
        serial_issues.answer_claim, ctx.engine, caller, serial_id, issue_id, body
    )
    await _poke(ctx, serial_id, "claim answered")
    return out


@dispatch_router.post("", status_code=status.HTTP_201_CREATED)
async def create_dispatch(
    body: DispatchIn, ctx: ContextDep, caller: AcquisitionsDep
) -> DispatchOut:
    """Gather due issues of one partner into a dispatch (a draft, to print and mark sent)."""
    return await asyncio.to_thread(serial_dispatches.create_dispatch, ctx.engine, caller, body)


@dispatch_router.get("")
async def list_dispatches(
    ctx: ContextDep,
    caller: CallerDep,
    partner: Annotated[Code | None, Query(description="Only this partner's dispatches")] = None,
) -> list[DispatchOut]:
    """Staff see every dispatch; a partner its own once sent."""
    return await asyncio.to_thread(serial_dispatches.list_dispatches, ctx.engine, caller, partner)


@dispatch_router.get("/{dispatch_id}")
async def get_dispatch(dispatch_id: DispatchId, ctx: ContextDep, caller: CallerDep) -> DispatchOut:
    return await asyncio.to_thread(serial_dispatches.get_dispatch, ctx.engine, caller, dispatch_id)


@dispatch_router.post("/{dispatch_id}/sent")
async def mark_sent(
    dispatch_id: DispatchId,
    ctx: ContextDep,
    caller: AcquisitionsDep,
    body: Annotated[
        SentIn | None,
        Body(
            openapi_examples={
                "on a day": {"value": {"sent_on": "2026-11-20"}},
                "today": {"value": {}},
            }
        ),
    ] = None,
) -> DispatchOut:
    """The dispatch went out (on ``sent_on``, today if left out); the partner is told."""
    told: list[int] = []
    out = await asyncio.to_thread(
        serial_dispatches.mark_sent,
        ctx.engine,
        caller,
        dispatch_id,
        body.sent_on if body is not None else None,
        told=told,
    )
    await notice_delivery.deliver_notices(ctx, told)
    return out


@dispatch_router.post("/{dispatch_id}/confirm")
async def confirm_dispatch(
    dispatch_id: DispatchId, ctx: ContextDep, caller: AcquisitionsOrPartnerDep
) -> DispatchOut:
    """The partner received the dispatch: every issue of it is received and counted."""
    out = await asyncio.to_thread(
        serial_dispatches.confirm_dispatch, ctx.engine, caller, dispatch_id
    )
    for serial_id in sorted({i.serial_id for i in out.issues}):
        await _poke(ctx, serial_id, "receipt")
    return out
