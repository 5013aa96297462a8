"""Schemathesis against the live API: every operation the OpenAPI document lists is fuzzed over
real HTTP, once with the staff (admin) key and once with a partner's key.

Every generated request must get an answer the document promises: no 5xx, a documented status
code, a documented content type, a body matching the documented schema, documented headers,
405 for methods a path does not have, and no 2xx for a request that violates the schema.
Authentication is checked on every operation that declares it, three ways:

- schemathesis's ``ignored_auth``: after a 2xx, the same request without a key and with a
  generated key must be refused;
- ``refuses_missing_and_wrong_keys``: *every* generated request (also those that got a 4xx with
  the key: malformed bodies, unknown ids) is sent again without a key, with a wrong key or with
  another scheme, one of the three in turn, and must get a 401 problem;
- ``key_is_accepted``: the pass's own, valid key is never answered with 401.

Path parameters come half from objects that exist (two partners, exchanges in several states,
a claim, a MARC batch, created before the run) and half from schemathesis, so the handlers run
on real objects and the 404 paths run too. Other parameters (a key id, say) are generated only.
Integer query parameters without a documented maximum sometimes get 2**63. If fuzzing rotates
or revokes the partner's key, a new one is issued with the staff key (``PartnerKey``).
One SQLite stack serves both passes: what is fuzzed here is the HTTP contract.

Why the API runs in a thread of its own: the ``stack`` fixture serves the app from a task in
pytest-asyncio's session event loop. That loop only turns while an async test or fixture is
awaiting, and schemathesis's pytest integration drives a *sync* test that sends blocking
requests, so calling the session loop's server from it would deadlock. This module therefore
starts its own stack (``running_stack`` from conftest: SQLite, a real worker, uvicorn on a free
port) in a background thread with its own event loop and its own Temporal client to the
session's Temporal dev server; the sync tests talk to it over real HTTP.

Why the schema is loaded from the app at import time and not from the server: schemathesis
4.32's lazy ``from_fixture`` loader fails under pytest 9 (it reads and rewrites ``Node._nodeid``,
which pytest 9 no longer has). ``schema.parametrize()`` needs the document at collection, before any
server runs, so it is built from ``create_app(...).openapi()``, the same call that serves
``/openapi.json``; ``test_the_served_document_is_the_fuzzed_one`` checks that they agree.

The run is seeded (the same requests each time) and bounded; see ``EXAMPLES_PER_OPERATION``.
The stateful phase (``test_stateful``: chains of calls that follow the links schemathesis infers
between operations, such as a proposal's id into its decision) runs too, with a small budget;
``make fuzz`` runs everything with a large one, by hand.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)
from temporalio.testing import WorkflowEnvironment

from services.exchange.app import create_app
from services.exchange.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.fuzz_stack import FuzzApi, PartnerKey, ThreadedStack, seed
from tests.support import bearer

T = TypeVar("T")

# Bounded so that the whole module (start-up, seeding, two passes) stays well under a minute,
# and seeded so that `make test` fuzzes the same requests each time. For a longer, different
# run: EXCHANGE_FUZZ_EXAMPLES=200 EXCHANGE_FUZZ_SEED=$RANDOM pytest tests/test_openapi_fuzz.py
# (`make fuzz`). The stateful phase runs as many scenarios as examples per operation, each of up
# to EXCHANGE_FUZZ_STEPS calls.
EXAMPLES_PER_OPERATION = int(os.environ.get("EXCHANGE_FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("EXCHANGE_FUZZ_SEED", "20261121"))
STEPS_PER_SCENARIO = int(os.environ.get("EXCHANGE_FUZZ_STEPS", "10"))
PROBLEM = "application/problem+json"


_partner_keys: list[PartnerKey] = []


@pytest.fixture(scope="module")
def fuzz_api(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzApi]:
    data_dir = tmp_path_factory.mktemp("data-fuzz")
    threaded = ThreadedStack(temporal_env.client.service_client.config.target_host, data_dir)
    try:
        stack = threaded.start()
        seeded = threaded.run(lambda: seed(stack, data_dir))
        SEEDED.update(seeded.values)
        partner = PartnerKey(stack.base_url, seeded.partner_code, seeded.partner_key)
        _partner_keys.append(partner)
        yield FuzzApi(stack, seeded, partner)
    finally:
        _partner_keys.clear()
        SEEDED.clear()
        threaded.close()


# --- the schema ----------------------------------------------------------------------------


def app_document() -> dict[str, Any]:
    """The OpenAPI document of the app, as ``/openapi.json`` serves it."""
    settings = Settings(admin_token=ADMIN_TOKEN, temporal_address="127.0.0.1:1")
    document: dict[str, Any] = create_app(settings, migrate=False).openapi()
    return document


# Loaded at collection, so that each operation is a test item of its own; the requests go to
# the live server of ``fuzz_api`` (base URL and key are given per call).
schema = schemathesis.openapi.from_dict(app_document())
schema.config.seed = SEED
schema.config.generation.update(
    max_examples=EXAMPLES_PER_OPERATION,
    # The key is ours (staff or partner, given per call), never generated or dropped by
    # schemathesis; requests without a key are what `refuses_missing_and_wrong_keys` sends.
    with_security_parameters=False,
)
# A body over EXCHANGE_MAX_BODY_BYTES is refused with 413 before it is read: for a list of
# thousands of items a generated body with one item too many can be that large.
schema.config.checks.negative_data_rejection.expected_statuses = [
    *schema.config.checks.negative_data_rejection.expected_statuses,
    "413",
]
SEEDED: dict[str, list[str]] = {}


@schema.hook
def before_generate_path_parameters(
    context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Half of the path parameters name objects that exist (seeded by ``fuzz_api``)."""
    operation = context.operation
    if operation is None:
        return strategy
    names = [p.name for p in operation.path_parameters]
    if not names:
        return strategy

    def real() -> st.SearchStrategy[Any]:
        if any(not SEEDED.get(name) for name in names):
            return strategy
        return st.fixed_dictionaries({n: st.sampled_from(SEEDED[n]) for n in names})

    return st.one_of(st.deferred(real), strategy)


def _unbounded_integers(operation: Any) -> list[str]:
    """Query parameters documented as integers without a maximum."""
    names = []
    for parameter in operation.query:
        declared = parameter.definition.get("schema", {})
        for variant in [declared, *declared.get("anyOf", [])]:
            if variant.get("type") == "integer" and "maximum" not in variant:
                names.append(parameter.name)
                break
    return names


@schema.hook
def before_generate_case(
    context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Sometimes send 2**63 to integer query parameters that have no maximum: the document
    allows any integer, so the server must answer, not fail (64-bit database columns)."""
    operation = context.operation
    names = _unbounded_integers(operation) if operation is not None else []
    if not names:
        return strategy

    def huge(case: schemathesis.Case) -> schemathesis.Case:
        if case.meta is None or not case.meta.is_negative_at(ParameterLocation.QUERY):
            case.query = {**(case.query or {}), **dict.fromkeys(names, 2**63)}
        return case

    return st.one_of(strategy, strategy.map(huge))


@schema.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case, response: Any) -> None:
    """A successful write may have rotated or revoked the partner's key: check it next time."""
    if case.method.upper() not in ("GET", "HEAD") and 200 <= response.status_code < 300:
        for partner in _partner_keys:
            partner.maybe_changed = True


# --- checks --------------------------------------------------------------------------------


def _requires_key(case: Any) -> bool:
    """The operation declares a key, and the request went to it (same method, real path)."""
    operation = case.operation
    if not list(operation.security.iter_parameters()):
        return False  # open by design, e.g. /health
    if case.method.upper() != operation.method.upper():
        return False  # schemathesis also tries methods the path does not have: 405
    meta = case.meta
    # An invalid path parameter may route elsewhere, or nowhere.
    return meta is None or not meta.is_negative_at(ParameterLocation.PATH)


PROBES = (
    ("no key", None),
    ("a wrong key", "Bearer exk_0000000000000000_wrong"),
    ("another scheme", "Basic d3Jvbmc6a2V5"),
)
_probes = itertools.count()
_session = requests.Session()


def refuses_missing_and_wrong_keys(ctx: CheckContext, response: Response, case: Any) -> None:
    """The same request without a key, with a wrong key or another scheme is a 401 problem.

    Unlike ``ignored_auth`` (which only probes after a 2xx) this runs for every generated
    request, whatever it got with the key. One probe per request, the three kinds in turn,
    keeps the run short.
    """
    if not _requires_key(case):
        return
    label, auth = PROBES[next(_probes) % len(PROBES)]
    origin = urlsplit(str(response.request.url))
    sent = case.as_transport_kwargs(base_url=f"{origin.scheme}://{origin.netloc}")
    headers = {k: v for k, v in sent.pop("headers", {}).items() if k.lower() != "authorization"}
    if auth is not None:
        headers["Authorization"] = auth
    r = _session.request(**sent, headers=headers, timeout=30, allow_redirects=False)
    content_type = r.headers.get("content-type", "")
    if r.status_code != 401 or not content_type.startswith(PROBLEM):
        request = r.request
        body = request.body if isinstance(request.body, bytes) else str(request.body or "")
        raise AssertionError(
            f"{request.method} {request.url} with {label}: expected a 401 problem, got "
            f"{r.status_code} {content_type} {r.text[:300]}\n"
            f"  request headers: {dict(request.headers)}\n  request body: {body[:300]!r}"
        )


def key_is_accepted(ctx: CheckContext, response: Response, case: Any) -> None:
    """The pass's own key is valid: a 401 means it was refused, or the pass lost its key."""
    if _requires_key(case) and response.status_code == 401:
        raise AssertionError(
            f"{case.method} {case.formatted_path}: a valid key was refused: {response.text[:300]}"
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    unsupported_method,
    ignored_auth,
    refuses_missing_and_wrong_keys,
    key_is_accepted,
]

SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    # No shrinking: a failure is reported as found, which keeps a failing run short too.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def test_the_served_document_is_the_fuzzed_one(fuzz_api: FuzzApi) -> None:
    r = requests.get(f"{fuzz_api.stack.base_url}/openapi.json", timeout=30)
    assert r.status_code == 200
    assert r.json() == app_document()


@schema.parametrize()
@SETTINGS
def test_staff_key(case: schemathesis.Case, fuzz_api: FuzzApi) -> None:
    case.call_and_validate(
        base_url=fuzz_api.stack.base_url, headers=bearer(ADMIN_TOKEN), checks=CHECKS, timeout=30
    )


@schema.parametrize()
@SETTINGS
def test_partner_key(case: schemathesis.Case, fuzz_api: FuzzApi) -> None:
    key = fuzz_api.partner.current()
    case.call_and_validate(
        base_url=fuzz_api.stack.base_url, headers=bearer(key), checks=CHECKS, timeout=30
    )


@pytest.mark.parametrize("who", ["staff", "partner"])
def test_stateful(fuzz_api: FuzzApi, who: str) -> None:
    """Chains of calls along the links between operations, each answer checked as above; a
    resource a 2xx created must be there for the next call, and one deleted must be gone."""
    base_url = fuzz_api.stack.base_url
    partner = fuzz_api.partner

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            key = ADMIN_TOKEN if who == "staff" else partner.current()
            return {"base_url": base_url, "headers": bearer(key), "timeout": 30}

        def validate_response(
            self, response: Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            kwargs.pop("additional_checks", None)
            case.validate_response(
                response,
                checks=[*CHECKS, use_after_free, ensure_resource_availability],
                transport_kwargs=kwargs,
                recorder=getattr(self, "recorder", None),
            )

    Scenarios.run(settings=hypothesis.settings(SETTINGS, stateful_step_count=STEPS_PER_SCENARIO))
