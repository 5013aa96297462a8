"""What the OpenAPI document says that no route declares: the Idempotency-Key of every POST, and
the webhooks a partner receives.

Both happen outside the routes. ``IdempotencyMiddleware`` (``http/idempotency.py``) reads the
header before any route runs, so no route has it as a parameter; and webhook events are sent
by the worker, not served. The document must still say all a partner's developer needs, so
``include_api`` adds them to it here, once, when FastAPI first builds it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.exchange.api.problem_responses import REF_TEMPLATE, add_schemas
from services.exchange.http.idempotency import HEADER, KEEP_FOR, WAIT_FOR_FIRST
from services.exchange.schemas.webhooks import (
    EVENT_PREFIX,
    EVENTS,
    HEADERS,
    LIST_EVENTS,
    SIGNING,
    ListWebhookEvent,
    WebhookEvent,
)

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
assert IDEMPOTENCY_KEY.lower() == HEADER

_KEPT_HOURS = int(KEEP_FOR.total_seconds() // 3600)
_WAIT_SECONDS = int(WAIT_FOR_FIRST)

_IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": (
        "Any unique text (a UUID, say) that makes a retry safe. The first request with the key "
        "runs; a repeat of it (same method, path, query and body, with the same library's key) "
        f"gets the first answer again, with `{REPLAYED}: true`, and does nothing twice, even "
        f"when the two race: a repeat waits up to {_WAIT_SECONDS} s for the first to finish, "
        "then gets 409 `/problems/idempotency-in-progress`. The same key with another request "
        "is 422 `/problems/idempotency-key-reused`; a key that is empty or longer than 255 "
        "characters is 422 `/problems/invalid-idempotency-key`. A 5xx answer is not kept, so "
        f"retry it with the same key. Keys are kept {_KEPT_HOURS} hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_REPLAYED_HEADER: dict[str, Any] = {
    "description": f"The first answer to this {IDEMPOTENCY_KEY}, given again",
    "schema": {"type": "string", "enum": ["true"]},
}
_POST_REFUSALS = {
    "409": f"; or the first request with this {IDEMPOTENCY_KEY} is still running",
    "422": f"; or the {IDEMPOTENCY_KEY} is not 1 to 255 characters, or was used with another "
    "request",
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def add_idempotency_key(document: dict[str, Any]) -> None:
    """Every POST takes the header; its answers (but a 5xx, never kept) may be replays."""
    components = document.setdefault("components", {})
    components.setdefault("parameters", {})["IdempotencyKey"] = _IDEMPOTENCY_PARAMETER
    components.setdefault("headers", {})[REPLAYED] = _REPLAYED_HEADER
    for path_item in document.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is None:
            continue
        operation["parameters"] = [
            *operation.get("parameters", []),
            _ref("parameters", "IdempotencyKey"),
        ]
        responses = operation["responses"]
        for status, response in list(responses.items()):
            if str(status).startswith("5"):
                continue
            # FastAPI shares the dicts of a router's responses between its routes: copy.
            changed = {**response, "headers": {**response.get("headers", {})}}
            changed["headers"][REPLAYED] = _ref("headers", REPLAYED)
            if str(status) in _POST_REFUSALS:
                changed["description"] += _POST_REFUSALS[str(status)]
            responses[status] = changed


_RETRIES = (
    "Any other answer, or none within 10 seconds: the event is sent again, at intervals "
    "that double up to an hour, for four days. Every attempt is listed at "
    "GET /api/v1/partners/{code}/deliveries."
)


def _webhook(name: str, description: str, model: type[BaseModel]) -> dict[str, Any]:
    body = {
        "allOf": [
            {"$ref": REF_TEMPLATE.format(model=model.__name__)},
            {"properties": {"type": {"const": name}}},
        ]
    }
    headers = [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": meaning,
            "schema": {"type": "string", "pattern": pattern},
        }
        for name, (meaning, pattern) in HEADERS.items()
    ]
    return {
        "post": {
            "summary": name,
            "description": f"{description}\n\n{SIGNING}",
            "operationId": f"webhook_{name}".replace(".", "_"),
            "tags": ["webhooks"],
            "parameters": headers,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "2XX": {"description": "Accepted: the event is not sent again"},
                "default": {"description": _RETRIES},
            },
        }
    }


def add_webhooks(document: dict[str, Any]) -> None:
    """The events POSTed to a partner's ``webhook_url`` (OpenAPI 3.1 ``webhooks``)."""
    add_schemas(document, WebhookEvent)
    add_schemas(document, ListWebhookEvent)
    document["webhooks"] = {
        f"{EVENT_PREFIX}{event}": _webhook(f"{EVENT_PREFIX}{event}", description, WebhookEvent)
        for event, description in EVENTS.items()
    } | {
        name: _webhook(name, description, ListWebhookEvent)
        for name, description in LIST_EVENTS.items()
    }
