"""API keys through the service layer: made, hashed, checked, listed, revoked, and cached.

What ``test_keys`` and ``test_key_cache`` check with real API processes, asked of
``service/keys.py`` directly: a second ``KeyCache`` on the same stamp file stands for another
process sharing the data directory.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from services.exchange.models import ApiKey
from services.exchange.problems import Problem
from services.exchange.schemas.keys import KeyIn
from services.exchange.service import keys
from services.exchange.service.keys import Caller, KeyCache
from tests.fast.conftest import ADMIN_TOKEN, HOME_CODE, Database, new_partner


def _auth(db: Database, token: str, cache: KeyCache | None = None) -> Caller | None:
    return keys.authenticate(db.engine, token, ADMIN_TOKEN, HOME_CODE, cache)


def test_staff_keys_are_stored_hashed_listed_without_secrets_and_revoked_at_once(
    database: Database,
) -> None:
    created = keys.create(database.engine, KeyIn(role="cataloguer", label="temporary"))
    assert created.key.startswith(f"exk_{created.id}_") and created.partner is None
    with Session(database.engine) as session:
        row = session.get(ApiKey, created.id)
    assert row is not None and len(row.secret_hash) == 64 and created.key not in row.secret_hash

    caller = _auth(database, created.key)
    assert caller == Caller(kind="staff", key_id=created.id, party=HOME_CODE, role="cataloguer")
    assert caller.actor == f"staff:{created.id}" and caller.principal == f"staff:{created.id}"
    listed = {k.id: k for k in keys.list_all(database.engine, include_revoked=False)}
    assert listed[created.id].label == "temporary" and not hasattr(listed[created.id], "key")

    keys.revoke(database.engine, created.id)
    assert _auth(database, created.key) is None
    with pytest.raises(Problem) as again:
        keys.revoke(database.engine, created.id)
    assert (again.value.status, again.value.kind) == (404, "not-found")
    assert created.id not in {k.id for k in keys.list_all(database.engine, include_revoked=False)}
    revoked = {k.id: k for k in keys.list_all(database.engine, include_revoked=True)}
    assert revoked[created.id].revoked_at is not None


def test_partner_keys_name_a_known_partner_and_only_they_do(database: Database) -> None:
    partner, _ = new_partner(database)
    made = keys.create(database.engine, KeyIn(role="partner", partner=partner.code))
    caller = _auth(database, made.key)
    assert caller is not None and (caller.kind, caller.party) == ("partner", partner.code)
    assert caller.principal == f"partner:{partner.code}", "idempotency spans rotated keys"
    for body, kind in (
        (KeyIn(role="partner"), "validation-error"),
        (KeyIn(role="partner", partner="NOSUCHLIB"), "unknown-partner"),
        (KeyIn(role="acquisitions", partner=partner.code), "validation-error"),
    ):
        with pytest.raises(Problem) as refused:
            keys.create(database.engine, body)
        assert (refused.value.status, refused.value.kind) == (422, kind), body


def test_wrong_expired_and_malformed_keys_are_refused(database: Database) -> None:
    past = keys.create(
        database.engine,
        KeyIn(role="acquisitions", expires_at=datetime.now(UTC) - timedelta(seconds=1)),
    )
    good = keys.create(database.engine, KeyIn(role="acquisitions"))
    assert _auth(database, past.key) is None
    assert _auth(database, good.key) is not None
    forged = f"exk_{good.id}_{'x' * 43}"  # the right id, a wrong secret
    for token in (forged, "exk_nosuchid_secret", "not-a-key", "exk_only", "", "Bearer x"):
        assert _auth(database, token) is None, token
    admin = _auth(database, ADMIN_TOKEN)
    assert admin is not None and (admin.role, admin.key_id, admin.party) == (
        "admin",
        "admin",
        HOME_CODE,
    )
    assert keys.admin_caller(ADMIN_TOKEN + "x", ADMIN_TOKEN, HOME_CODE) is None
    assert keys.admin_caller(ADMIN_TOKEN, None, HOME_CODE) is None, "no admin token configured"


def test_a_revoked_key_stops_at_once_in_every_process_sharing_the_data_dir(
    database: Database,
) -> None:
    settings = database.settings
    here = keys.key_cache(database.engine, settings.key_cache_seconds, settings.data_dir)
    assert here is not None
    there = KeyCache(settings.key_cache_seconds, settings.data_dir / keys.STAMP_FILE)
    created = keys.create(database.engine, KeyIn(role="cataloguer"))
    for cache in (here, there):
        assert _auth(database, created.key, cache) is not None
        assert keys.cached_caller(cache, created.key) is not None, "remembered"

    keys.revoke(database.engine, created.id)
    assert keys.cached_caller(here, created.key) is None, "cleared in the revoking process"
    assert keys.cached_caller(there, created.key) is None, "the stamp file told the other"
    assert _auth(database, created.key, here) is None
    assert _auth(database, created.key, there) is None
    assert keys.key_cache(database.engine, 0, settings.data_dir) is None, "0 turns it off"


def test_a_cached_key_still_stops_at_its_expiry(database: Database) -> None:
    cache = KeyCache(60.0, None)
    expires = datetime.now(UTC) + timedelta(seconds=0.4)
    created = keys.create(database.engine, KeyIn(role="cataloguer", expires_at=expires))
    assert _auth(database, created.key, cache) is not None
    assert keys.cached_caller(cache, created.key) is not None
    time.sleep(max((expires - datetime.now(UTC)).total_seconds(), 0) + 0.05)
    assert keys.cached_caller(cache, created.key) is None
    assert _auth(database, created.key, cache) is None
