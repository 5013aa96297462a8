"""The FastAPI application: one engine and one Temporal client for the app's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from sqlalchemy import update
from sqlmodel import col
from temporalio.client import Client

from services.exchange import problems
from services.exchange.api.docs import install_docs
from services.exchange.api.main import include_api
from services.exchange.api.problem_responses import HEALTH
from services.exchange.http.auth import AuthMiddleware
from services.exchange.http.idempotency import IdempotencyMiddleware
from services.exchange.http.limits import BodyLimitMiddleware, NulGuardMiddleware
from services.exchange.http.request_log import RequestLogMiddleware
from services.exchange.http.security_headers import SecurityHeadersMiddleware
from services.exchange.models import HealthProbe
from services.exchange.problems import Problem, UnhandledErrorMiddleware
from services.exchange.schemas.common import Health
from services.exchange.service.context import Context
from services.exchange.service.read_cache import read_cache
from services.exchange.settings import Settings
from services.exchange.storage import faults
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade
from services.exchange.storage.utc import utcnow
from services.exchange.web import setup as web_setup

log = logging.getLogger("exchange.api")

_HEALTH_TIMEOUT = timedelta(seconds=3)

DESCRIPTION = """
Exchange of publications between national libraries: proposals, decisions, shipments,
receipts and the MARC records that come with them.

Every request carries `Authorization: Bearer <key>`: a staff key acts for our library, a
partner key for that partner only. Errors are RFC 9457 `application/problem+json` (the
`Problem` schema), with a stable `type` to switch on.

Send an `Idempotency-Key` with every POST, and retry with the same key: the step is taken
once. What we tell a partner comes to its `webhook_url` as signed events, described under
`webhooks` in this document.
"""


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            await asyncio.to_thread(upgrade, engine)
        if not settings.temporal_address:
            raise RuntimeError("EXCHANGE_TEMPORAL_ADDRESS is not set")
        client = await Client.connect(
            settings.temporal_address, namespace=settings.temporal_namespace
        )
        reads = read_cache(engine, settings.read_cache_mb)
        app.state.context = Context(engine=engine, temporal=client, settings=settings, reads=reads)
        try:
            yield
        finally:
            if reads is not None:
                await reads.close()
            engine.dispose()

    app = FastAPI(
        title="Library exchange",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by install_docs, not from a CDN
        redoc_url=None,
    )
    problems.install(app)
    include_api(app)
    install_docs(app)  # before the pages' /static, which would take /static/docs
    web_setup.install(app)
    # Added last runs first: logging, security headers, unhandled errors, authentication,
    # size limit, NUL characters, idempotency, then routes. Who is asking comes before what
    # was sent: a request without a valid key is a 401 whatever its size.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(AuthMiddleware)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)

    @app.get("/health", tags=["health"], responses=HEALTH)
    async def health(request: Request) -> Health:
        """200 when the database takes a write and Temporal answers."""
        ctx: Context = request.app.state.context

        def _db() -> None:
            with ctx.engine.begin() as conn:
                conn.execute(
                    update(HealthProbe).where(col(HealthProbe.id) == 1).values(checked_at=utcnow())
                )

        try:
            await asyncio.wait_for(asyncio.to_thread(_db), _HEALTH_TIMEOUT.total_seconds())
        except TimeoutError:
            raise Problem(
                503, "unavailable", "the database did not take a write within the time limit"
            ) from None
        except Exception as exc:
            fault = faults.classify(exc)
            if fault is not None:
                raise Problem(fault.status, fault.kind, f"the database: {fault.detail}") from None
            raise Problem(503, "unavailable", f"the database does not answer: {exc}") from None
        try:
            await ctx.temporal.service_client.check_health(timeout=_HEALTH_TIMEOUT)
        except Exception as exc:
            raise Problem(503, "unavailable", f"Temporal does not answer: {exc}") from None
        return Health(status="ok", database="ok", temporal="ok")

    return app
