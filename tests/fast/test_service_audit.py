"""The audit trail through the service layer, on SQLite and PostgreSQL: every change to a
partner, an agreement, a key, a user or a deposit writes its entry in the same transaction,
with who acted and the fields before and after, and never a secret."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services.exchange.models import AuditEntry
from services.exchange.problems import Problem
from services.exchange.schemas.fund import DepositIn
from services.exchange.schemas.keys import KeyIn, RotateIn
from services.exchange.schemas.partners import AgreementIn, PartnerIn, PartnerPatch
from services.exchange.service import agreements, audit, fund, keys, partners, users
from services.exchange.service.keys import ADMIN, Caller
from services.exchange.storage.db import session_scope
from tests.fast.conftest import HOME_CODE, STAFF, Database, new_partner, unique_code, unique_isbn
from tests.support import AGREEMENT

PASSWORD = "kata-sandi-rahasia-1"


def _entries(db: Database, entity: str, key: str) -> list[AuditEntry]:
    """The entries of one entity, oldest first (other tests write their own)."""
    with Session(db.engine) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.entity) == entity, col(AuditEntry.entity_key) == key)
                .order_by(col(AuditEntry.id))
            )
        )


def _no_secret(entry: AuditEntry, *secrets: str) -> None:
    text = json.dumps([entry.before, entry.after])
    for name in audit.SECRET_FIELDS:
        assert f'"{name}"' not in text, (name, text)
    for secret in secrets:
        assert secret not in text


def _admin_user(db: Database, name: str) -> Caller:
    """A staff caller as a signed-in web user is, with a display name to find."""
    user = users.add_user(db.engine, unique_code("u"), PASSWORD, ADMIN, display_name=name)
    return Caller(kind="staff", key_id=f"user-{user.id}", party=HOME_CODE, role=ADMIN)


def _partner_body(**fields: Any) -> PartnerIn:
    return PartnerIn.model_validate(
        {"code": unique_code(), "name": "Library", "country": "BY", "marc_format": "marc21"}
        | fields
    )


def test_a_partner_registered_changed_and_its_secret_renewed(database: Database) -> None:
    siti = _admin_user(database, "Siti Rahayu")
    created = partners.create(database.engine, database.settings, _partner_body(), siti)
    (entry,) = _entries(database, audit.PARTNER, created.code)
    assert (entry.action, entry.actor, entry.actor_name) == ("created", siti.actor, "Siti Rahayu")
    assert entry.before is None and entry.after is not None
    assert entry.after["name"] == "Library" and entry.after["country"] == "BY"
    _no_secret(entry, created.webhook_secret, created.api_key)
    (key_entry,) = _entries(database, audit.KEY, created.api_key_id)
    assert key_entry.action == "created" and key_entry.after is not None
    assert key_entry.after["partner"] == created.code and key_entry.after["role"] == "partner"
    _no_secret(key_entry, created.api_key)

    patch = PartnerPatch(name="National Library of Belarus", isil="BY-HM0000")
    partners.update(database.engine, database.settings, siti, created.code, patch)
    # The same values again change nothing, and are no entry.
    partners.update(database.engine, database.settings, siti, created.code, patch)
    _, updated = _entries(database, audit.PARTNER, created.code)
    assert updated.action == "updated"
    changes = {c.field: (c.before, c.after) for c in audit.diff(updated.before, updated.after)}
    assert changes == {
        "name": ("Library", "National Library of Belarus"),
        "isil": (None, "BY-HM0000"),
    }

    fresh = partners.new_webhook_secret(database.engine, siti, created.code)
    renewed = _entries(database, audit.PARTNER, created.code)[-1]
    assert renewed.action == "secret_renewed" and renewed.actor == siti.actor
    _no_secret(renewed, fresh.webhook_secret)


def test_a_partner_that_is_not_registered_leaves_no_entry(database: Database) -> None:
    body = _partner_body()
    partners.create(database.engine, database.settings, body, STAFF)
    with pytest.raises(Problem):
        partners.create(database.engine, database.settings, body, STAFF)
    assert [e.action for e in _entries(database, audit.PARTNER, body.code)] == ["created"]


def test_an_agreement_recorded(database: Database) -> None:
    created = partners.create(database.engine, database.settings, _partner_body(), STAFF)
    body = AgreementIn.model_validate(AGREEMENT)
    made = agreements.create(database.engine, STAFF, created.code, body)
    (entry,) = _entries(database, audit.AGREEMENT, str(made.id))
    assert entry.action == "created" and entry.actor == STAFF.actor
    assert entry.after is not None
    assert entry.after["partner"] == created.code
    assert entry.after["valid_to"] == "2035-12-31"
    assert entry.after["programmes"] == ["material_exchange"]
    # A refused agreement writes no entry.
    before = audit.entries(database.engine, audit.AuditQuery(entity=audit.AGREEMENT)).total
    with pytest.raises(Problem):
        agreements.create(
            database.engine,
            STAFF,
            created.code,
            body.model_copy(update={"valid_to": body.valid_from - timedelta(days=1)}),
        )
    assert audit.entries(database.engine, audit.AuditQuery(entity=audit.AGREEMENT)).total == before


def test_keys_made_revoked_and_rotated(database: Database) -> None:
    made = keys.create(database.engine, KeyIn(role="cataloguer", label="desk 2"), STAFF)
    (entry,) = _entries(database, audit.KEY, made.id)
    assert entry.action == "created" and entry.after is not None
    assert entry.after["role"] == "cataloguer" and entry.after["label"] == "desk 2"
    _no_secret(entry, made.key)

    keys.revoke(database.engine, made.id, STAFF)
    _, revoked = _entries(database, audit.KEY, made.id)
    assert revoked.action == "revoked"
    (change,) = audit.diff(revoked.before, revoked.after)
    assert change.field == "revoked_at" and change.before is None and change.after

    partner = partners.create(database.engine, database.settings, _partner_body(), STAFF)
    rotated = partners.rotate_key(
        database.engine, STAFF, partner.code, RotateIn(overlap_hours=24, label="2027")
    )
    (shortened,) = [
        e for e in _entries(database, audit.KEY, partner.api_key_id) if e.action == "updated"
    ]
    (change,) = audit.diff(shortened.before, shortened.after)
    assert change.field == "expires_at" and change.before is None and change.after
    (new_entry,) = _entries(database, audit.KEY, rotated.id)
    assert new_entry.action == "created" and new_entry.after is not None
    assert new_entry.after["label"] == "2027"
    _no_secret(new_entry, rotated.key)


def test_users_made_given_a_password_and_disabled(database: Database) -> None:
    admin = _admin_user(database, "Budi Santoso")
    name = unique_code("u")
    users.add_user(database.engine, name, PASSWORD, "cataloguer", caller=admin)
    assert users.set_password(database.engine, name, "kata-sandi-baru-22", caller=admin)
    assert users.disable_user(database.engine, name, caller=admin)
    created, password, disabled = _entries(database, audit.USER, name)
    assert created.action == "created" and created.actor_name == "Budi Santoso"
    assert created.after is not None and created.after["role"] == "cataloguer"
    assert password.action == "password_changed"
    assert audit.diff(password.before, password.after) == []  # the hash is never written
    assert disabled.action == "disabled"
    assert [c.field for c in audit.diff(disabled.before, disabled.after)] == ["disabled_at"]
    for entry in (created, password, disabled):
        _no_secret(entry, PASSWORD, "kata-sandi-baru-22", "$argon2")


def test_the_command_line_is_the_system_actor(database: Database) -> None:
    name = unique_code("u")
    users.add_user(database.engine, name, PASSWORD, "acquisitions")
    (entry,) = _entries(database, audit.USER, name)
    assert entry.actor == audit.SYSTEM and entry.actor_name is None


def test_deposits_new_and_again(database: Database) -> None:
    isbn = unique_isbn()
    body = DepositIn(title="Babad Tanah Jawi", isbn=isbn, copies=3)
    item, created = fund.deposit(database.engine, body, 2, STAFF)
    assert created
    again, created = fund.deposit(database.engine, body.model_copy(update={"copies": 4}), 2, STAFF)
    assert not created and again.id == item.id
    first, second = _entries(database, audit.DEPOSIT, str(item.id))
    assert first.action == second.action == "deposited"
    assert first.before is None and first.after is not None
    assert first.after["copies_received"] == 3 and first.after["copies_deposited"] == 3
    changes = {c.field: (c.before, c.after) for c in audit.diff(second.before, second.after)}
    assert changes["copies_received"] == (3, 7)
    assert changes["copies_deposited"] == (None, 4)
    assert "marc" not in (second.after or {})


def test_entries_are_listed_newest_first_and_filtered(database: Database) -> None:
    named = _admin_user(database, "Dewi Lestari Audit")
    one = partners.create(database.engine, database.settings, _partner_body(), named)
    two = partners.create(database.engine, database.settings, _partner_body(), named)
    page = audit.entries(
        database.engine, audit.AuditQuery(entity=audit.PARTNER, actor="Lestari Audit")
    )
    assert [e.entity_key for e in page.items] == [two.code, one.code]
    assert page.total == 2 and page.items[0].changes  # a creation lists its fields
    by_actor = audit.entries(database.engine, audit.AuditQuery(actor=named.actor))
    assert {e.entity for e in by_actor.items} == {"partner", "key"}
    today = page.items[0].at.date()
    later = audit.AuditQuery(actor=named.actor, since=today + timedelta(days=1))
    assert audit.entries(database.engine, later).total == 0
    same_day = audit.AuditQuery(actor=named.actor, since=today, until=today)
    assert audit.entries(database.engine, same_day).total == by_actor.total
    earlier = audit.AuditQuery(actor=named.actor, until=today - timedelta(days=1))
    assert audit.entries(database.engine, earlier).total == 0


def test_a_change_rolled_back_takes_its_entry_with_it(database: Database) -> None:
    """The entry is in the change's own session: a transaction that fails loses both."""
    code = unique_code()
    with pytest.raises(RuntimeError), session_scope(database.engine) as session:
        audit.changed(session, STAFF, audit.PARTNER, code, audit.CREATED, after={"code": code})
        session.flush()
        raise RuntimeError("the change fails after its entry was written")
    assert _entries(database, audit.PARTNER, code) == []


def test_a_partner_changing_its_own_webhook_is_named_as_the_library(database: Database) -> None:
    created, partner = new_partner(database, name="Национальная библиотека Беларуси")
    insecure = database.settings.model_copy(update={"allow_insecure_webhooks": True})
    patch = PartnerPatch.model_validate({"webhook_url": "http://127.0.0.1:9000/hooks"})
    partners.update(database.engine, insecure, partner, created.code, patch)
    (entry,) = [e for e in _entries(database, audit.PARTNER, created.code) if e.action == "updated"]
    assert entry.actor == created.code
    assert entry.actor_name == "Национальная библиотека Беларуси"  # not its key's label
    assert [c.field for c in audit.diff(entry.before, entry.after)] == ["webhook_url"]
