"""The fast tier's database: migrated once per backend, used by service tests called directly.

Service tests need the real database (SQLite and PostgreSQL disagree on locking, JSON and
bulk writes) but neither Temporal nor HTTP, so ``database`` gives an engine on a migrated
database for each backend, once per session, and the settings the services read. Tests share
it and stay independent by making their own partners, identifiers and exchanges (the
helpers below), never by counting what others wrote.

PostgreSQL reuses ``postgres_url`` from ``tests/conftest.py``: the session's fresh database,
dropped at its end (skipped, as there, when the server is not reachable). When the whole suite
runs, the full stack's PostgreSQL backend uses the same database, one more reason for unique
codes and identifiers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

import marc
from services.exchange.models import Exchange, ExchangeEvent, ExchangeLine, MarcBatch
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.partners import AgreementIn, PartnerCreated, PartnerIn
from services.exchange.service import (
    agreements,
    cataloguing,
    fund,
    imports,
    keys,
    numbering,
    partners,
)
from services.exchange.service.keys import ADMIN, Caller
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine, session_scope
from services.exchange.storage.migrate import upgrade
from tests.support import AGREEMENT
from workflows.exchange.types import PROPOSED

HOME_CODE = "PERPUSNAS"
ADMIN_TOKEN = "fast-admin-token"
STAFF = Caller(kind="staff", key_id="fast-tests", party=HOME_CODE, role=ADMIN)


@dataclass(frozen=True, slots=True)
class Database:
    """A migrated database on one backend, and the settings a service reads beside it."""

    backend: str
    engine: Engine
    settings: Settings


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"fast-{backend}")
    url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite:///{data_dir / 'exchange.db'}"
    )
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        admin_token=ADMIN_TOKEN,
        home_code=HOME_CODE,
        home_name="Perpustakaan Nasional Republik Indonesia",
        allow_insecure_webhooks=False,  # production's rule; tests that need loopback say so
        retention_copies=2,
        key_cache_seconds=60.0,
    )
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield Database(backend, engine, settings)
    finally:
        engine.dispose()


# --- helpers for the service tests -------------------------------------------------------


def unique_code(prefix: str = "F") -> str:
    """A partner code no other test uses (codes are unique in the whole database)."""
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def unique_isbn() -> str:
    """A valid ISBN-13 no other test uses: the catalogue and the fund match on ISBNs."""
    digits = f"978{uuid.uuid4().int % 10**9:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def new_partner(
    db: Database, *, agreement: bool = True, **fields: object
) -> tuple[PartnerCreated, Caller]:
    """Register a partner as staff would, with a valid agreement unless told otherwise, and
    the caller its registration key authenticates as."""
    body = PartnerIn.model_validate(
        {
            "code": unique_code(),
            "name": "Partner library",
            "country": "BY",
            "marc_format": "marc21",
            **fields,
        }
    )
    created = partners.create(db.engine, db.settings, body)
    if agreement:
        agreements.create(db.engine, STAFF, created.code, AgreementIn.model_validate(AGREEMENT))
    caller = keys.authenticate(db.engine, created.api_key, ADMIN_TOKEN, HOME_CODE)
    assert caller is not None and caller.partner_id is not None
    return created, caller


def insert_exchange(
    db: Database, partner: Caller, direction: str, lines: list[LineIn]
) -> tuple[str, list[str]]:
    """Write a proposed exchange as the API's proposal does (rows, reservations, first event),
    without starting its workflow: the projection tests play the workflow's part themselves.

    Returns the exchange id and its line ids in order; raises ``fund.FundError`` as the
    proposal would when the fund cannot hold the copies.
    """
    assert partner.partner_id is not None
    now = datetime.now(UTC)
    exchange_id = str(uuid.uuid4())
    line_ids = [str(uuid.uuid4()) for _ in lines]
    with session_scope(db.engine) as session:
        session.add(
            Exchange(
                id=exchange_id,
                partner_id=partner.partner_id,
                direction=direction,
                state=PROPOSED,
                respond_by=now.date() + timedelta(days=30),
                receipt_days=60,
                created_by=partner.actor if direction == "incoming" else STAFF.actor,
                created_at=now,
                updated_at=now,
            )
        )
        wanted: list[fund.Wanted] = []
        for position, (line_id, line) in enumerate(zip(line_ids, lines, strict=True), start=1):
            session.add(
                ExchangeLine(
                    id=line_id, exchange_id=exchange_id, position=position, **line.model_dump()
                )
            )
            if line.record_id is not None and direction == "outgoing":
                wanted.append(fund.Wanted(line_id, position, line.record_id, line.quantity))
        session.flush()
        fund.reserve(session, exchange_id, wanted)
        session.add(
            ExchangeEvent(
                exchange_id=exchange_id,
                seq=1,
                at=now,
                actor=STAFF.actor,
                step="propose",
                state=PROPOSED,
            )
        )
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        exchange.number = numbering.next_exchange_number(session, now.year)
    return exchange_id, line_ids


def new_batch(
    db: Database,
    path: Path,
    *,
    uploaded_by: str = STAFF.actor,
    exchange_id: str | None = None,
    dry_run: bool = False,
) -> str:
    """Register a stored MARC file as a running batch, as an upload does before its import
    workflow starts; the import tests then call the workflow's activities themselves."""
    batch_id = str(uuid.uuid4())
    fmt = marc.detect_format(path)
    with session_scope(db.engine) as session:
        session.add(
            MarcBatch(
                id=batch_id,
                exchange_id=exchange_id,
                uploaded_by=uploaded_by,
                filename=path.name,
                stored_path=str(path.resolve()),
                size_bytes=path.stat().st_size,
                format=fmt,
                state=imports.RUNNING,
                dry_run=dry_run,
                expected_total=cataloguing.expected_records(path, fmt),
            )
        )
    return batch_id
