"""API keys: staff and partner keys, listing and revoking them, and rotating a partner's key.

No prefix: a partner's rotation lives under its path (``/partners/{code}/keys``) while the
other routes are under ``/keys``, and all of them carry the ``keys`` tag.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.exchange.api.problem_responses import PROBLEMS
from services.exchange.http.deps import AdminDep, AdminOrPartnerDep, ContextDep
from services.exchange.schemas.keys import KeyCreated, KeyIn, KeyOut, RotateIn
from services.exchange.service import keys, partners

router = APIRouter(tags=["keys"], responses=PROBLEMS)


@router.post("/partners/{code}/keys", status_code=status.HTTP_201_CREATED)
def rotate_partner_key(
    code: str, body: RotateIn, ctx: ContextDep, caller: AdminOrPartnerDep
) -> KeyCreated:
    """A new key for the partner; its current keys keep working for ``overlap_hours`` only."""
    return partners.rotate_key(ctx.engine, caller, code, body)


@router.post("/keys", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyIn, ctx: ContextDep, caller: AdminDep) -> KeyCreated:
    """A staff key with a role, or another key for a partner; the key is shown only here."""
    return keys.create(ctx.engine, body, caller)


@router.get("/keys")
def list_keys(ctx: ContextDep, _: AdminDep, include_revoked: bool = False) -> list[KeyOut]:
    return keys.list_all(ctx.engine, include_revoked)


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(key_id: str, ctx: ContextDep, caller: AdminDep) -> Response:
    """Revoke a key at once."""
    keys.revoke(ctx.engine, key_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
