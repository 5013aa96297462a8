"""Exchange numbers (EX-2026-0042) end to end, on SQLite and PostgreSQL: concurrent proposals
get different consecutive numbers, the API reads and searches by number, webhook events, the
deliveries list and the annual report carry it, and the migration numbers older exchanges."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from services.exchange.schemas.exchanges import ProposalIn
from services.exchange.service import keys, numbering, proposals
from services.exchange.storage.db import make_engine, session_scope
from services.exchange.storage.migrate import upgrade
from tests.conftest import ADMIN_TOKEN, PG_ADMIN_URL, Stack
from tests.support import lines, register_partner
from tests.webhook_receiver import Receiver

NUMBER = re.compile(r"^EX-(\d{4})-(\d{4,})$")


def _count(number: str) -> int:
    found = NUMBER.match(number)
    assert found, number
    return int(found.group(2))


def _consecutive(numbers: list[str]) -> None:
    year = datetime.now(UTC).year
    assert all(n.startswith(f"EX-{year}-") for n in numbers), numbers
    counts = sorted(_count(n) for n in numbers)
    assert counts == list(range(counts[0], counts[0] + len(numbers))), numbers


async def test_concurrent_proposals_get_consecutive_numbers(stack: Stack) -> None:
    """The proposal's own transaction, run by six threads at once (no workflow: the rows are
    deleted again as those of a proposal whose workflow cannot start are)."""
    partner, _ = await register_partner(stack.http, stack.staff)
    staff = keys.admin_caller(ADMIN_TOKEN, ADMIN_TOKEN, stack.settings.home_code)
    assert staff is not None
    body = ProposalIn.model_validate({"partner": partner["code"], "lines": lines(1)})
    workers = 6
    start = threading.Barrier(workers)
    made: list[str] = []
    errors: list[BaseException] = []

    def propose() -> None:
        try:
            start.wait()
            inp = proposals._insert_proposal(stack.engine, stack.settings, staff, body)
            made.append(inp.exchange_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def run_all() -> list[str]:
        threads = [threading.Thread(target=propose) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with stack.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text("SELECT number FROM exchange WHERE id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": made},
                ).scalars()
            )

    try:
        numbers = await asyncio.to_thread(run_all)
        assert errors == []
        assert len(numbers) == workers and len(set(numbers)) == workers
        _consecutive(numbers)
    finally:
        for exchange_id in made:
            await asyncio.to_thread(proposals._delete_proposal, stack.engine, exchange_id)


async def test_proposals_over_http_are_numbered_and_found_by_number(stack: Stack) -> None:
    http, staff = stack.http, stack.staff
    partner, key = await register_partner(http, staff)
    code = partner["code"]

    async def propose(who: dict[str, str], body: dict[str, object]) -> dict[str, object]:
        r = await http.post("/api/v1/exchanges", json=body, headers=who)
        assert r.status_code == 201, r.text
        created: dict[str, object] = r.json()
        return created

    made = await asyncio.gather(
        *(propose(staff, {"partner": code, "lines": lines(1)}) for _ in range(3)),
        propose(key, {"lines": lines(2)}),  # an incoming offer, through the partner's key
    )
    numbers = [str(x["number"]) for x in made]
    assert len(set(numbers)) == 4
    _consecutive(numbers)

    ours = made[0]
    number = str(ours["number"])
    for asked in (number, number.lower()):
        r = await http.get(f"/api/v1/exchanges/{asked}", headers=staff)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == ours["id"] and r.json()["number"] == number
    r = await http.get(f"/api/v1/exchanges/{number}", headers=key)
    assert r.status_code == 200 and r.json()["id"] == ours["id"]
    _, other_key = await register_partner(http, staff)
    r = await http.get(f"/api/v1/exchanges/{number}", headers=other_key)
    assert r.status_code == 404, "another partner's number does not exist for it"

    r = await http.get("/api/v1/exchanges", params={"q": number}, headers=staff)
    assert [x["id"] for x in r.json()["items"]] == [ours["id"]]
    r = await http.get("/api/v1/exchanges", params={"q": number[3:]}, headers=key)
    assert [x["number"] for x in r.json()["items"]] == [number], "part of the number finds it"
    listed = (await http.get("/api/v1/exchanges", params={"partner": code}, headers=staff)).json()
    assert sorted(x["number"] for x in listed["items"]) == sorted(numbers)

    view = (await http.get(f"/api/v1/exchanges/{ours['id']}", headers=key)).json()
    assert view["sender"] == stack.settings.home_code and view["recipient"] == code
    assert view["sender_name"] == stack.settings.home_name
    assert view["recipient_name"] == partner["name"] == view["partner_name"]
    offer = (await http.get(f"/api/v1/exchanges/{made[3]['id']}", headers=staff)).json()
    assert offer["sender_name"] == partner["name"] and offer["history"][0]["actor"] == code
    assert offer["history"][0]["actor_name"] == partner["name"]

    year = datetime.now(UTC).year
    r = await http.get("/api/v1/reports/exchanges.csv", params={"year": year}, headers=staff)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    ours_rows = [row for row in rows if row["exchange_id"] == ours["id"]]
    assert ours_rows and ours_rows[0]["exchange_number"] == number
    assert ours_rows[0]["partner_name"] == partner["name"]


async def test_webhook_events_and_deliveries_carry_the_number(stack: Stack) -> None:
    receiver = Receiver(fail_first=0).start()
    try:
        http, staff = stack.http, stack.staff
        partner, key = await register_partner(http, staff, webhook_url=receiver.url)
        r = await http.post(
            "/api/v1/exchanges", json={"partner": partner["code"], "lines": lines(1)}, headers=staff
        )
        exchange = r.json()
        for _ in range(300):
            if receiver.accepted():
                break
            await asyncio.sleep(0.05)
        event = receiver.requests[0].event
        assert event["type"] == "exchange.proposal"
        assert event["exchange_id"] == exchange["id"]
        assert event["exchange_number"] == exchange["number"]
        # The delivery is recorded once the receiver's answer is back, a moment after it arrives.
        deliveries: list[dict[str, object]] = []
        for _ in range(300):
            r = await http.get(f"/api/v1/partners/{partner['code']}/deliveries", headers=key)
            deliveries = r.json()["items"]
            if deliveries:
                break
            await asyncio.sleep(0.05)
        assert [d["exchange_number"] for d in deliveries] == [exchange["number"]]
    finally:
        receiver.stop()


# --- the migration numbers what was there before it ---------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, not yet migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'exchange.db'}"
        return
    name = f"exchange_migrate_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("EXCHANGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_numbers_older_exchanges_by_year(empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        upgrade(engine, "0010")
        made = [  # (id, created_at), written out of order
            ("c", "2025-03-01 10:00:00+00:00"),
            ("a", "2024-12-31 23:59:00+00:00"),
            ("b", "2025-01-01 00:01:00+00:00"),
            ("d", "2025-03-01 10:00:00+00:00"),  # the same moment as c: the id decides
        ]
        with engine.begin() as conn:
            partner_id = conn.execute(
                sa.text(
                    "INSERT INTO partner (code, name, country, marc_format, created_at) "
                    "VALUES ('OLD', 'Old partner', 'BY', 'marc21', :at) RETURNING id"
                ),
                {"at": "2024-01-01 00:00:00+00:00"},
            ).scalar_one()
            for exchange_id, at in made:
                conn.execute(
                    sa.text(
                        "INSERT INTO exchange (id, partner_id, direction, state, created_by, "
                        "created_at, updated_at) VALUES (:id, :p, 'outgoing', 'proposed', "
                        "'staff:admin', :at, :at)"
                    ),
                    {"id": exchange_id, "p": partner_id, "at": at},
                )
        upgrade(engine)
        with engine.connect() as conn:
            numbers: dict[str, str] = {
                exchange_id: number
                for exchange_id, number in conn.execute(sa.text("SELECT id, number FROM exchange"))
            }
            sequences = dict(
                ((series, year), last)
                for series, year, last in conn.execute(
                    sa.text("SELECT series, year, last FROM number_sequence")
                )
            )
        assert numbers == {
            "a": "EX-2024-0001",
            "b": "EX-2025-0001",
            "c": "EX-2025-0002",
            "d": "EX-2025-0003",
        }
        assert sequences == {("EX", 2024): 1, ("EX", 2025): 3}
        with session_scope(engine) as session:
            assert numbering.next_exchange_number(session, 2025) == "EX-2025-0004"
            assert numbering.next_exchange_number(session, 2026) == "EX-2026-0001"
    finally:
        engine.dispose()
