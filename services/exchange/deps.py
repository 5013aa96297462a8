"""FastAPI dependencies: the shared context and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.exchange.problems import Problem
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller, authenticate

_bearer = HTTPBearer(auto_error=False, description="A staff key or a partner's API key.")


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(
            401,
            "unauthorized",
            "send your API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    ctx = get_context(request)
    caller = authenticate(
        ctx.engine, credentials.credentials, ctx.settings.admin_token, ctx.settings.home_code
    )
    if caller is None:
        raise Problem(
            401,
            "unauthorized",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.key_id = caller.key_id
    return caller


def get_staff(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if not caller.is_staff:
        raise Problem(403, "staff-only", "this action needs a staff key")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
StaffDep = Annotated[Caller, Depends(get_staff)]
ContextDep = Annotated[Context, Depends(get_context)]
