"""Registering a serial title with its run (``serial_runs.register``), which the API and the
staff form share: a title whose run cannot be started is taken back (503), so that a retry
registers it again, and a renamed title's successor whose run cannot start is only late.

Temporal refuses here because the client asks a namespace it does not have, on the real stack
(SQLite and PostgreSQL), as in the offer lists' test of the same rule.
"""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.client import Client

from services.exchange.problems import Problem
from services.exchange.schemas.serials import SerialIn
from services.exchange.service import serial_runs
from services.exchange.service.context import Context
from services.exchange.service.keys import Caller
from tests.conftest import Stack
from tests.support import register_partner
from tests.test_web_serials import new_issn


def test_a_run_starts_with_the_first_year_or_this_one() -> None:
    assert serial_runs.first_run_year(2031, date(2026, 12, 1)) == 2031
    assert serial_runs.first_run_year(2020, date(2026, 12, 1)) == 2026


async def test_a_title_whose_run_cannot_start_is_taken_back(stack: Stack) -> None:
    partner, _ = await register_partner(stack.http, stack.staff)
    code = partner["code"]
    body = SerialIn.model_validate(
        {
            "issn": new_issn(),
            "title": "Nobody home",
            "direction": "incoming",
            "frequency": {"issues_per_year": 4},
            "first_year": date.today().year,
        }
    )
    client = await Client.connect(
        stack.client.service_client.config.target_host, namespace="no-such-namespace"
    )
    down = Context(engine=stack.engine, temporal=client, settings=stack.settings)
    staff = Caller(kind="staff", key_id="test", party=stack.settings.home_code, role="admin")
    with pytest.raises(Problem) as refused:
        await serial_runs.register(down, staff, code, body)
    assert refused.value.status == 503 and refused.value.kind == "temporal-unavailable"
    assert refused.value.detail == serial_runs.NOT_REGISTERED
    r = await stack.http.get("/api/v1/serials", params={"partner": code}, headers=stack.staff)
    assert r.status_code == 200 and r.json() == []

    up = Context(engine=stack.engine, temporal=stack.client, settings=stack.settings)
    made = await serial_runs.register(up, staff, code, body)  # the retry registers it
    assert made.issn == body.issn and made.state == "active"
    # A successor's run that cannot start is not an error: the title exists, its timer late.
    await serial_runs.start_successor(down, staff, made.id)
    r = await stack.http.get(f"/api/v1/serials/{made.id}", headers=stack.staff)
    assert r.status_code == 200 and r.json()["id"] == made.id
