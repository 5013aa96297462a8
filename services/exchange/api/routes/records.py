"""The catalogue records that MARC imports created, for staff to look up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import ContextDep, StaffDep
from services.exchange.schemas.common import Page
from services.exchange.schemas.marc import RecordOut
from services.exchange.service import cataloguing

router = APIRouter(prefix="/records", tags=["records"], responses=PROBLEMS)


@router.get("")
def list_records(
    ctx: ContextDep,
    _: StaffDep,
    isbn: str | None = None,
    q: Annotated[str | None, Query(description="Words that must all be in the title")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RecordOut]:
    return cataloguing.list_records(ctx.engine, isbn=isbn, q=q, limit=limit, offset=offset)
