"""API keys: staff keys with a role, partner keys, and rotating a partner's key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.exchange.schemas.common import Code, Moment, RequestModel

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
    expires_at: Moment | None = None


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

    overlap_hours: Annotated[int, Field(ge=0, le=24 * 90)] = 24
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
