"""API keys: staff keys with a role, partner keys, and rotating a partner's key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.exchange.schemas.common import Code, KeyExpiry, RequestModel

Role = Literal["admin", "acquisitions", "cataloguer", "partner"]


class KeyIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "acquisitions", "label": "Acquisitions desk, Jakarta"},
                {"role": "partner", "partner": "NLB", "label": "NLB integration"},
            ]
        },
    )

    role: Role
    partner: Code | None = Field(default=None, description="For partner keys: the partner code")
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
    expires_at: KeyExpiry | None = Field(
        default=None,
        description="When the key stops working: from a day ago (a key that has expired "
        "already) to five years (1825 days) ahead; a time without an offset is UTC. "
        "Left out: the key works until it is revoked.",
    )


class KeyOut(BaseModel):
    id: str
    role: Role
    partner: str | None
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The API key. It is shown only in this response.")


class RotateIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"overlap_hours": 48, "label": "2027"}]}
    )

    overlap_hours: Annotated[StrictInt, Field(ge=0, le=24 * 90)] = Field(
        default=24, description="How long the partner's current keys keep working: 0 to 2160"
    )
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
