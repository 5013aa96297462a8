"""Partners through the service layer: registration, changes, webhook secrets, key rotation.

The same facts ``test_api_access``, ``test_webhooks`` and ``test_keys`` check over HTTP, asked
of ``service/partners.py`` directly on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import ApiKey, Partner
from services.exchange.problems import Problem
from services.exchange.schemas.keys import RotateIn
from services.exchange.schemas.partners import PartnerIn, PartnerPatch
from services.exchange.service import keys, partners
from tests.fast.conftest import ADMIN_TOKEN, HOME_CODE, STAFF, Database, new_partner, unique_code

# Literal addresses: checked without DNS. The first is public, the others must be refused.
PUBLIC_HOOK = "https://93.184.215.14/hooks/exchange"
UNSAFE_HOOKS = ("https://10.1.2.3/hooks", "https://169.254.169.254/latest", "http://example.org/x")


def _body(code: str, **fields: object) -> PartnerIn:
    return PartnerIn.model_validate(
        {"code": code, "name": "x", "country": "BY", "marc_format": "marc21", **fields}
    )


def _refused(excinfo: pytest.ExceptionInfo[Problem]) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.kind


def test_registration_gives_a_key_for_the_partner_and_a_secret(database: Database) -> None:
    created, caller = new_partner(database, isil="BY-HM0000")
    assert created.api_key.startswith(f"exk_{created.api_key_id}_")
    assert len(created.webhook_secret) >= 40
    assert (caller.kind, caller.party, caller.role) == ("partner", created.code, "partner")
    assert caller.actor == created.code

    with Session(database.engine) as session:
        row = session.exec(select(ApiKey).where(col(ApiKey.id) == created.api_key_id)).one()
        stored = session.exec(select(Partner).where(col(Partner.code) == created.code)).one()
    assert len(row.secret_hash) == 64 and created.api_key not in row.secret_hash
    assert stored.webhook_secret == created.webhook_secret and stored.isil == "BY-HM0000"

    page = partners.list_all(database.engine, limit=1000, offset=0)
    listed = {p.code: p for p in page.items}
    assert created.code in listed and page.total >= 1
    assert not hasattr(listed[created.code], "api_key")
    assert listed[created.code].created_at.tzinfo is not None


def test_a_code_is_registered_once_and_never_as_our_own(database: Database) -> None:
    created, _ = new_partner(database)
    with pytest.raises(Problem) as taken:
        partners.create(database.engine, database.settings, _body(created.code))
    assert _refused(taken) == (409, "partner-exists")
    for home in (HOME_CODE, HOME_CODE.lower()):
        with pytest.raises(Problem) as ours:
            partners.create(database.engine, database.settings, _body(home))
        assert _refused(ours) == (409, "partner-exists") and "own library" in ours.value.detail
    with Session(database.engine) as session:
        assert partners.by_code(session, HOME_CODE) is None


def test_unsafe_webhook_urls_are_refused_at_registration_and_on_change(
    database: Database,
) -> None:
    code = unique_code()
    for bad in UNSAFE_HOOKS:
        with pytest.raises(Problem) as refused:
            partners.create(database.engine, database.settings, _body(code, webhook_url=bad))
        assert _refused(refused) == (422, "webhook-url-not-allowed")
    with Session(database.engine) as session:
        assert partners.by_code(session, code) is None, "nothing registered"

    created, caller = new_partner(database, webhook_url=PUBLIC_HOOK)
    assert created.webhook_url == PUBLIC_HOOK
    with pytest.raises(Problem) as refused:
        partners.update(
            database.engine,
            database.settings,
            caller,
            created.code,
            PartnerPatch.model_validate({"webhook_url": "https://192.168.1.10/hook"}),
        )
    assert _refused(refused) == (422, "webhook-url-not-allowed")
    # Development lets http to loopback through, and only that.
    insecure = database.settings.model_copy(update={"allow_insecure_webhooks": True})
    patch = PartnerPatch.model_validate({"webhook_url": "http://127.0.0.1:9000/hooks"})
    changed = partners.update(database.engine, insecure, caller, created.code, patch)
    assert changed.webhook_url == "http://127.0.0.1:9000/hooks"


def test_a_partner_changes_only_its_webhook_url_and_staff_the_rest(database: Database) -> None:
    created, caller = new_partner(database, webhook_url=PUBLIC_HOOK)
    _other, other = new_partner(database)
    engine, settings, code = database.engine, database.settings, created.code

    with pytest.raises(Problem) as refused:
        partners.update(engine, settings, caller, code, PartnerPatch(name="Renamed"))
    assert _refused(refused) == (403, "forbidden")
    with pytest.raises(Problem) as hidden:  # another partner: 404 before anything else
        partners.update(engine, settings, other, code, PartnerPatch(name="Renamed"))
    assert _refused(hidden) == (404, "not-found")
    with pytest.raises(Problem) as removed:
        partners.update(engine, settings, STAFF, code, PartnerPatch.model_validate({"name": None}))
    assert _refused(removed) == (422, "validation-error")

    renamed = partners.update(
        engine, settings, STAFF, code, PartnerPatch(name="Renamed library", isil="BY-X")
    )
    assert (renamed.name, renamed.isil, renamed.webhook_url) == (
        "Renamed library",
        "BY-X",
        PUBLIC_HOOK,
    )
    unhooked = partners.update(
        engine, settings, caller, code, PartnerPatch.model_validate({"webhook_url": None})
    )
    assert unhooked.webhook_url is None and unhooked.name == "Renamed library"


def test_a_new_webhook_secret_replaces_the_old_one(database: Database) -> None:
    created, caller = new_partner(database)
    _other, other = new_partner(database)
    fresh = partners.new_webhook_secret(database.engine, caller, created.code)
    assert fresh.webhook_secret != created.webhook_secret
    with Session(database.engine) as session:
        stored = partners.by_code(session, created.code)
    assert stored is not None and stored.webhook_secret == fresh.webhook_secret
    with pytest.raises(Problem) as hidden:
        partners.new_webhook_secret(database.engine, other, created.code)
    assert _refused(hidden) == (404, "not-found")


def test_rotation_keeps_the_older_keys_for_the_overlap_only(database: Database) -> None:
    created, caller = new_partner(database)
    _other, other = new_partner(database)
    engine, code = database.engine, created.code

    def who(token: str) -> str | None:
        found = keys.authenticate(engine, token, ADMIN_TOKEN, HOME_CODE)
        return found.party if found else None

    before = datetime.now(UTC)
    rotated = partners.rotate_key(engine, caller, code, RotateIn(overlap_hours=24, label="2027"))
    assert rotated.label == "2027" and rotated.partner == code and rotated.expires_at is None
    assert who(created.api_key) == code and who(rotated.key) == code, "both during the overlap"
    with Session(engine) as session:
        old = session.get(ApiKey, created.api_key_id)
    assert old is not None and old.expires_at is not None
    ends = old.expires_at if old.expires_at.tzinfo else old.expires_at.replace(tzinfo=UTC)
    assert before + timedelta(hours=24) <= ends <= datetime.now(UTC) + timedelta(hours=24)

    newest = partners.rotate_key(engine, caller, code, RotateIn(overlap_hours=0))
    assert who(created.api_key) is None and who(rotated.key) is None, "retired at once"
    assert who(newest.key) == code
    with pytest.raises(Problem) as hidden:
        partners.rotate_key(engine, other, code, RotateIn())
    assert _refused(hidden) == (404, "not-found")
