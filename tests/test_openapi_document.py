"""The OpenAPI document is all a partner's developer needs (issue 13, item 15): served over HTTP,
checked against what the service really does on SQLite and PostgreSQL.

- every POST documents the ``Idempotency-Key`` header as the middleware reads it;
- every error response is a ``Problem`` (``application/problem+json``), faults included;
- the ``webhooks`` section lists each event the exchange workflow sends, with its signature
  headers, and the events a real partner endpoint receives match their documented schema;
- every integer a request can carry has bounds inside the database's, and is strict.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import jsonschema_rs
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.exchange.schemas.common import RequestModel
from services.exchange.schemas.partner_contacts import LIST_KINDS
from services.exchange.service import webhooks
from tests.conftest import Stack
from tests.support import lines, register_partner
from tests.test_api_access import assert_problem
from tests.webhook_receiver import Receiver

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
INT32_MAX = 2**31 - 1  # PostgreSQL's integer, the type of every integer column
WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows" / "exchange"


async def _document(stack: Stack) -> dict[str, Any]:
    r = await stack.http.get("/openapi.json")
    assert r.status_code == 200
    document: dict[str, Any] = r.json()
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator (the dialect of OpenAPI 3.1) for a schema of the document."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


# --- Idempotency-Key -----------------------------------------------------------------------


async def test_every_post_documents_the_idempotency_key_as_it_works(stack: Stack) -> None:
    document = await _document(stack)
    posts = [(path, op) for path, method, op in _operations(document) if method == "post"]
    assert len(posts) >= 17
    for path, operation in posts:
        parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
        keys = [p for p in parameters if p["name"] == "Idempotency-Key"]
        assert len(keys) == 1 and keys[0]["in"] == "header", path
        key = keys[0]
        assert not key["required"]
        assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
        for words in ("Idempotent-Replayed", "409", "422", "5xx"):
            assert words in key["description"], (path, words)
        for status, response in operation["responses"].items():
            replayed = "Idempotent-Replayed" in response.get("headers", {})
            assert replayed == (not status.startswith("5")), (path, status)
        assert "Idempotency-Key" in operation["responses"]["422"]["description"]
        assert "Idempotency-Key" in operation["responses"]["409"]["description"]
    for path, method, operation in _operations(document):
        if method != "post":
            names = [_resolve(document, p)["name"] for p in operation.get("parameters", [])]
            assert "Idempotency-Key" not in names, (method, path)

    # What the document says is what happens.
    http = stack.http
    _partner, key = await register_partner(http, stack.staff)
    for bad in ("", "k" * 256):
        r = await http.post(
            "/api/v1/exchanges", json={"lines": lines(1)}, headers={**key, "Idempotency-Key": bad}
        )
        assert_problem(r, 422, "invalid-idempotency-key")
    headers = {**key, "Idempotency-Key": "k" * 254 + uuid.uuid4().hex[:1]}
    first = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=headers)
    again = await http.post("/api/v1/exchanges", json={"lines": lines(1)}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.content == first.content
    other = await http.post("/api/v1/exchanges", json={"lines": lines(2)}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


# --- problems ------------------------------------------------------------------------------


async def test_every_error_response_is_a_problem(stack: Stack) -> None:
    document = await _document(stack)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "instance"}
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"] == {PROBLEM: {"schema": PROBLEM_REF}}, (path, status)
        # Any request may meet a database that does not answer, or a full disk.
        assert {"503", "507"} <= set(responses), (method, path)
        assert "Retry-After" in responses["503"]["headers"], (method, path)
        if path.startswith("/api/"):
            assert {"401", "404", "422"} <= set(responses), (method, path)

    # Real error bodies fit the schema.
    validator = _validator(document, PROBLEM_REF)
    http, staff = stack.http, stack.staff
    for r in (
        await http.get("/api/v1/exchanges"),
        await http.get("/api/v1/exchanges/nope", headers=staff),
        await http.get("/api/v1/exchanges", params={"limit": 0}, headers=staff),
        await http.post("/api/v1/exchanges", json={"lines": []}, headers=staff),
    ):
        assert r.headers["content-type"] == PROBLEM and r.status_code >= 400
        validator.validate(r.json())


# --- webhooks ------------------------------------------------------------------------------


def _events_the_workflow_sends() -> set[str]:
    source = "".join(path.read_text() for path in WORKFLOWS.glob("*.py"))
    return set(re.findall(r"_notify\(\s*\"([a-z_]+)\"", source))


async def test_the_webhooks_are_the_events_the_workflow_sends(stack: Stack) -> None:
    document = await _document(stack)
    sent = _events_the_workflow_sends()
    assert {"proposal", "decision", "shipment", "receipt", "claim", "completed"} <= sent
    exchange_hooks = {name for name in document["webhooks"] if name.startswith("exchange.")}
    assert exchange_hooks == {f"exchange.{event}" for event in sent}
    for name, item in document["webhooks"].items():
        if not name.startswith("exchange."):
            continue
        operation = item["post"]
        headers = {p["name"]: p for p in operation["parameters"]}
        assert set(headers) == {"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
        assert all(p["in"] == "header" and p["required"] for p in headers.values())
        assert "HMAC-SHA256" in operation["description"]
        assert "timestamp + '.' + body" in operation["description"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        validator = _validator(document, schema)
        event = {
            "id": "e.3",
            "type": name,
            "exchange_id": "e",
            "exchange_number": "EX-2026-0042",
            "state": "proposed",
            "note": None,
            "occurred_at": "2026-11-21T10:00:00+00:00",
            "links": {"exchange": "https://example.org/api/v1/exchanges/e"},
        }
        assert validator.is_valid(event), name
        assert not validator.is_valid({**event, "type": "exchange.other"}), name
        assert "2XX" in operation["responses"]


async def test_the_list_webhooks_are_the_types_the_list_notices_send(stack: Stack) -> None:
    """Every type a list or wish-list notice can go out as is documented, with its body."""
    document = await _document(stack)
    sent = {webhooks.notice_event_type(kind) for kind in LIST_KINDS} - {"offer_list.summary"}
    listed = {name for name in document["webhooks"] if not name.startswith("exchange.")}
    assert listed == sent
    for name in listed:
        operation = document["webhooks"][name]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        validator = _validator(document, schema)
        event = {
            "id": "notice.7",
            "type": name,
            "offer_list_id": "l",
            "offer_list_number": "OL-2026-0001",
            "title": "Duplicates",
            "state": "published",
            "closes_on": "2027-01-12",
            "note": None,
            "occurred_at": "2026-11-21T10:00:00+00:00",
            "links": {"offer_list": "https://example.org/api/v1/offer-lists/l"},
        }
        assert validator.is_valid(event), name
        assert not validator.is_valid({**event, "type": "offer_list.other"}), name


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver(fail_first=0).start()
    yield endpoint
    endpoint.stop()


async def test_delivered_events_match_their_documented_schema(
    stack: Stack, receiver: Receiver
) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff, webhook_url=receiver.url)
    code, secret = partner["code"], partner["webhook_secret"]

    async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        r = await http.post(url, json=body, headers=headers)
        assert r.status_code in (200, 201), r.text
        answer: dict[str, Any] = r.json()
        return answer

    # We propose, revise, and cancel: proposal, revision, cancellation.
    first = await post("/api/v1/exchanges", {"partner": code, "lines": lines(1)}, staff)
    url = f"/api/v1/exchanges/{first['id']}"
    await post(f"{url}/revision", {"lines": lines(2)}, staff)
    await post(f"{url}/cancel", {"reason": "Budget year closed"}, staff)
    # We propose and ship; the partner receives all: proposal, shipment, completed.
    second = await post("/api/v1/exchanges", {"partner": code, "lines": lines(1)}, staff)
    url, line = f"/api/v1/exchanges/{second['id']}", second["lines"][0]["id"]
    await post(f"{url}/decision", {"accept": [{"line_id": line, "quantity": 1}]}, key)
    await post(f"{url}/shipment", {"carrier": "EMS"}, staff)
    await post(f"{url}/receipt", {"lines": [{"line_id": line, "received": 1}]}, key)
    # The partner proposes and we decline: decision.
    third = await post("/api/v1/exchanges", {"lines": lines(1)}, key)
    await post(f"/api/v1/exchanges/{third['id']}/decision", {"decline": "Held already"}, staff)

    expected = ["proposal", "revision", "cancellation", "proposal", "shipment", "completed"]
    expected.append("decision")
    for _ in range(300):
        if len(receiver.accepted()) >= len(expected):
            break
        await asyncio.sleep(0.05)
    received = [r for r in receiver.requests if r.status == 200]
    assert sorted(r.event["type"] for r in received) == sorted(f"exchange.{e}" for e in expected)

    document = await _document(stack)
    for delivery in received:
        operation = document["webhooks"][delivery.event["type"]]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        _validator(document, schema).validate(delivery.event)
        for parameter in operation["parameters"]:
            value = delivery.headers[parameter["name"].lower()]
            assert re.fullmatch(parameter["schema"]["pattern"], value), parameter["name"]
        timestamp = delivery.headers["webhook-timestamp"]
        digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + delivery.body, hashlib.sha256)
        assert delivery.headers["webhook-signature"] == f"v1={digest.hexdigest()}"
        assert delivery.headers["webhook-id"] == delivery.event["id"]


# --- integers ------------------------------------------------------------------------------


def _request_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [RequestModel]
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found[1:]


def _integers(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every integer schema reachable from ``schema``."""
    schema = _resolve(document, schema)
    if schema.get("type") == "integer":
        yield schema
    for key in ("anyOf", "allOf", "oneOf"):
        for part in schema.get(key, []):
            yield from _integers(document, part)
    for part in schema.get("properties", {}).values():
        yield from _integers(document, part)
    if "items" in schema:
        yield from _integers(document, schema["items"])


async def test_every_integer_of_a_request_is_bounded_and_strict(stack: Stack) -> None:
    document = await _document(stack)
    seen = 0
    for path, method, operation in _operations(document):
        schemas = [p["schema"] for p in operation.get("parameters", []) if "schema" in p]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            schemas.append(content["schema"])
        for schema in schemas:
            for integer in _integers(document, schema):
                seen += 1
                assert {"minimum", "maximum"} <= set(integer), (method, path, integer)
                assert integer["minimum"] >= 0, (method, path, integer)
                assert integer["maximum"] <= INT32_MAX, (method, path, integer)
    assert seen >= 20

    models = _request_models()
    assert len(models) >= 15
    strict = 0
    for model in models:
        for name, field in model.model_fields.items():
            declared = Annotated.__class_getitem__(  # type: ignore[attr-defined]
                (field.annotation, *field.metadata, "as declared")
            )
            adapter: TypeAdapter[Any] = TypeAdapter(declared)
            if "integer" not in str(adapter.json_schema()):
                continue
            strict += 1
            for not_a_number in (True, False, "1", 1.0):
                try:
                    adapter.validate_python(not_a_number)
                except ValidationError:
                    continue
                pytest.fail(f"{model.__name__}.{name} takes {not_a_number!r} for a number")
    assert strict >= 15
