"""The error responses of API v1 in the OpenAPI document, each with the ``Problem`` schema.

Every router declares ``PROBLEMS`` once for all its routes; the routes that wait on Temporal add
``UNAVAILABLE``. FastAPI only puts a model into ``components`` when a route names it as a
``model``, and then documents it as ``application/json``, which these bodies are not; so the
responses refer to ``#/components/schemas/Problem`` and ``add_problem_schema`` puts the schema
there. What is sent at run time is decided by ``services.exchange.problems`` alone.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from services.exchange.problems import MEDIA_TYPE
from services.exchange.schemas.problem import Problem

Responses = dict[int | str, dict[str, Any]]

_REF_TEMPLATE = "#/components/schemas/{model}"


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": _REF_TEMPLATE.format(model=Problem.__name__)}
    return {"description": description, "content": {MEDIA_TYPE: {"schema": schema}}}


PROBLEMS: Responses = {
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
}

UNAVAILABLE: Responses = {
    503: _problem("Temporal does not answer, or could not record the step: try again")
}


def add_problem_schema(document: dict[str, Any]) -> None:
    """Put ``Problem`` and the models it uses into the document's ``components``."""
    _, definitions = models_json_schema([(Problem, "serialization")], ref_template=_REF_TEMPLATE)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in definitions.get("$defs", {}).items():
        assert name not in schemas, f"{name} is already a schema of the API"
        schemas[name] = schema
