"""The audit trail as ``GET /api/v1/audit`` gives it: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Entity = Literal[
    "partner", "agreement", "key", "user", "deposit", "offer_list", "exchange_rate", "serial_title"
]


class FieldChange(BaseModel):
    """One field that differs between ``before`` and ``after`` (null where it was not set)."""

    field: str
    before: Any = None
    after: Any = None


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(
        description="Who acted, as exchange history names them: staff:user-3, staff:<key id>, "
        "a partner's code, or system (the server's command line)"
    )
    actor_name: str | None = Field(
        description="A web user's name, an API key's label or a partner's name, when known"
    )
    entity: Entity
    entity_key: str = Field(
        description="The partner's code, the agreement's, deposit's (fund item's) or user's id "
        "or name, the key's id"
    )
    action: str = Field(
        description="created, updated, revoked, disabled, deposited, secret_renewed or "
        "password_changed"
    )
    before: dict[str, Any] | None = Field(description="The fields before; never a secret")
    after: dict[str, Any] | None = Field(description="The fields after; never a secret")
    changes: list[FieldChange] = Field(description="The fields that differ, in order")
