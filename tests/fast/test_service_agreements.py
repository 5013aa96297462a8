"""Agreements through the service layer: which one is valid on a day, and what is refused.

A proposal needs a material-exchange agreement valid on its day (``agreements.valid_on``);
the lifecycle tests reach that over HTTP, here it is asked directly.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from services.exchange.problems import Problem
from services.exchange.schemas.partners import AgreementIn
from services.exchange.service import agreements
from tests.fast.conftest import STAFF, Database, new_partner


def _agreement(
    signed_on: str, valid_from: str, valid_to: str, *programmes: str, quota: int | None = None
) -> AgreementIn:
    return AgreementIn.model_validate(
        {
            "signed_on": signed_on,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "programmes": list(programmes or ("material_exchange",)),
            "yearly_quota": quota,
        }
    )


def test_agreements_are_listed_in_order_with_whether_they_hold_today(database: Database) -> None:
    partner, caller = new_partner(database, agreement=False)
    old = agreements.create(
        database.engine, STAFF, partner.code, _agreement("2019-12-01", "2020-01-01", "2020-12-31")
    )
    current = agreements.create(
        database.engine, STAFF, partner.code, _agreement("2024-01-15", "2024-02-01", "2035-12-31")
    )
    assert (old.partner, old.valid_today, current.valid_today) == (partner.code, False, True)
    assert (current.response_days, current.receipt_days) == (30, 60), "the defaults"
    listed = agreements.list_for(database.engine, caller, partner.code)
    assert [a.id for a in listed] == [old.id, current.id]

    _other, other = new_partner(database)
    with pytest.raises(Problem) as hidden:
        agreements.list_for(database.engine, other, partner.code)
    assert (hidden.value.status, hidden.value.kind) == (404, "not-found")


def test_dates_that_contradict_each_other_are_refused(database: Database) -> None:
    partner, caller = new_partner(database, agreement=False)
    for body, field in (
        (_agreement("2024-01-01", "2025-01-01", "2024-12-31"), "valid_to"),
        (_agreement("2026-01-01", "2024-01-01", "2025-12-31"), "signed_on"),
    ):
        with pytest.raises(Problem) as refused:
            agreements.create(database.engine, STAFF, partner.code, body)
        assert (refused.value.status, refused.value.kind) == (422, "validation-error")
        assert refused.value.detail.startswith(f"{field}:")
    assert agreements.list_for(database.engine, caller, partner.code) == []


def test_the_latest_signed_material_exchange_agreement_covers_the_day(
    database: Database,
) -> None:
    partner, caller = new_partner(database, agreement=False)
    code = partner.code
    first = agreements.create(
        database.engine, STAFF, code, _agreement("2023-01-01", "2023-01-01", "2027-12-31", quota=10)
    )
    later = agreements.create(
        database.engine, STAFF, code, _agreement("2025-06-01", "2025-07-01", "2026-06-30", quota=20)
    )
    digital = agreements.create(
        database.engine,
        STAFF,
        code,
        _agreement("2026-01-01", "2025-01-01", "2030-12-31", "digital_exchange"),
    )
    assert caller.partner_id is not None
    with Session(database.engine) as session:

        def valid(day: str) -> int | None:
            found = agreements.valid_on(session, caller.partner_id or 0, date.fromisoformat(day))
            return found.id if found else None

        assert valid("2022-12-31") is None, "before any"
        assert valid("2023-01-01") == first.id, "the first day counts"
        assert valid("2025-06-30") == first.id, "the later one starts the next day"
        assert valid("2025-07-01") == later.id, "signed later, so it wins"
        assert valid("2026-06-30") == later.id and valid("2026-07-01") == first.id
        assert valid("2027-12-31") == first.id and valid("2028-01-01") is None
        assert digital.id not in {valid(d) for d in ("2028-06-01", "2029-01-01")}
