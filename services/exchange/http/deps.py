"""FastAPI dependencies: the shared context, the authenticated caller, and role checks.

Any staff key may read what staff can read; changing something needs the role for it
(admin passes every check). A partner key reaches only the partner-facing routes.

They are ``async`` because none of them waits for anything: FastAPI runs a plain ``def``
dependency in its thread pool, a hop there and back for each one on every request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.exchange.http.auth import CALLER_KEY
from services.exchange.problems import Problem
from services.exchange.service.context import Context
from services.exchange.service.keys import ACQUISITIONS, CATALOGUER, PARTNER_ROLE, Caller

# The role rule is the service layer's (``service/roles``); routes and pages import it here.
from services.exchange.service.roles import permitted as permitted
from services.exchange.service.roles import require_role as require_role

_bearer = HTTPBearer(auto_error=False, description="A staff key or a partner's API key.")


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller the auth middleware found; the bearer scheme is declared for OpenAPI."""
    caller: Caller | None = getattr(request.state, CALLER_KEY, None)
    if caller is None:  # only reachable if a route outside /api/ asks for a caller
        raise Problem(
            401,
            "unauthorized",
            "send your API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


def allow(*roles: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets through admin and the given roles."""

    async def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        return require_role(caller, *roles)

    return check


# Who takes which steps: the API's routes and the pages use the same tuples.
LIFECYCLE_ROLES = (ACQUISITIONS, PARTNER_ROLE)
MARC_ROLES = (CATALOGUER, PARTNER_ROLE)
STAFF_ROLES = (ACQUISITIONS, CATALOGUER)
ACQUISITIONS_ROLES = (ACQUISITIONS,)  # deposits and the annual report
ADMIN_ROLES: tuple[str, ...] = ()  # admin passes every check, and only admin passes this one

CallerDep = Annotated[Caller, Depends(get_caller)]
StaffDep = Annotated[Caller, Depends(allow(*STAFF_ROLES))]
AdminDep = Annotated[Caller, Depends(allow(*ADMIN_ROLES))]
AdminOrPartnerDep = Annotated[Caller, Depends(allow(PARTNER_ROLE))]
AcquisitionsDep = Annotated[Caller, Depends(allow(*ACQUISITIONS_ROLES))]
AcquisitionsOrPartnerDep = Annotated[Caller, Depends(allow(*LIFECYCLE_ROLES))]
CataloguerOrPartnerDep = Annotated[Caller, Depends(allow(*MARC_ROLES))]
# Deciding on, committing and undoing a staged batch (``service/staging.py``).
CataloguerDep = Annotated[Caller, Depends(allow(CATALOGUER))]
ContextDep = Annotated[Context, Depends(get_context)]
