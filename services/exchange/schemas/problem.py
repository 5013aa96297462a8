"""The RFC 9457 problem body, as the OpenAPI document describes every error of the API.

The bodies themselves are built in ``services.exchange.problems`` (and by the middleware, with
``send_problem``); this model only documents their shape, so that a client can generate code
for it and a fuzzer can check each error against it. Members the service leaves out when empty
(``detail``, ``errors``) are optional and never ``null``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """An optional member is left out, not sent as null: don't document a null default."""
    for member in schema.get("properties", {}).values():
        if member.get("default", ...) is None:
            del member["default"]


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(
        description="Where the invalid value is: body, query, path or header, then the field"
    )
    msg: str = Field(description="What is wrong with it")
    type: str = Field(description="Pydantic's error type, such as missing or string_too_long")


class Problem(BaseModel):
    """An error of the API (RFC 9457 problem details), served as application/problem+json."""

    model_config = ConfigDict(json_schema_extra=_no_null_defaults)

    type: str = Field(
        description="The kind of error, stable for clients to switch on: /problems/<kind>, "
        "such as /problems/not-found, or about:blank",
        examples=["/problems/not-found"],
    )
    title: str = Field(description="A short summary of the kind of error")
    status: int = Field(ge=100, le=599, description="The HTTP status code, repeated")
    detail: str | SkipJsonSchema[None] = Field(
        default=None, description="What went wrong with this request"
    )
    instance: str = Field(description="The path of the request", examples=["/api/v1/exchanges"])
    errors: list[ValidationIssue] | SkipJsonSchema[None] = Field(
        default=None,
        description="With /problems/validation-error from request validation: every invalid "
        "value, the first of which is also in detail",
    )
