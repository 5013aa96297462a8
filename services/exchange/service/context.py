"""What a service call needs from the running app: the database, Temporal and settings.

Also the deadline every call to Temporal carries, and the identity of a request that runs under
an ``Idempotency-Key`` for the first time (from which a step's workflow update takes its id).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client

from services.exchange.service.read_cache import ReadCache
from services.exchange.service.step_queue import StepQueue
from services.exchange.settings import Settings

# Every call the API makes to Temporal ends within this, well under the 30 s that HTTP clients
# commonly wait: the caller gets an answer (a 503 at worst), never a timeout of its own.
TEMPORAL_RPC_TIMEOUT = timedelta(seconds=10)

# Set by the Idempotency-Key middleware while a keyed request runs: a digest of the caller, the
# key and the request. A step's update id is taken from it, so the retry of a step whose answer
# was lost is the same update to Temporal and gets the first outcome, not a second run.
REQUEST_KEY: ContextVar[str | None] = ContextVar("exchange_request_key", default=None)


@dataclass(frozen=True, slots=True)
class Context:
    engine: Engine
    temporal: Client
    settings: Settings
    reads: ReadCache | None = None
    step_queue: StepQueue = field(default_factory=StepQueue)
