"""The audit trail: who changed partners, agreements, keys, users and deposits, and how.

Admin keys only: the trail names every staff member and key that changed anything.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.exchange.api.params import Limit, Offset
from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AdminDep, ContextDep
from services.exchange.problems import Problem
from services.exchange.schemas.audit import AuditEntryOut, Entity
from services.exchange.schemas.common import Page
from services.exchange.service import audit

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEMS)

# Text with a pattern, not ``date``: pydantic would take ``0`` as a day (seconds since 1970).
Day = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="A day in UTC (YYYY-MM-DD), from 1950 to 2200, included",
    ),
]
_FIRST_DAY, _LAST_DAY = date(1950, 1, 1), date(2200, 12, 31)


@router.get("")
def list_audit(
    ctx: ContextDep,
    _: AdminDep,
    entity: Entity | None = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An actor as written (staff:user-3, a partner's code), "
            "or part of their name",
        ),
    ] = None,
    since: Day = None,
    until: Day = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntryOut]:
    """Changes newest first, each with who made it, when, and the fields before and after."""
    first, last = _day("since", since), _day("until", until)
    query = audit.AuditQuery(
        entity=entity, actor=actor or None, since=first, until=last, limit=limit, offset=offset
    )
    return audit.entries(ctx.engine, query)


def _day(name: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Problem(422, "validation-error", f"{name}: not a day of the calendar") from None
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise Problem(422, "validation-error", f"{name}: a day from 1950 to 2200")
    return day
