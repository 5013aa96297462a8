"""The fund: depositing copies, and listing what can be offered to partners.

No prefix: copies come in under ``/deposits`` and are listed under ``/fund``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AcquisitionsDep, ContextDep, StaffDep
from services.exchange.schemas.common import Page
from services.exchange.schemas.fund import DepositIn, FundItemOut
from services.exchange.service import deposits, fund

router = APIRouter(tags=["fund"], responses=PROBLEMS)


@router.post(
    "/deposits",
    responses={201: {"description": "A new publication in the fund", "model": FundItemOut}},
)
async def deposit(
    body: DepositIn, ctx: ContextDep, caller: AcquisitionsDep, response: Response
) -> FundItemOut:
    """Register deposited copies: 201 for a new publication, 200 when added to an existing one.

    Partners whose wish lists it meets are told ("wishlist_hits" notices, by webhook and
    e-mail)."""
    item, created = await deposits.deposit(ctx, caller, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return item


@router.get("/fund")
def list_fund(
    ctx: ContextDep,
    _: StaffDep,
    q: Annotated[str | None, Query(description="Words in the title or author")] = None,
    isbn: str | None = None,
    available_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[FundItemOut]:
    """What can be offered: deposited copies beyond those retained and not yet reserved."""
    return fund.list_fund(
        ctx.engine, q=q, isbn=isbn, available_only=available_only, limit=limit, offset=offset
    )
