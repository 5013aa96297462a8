"""The error responses of API v1 in the OpenAPI document, each with the ``Problem`` schema.

Every router declares ``PROBLEMS`` once for all its routes, with the storage faults (503, 507)
that ``/health`` declares too; the routes that wait on Temporal add ``UNAVAILABLE``. FastAPI
only puts a model into ``components`` when a route names it as a ``model``, and then documents
it as ``application/json``, which these bodies are not; so the responses refer to
``#/components/schemas/Problem`` and ``add_problem_schema`` puts the schema there. What is sent
at run time is decided by ``services.exchange.problems`` alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.exchange.problems import MEDIA_TYPE
from services.exchange.schemas.problem import Problem

Responses = dict[int | str, dict[str, Any]]

REF_TEMPLATE = "#/components/schemas/{model}"


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def _problem(description: str, *, retry: bool = False) -> dict[str, Any]:
    schema = {"$ref": REF_TEMPLATE.format(model=Problem.__name__)}
    response: dict[str, Any] = {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": schema}},
    }
    if retry:
        response["headers"] = _RETRY_AFTER
    return response


# The machine's faults, which any request may meet (``storage/faults.py``); a full disk can
# stop a read too, where SQLite needs room for a sort.
_DATABASE_UNAVAILABLE = "the database does not answer or takes no changes at the moment"
STORAGE: Responses = {
    503: _problem(f"Unavailable: {_DATABASE_UNAVAILABLE}; try again later", retry=True),
    507: _problem("No room left to store this (a full disk): try again later", retry=True),
}


PROBLEMS: Responses = {
    **{
        code: _problem(description)
        for code, description in {
            400: "The body cannot be read (not UTF-8 JSON, or broken multipart)",
            401: "Missing or unknown API key",
            403: "A partner key on a staff route, or a staff key without the role",
            404: "Not found, or not visible to this key",
            409: "Refused in the exchange's current state, or by the wrong side",
            413: "The body or upload is over the size limit",
            422: "The request is not valid",
        }.items()
    },
    **STORAGE,
}

UNAVAILABLE: Responses = {
    429: _problem(
        "Too many steps on this exchange at once: try again after Retry-After seconds "
        "(with the same Idempotency-Key)",
        retry=True,
    ),
    503: _problem(
        "Temporal does not answer, or could not record the step, or "
        f"{_DATABASE_UNAVAILABLE}: try again (with the same Idempotency-Key)",
        retry=True,
    ),
}


HEALTH: Responses = {
    503: _problem(
        "The database or Temporal does not answer, or the database takes no changes",
        retry=True,
    ),
    507: STORAGE[507],
}


def add_schemas(document: dict[str, Any], *models: type[BaseModel]) -> None:
    """Put ``models`` and the models they use into the document's ``components``."""
    _, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF_TEMPLATE
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in definitions.get("$defs", {}).items():
        assert name not in schemas, f"{name} is already a schema of the API"
        schemas[name] = schema


def add_problem_schema(document: dict[str, Any]) -> None:
    """Put ``Problem`` and the models it uses into the document's ``components``."""
    add_schemas(document, Problem)
