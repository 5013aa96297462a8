"""Users and sessions of the web pages through the service layer.

``test_web`` checks the same through the ``exchange users`` command and the pages; here
``service/users.py`` is asked directly. Argon2 at its production cost is slow on purpose
(a fifth of a second a hash here, half a second under load), so these tests hash with a
cheap Argon2id instead; that the production hasher keeps the library's RFC 9106 defaults is
checked on its own, and a stored hash made with other parameters is renewed at sign-in.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import update
from sqlmodel import Session, col, select

from services.exchange.models import WebSession, WebUser
from services.exchange.service import users
from tests.fast.conftest import HOME_CODE, Database, new_partner

PASSWORD = "kata-sandi-rahasia"
# Taken before any test replaces them.
PRODUCTION_HASHER = users._hasher
PRODUCTION_DUMMY = users._DUMMY_HASH


def _cheap(time_cost: int = 1) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = _cheap()
    monkeypatch.setattr(users, "_hasher", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash("not anyone's password"))


def _name() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def test_users_are_refused_unless_name_role_password_and_partner_agree(
    database: Database,
) -> None:
    partner, _ = new_partner(database)
    name = _name()
    users.add_user(database.engine, name, PASSWORD, "cataloguer")
    for args, message in (
        ((name, PASSWORD, "acquisitions"), f"already a user {name}"),
        ((_name(), "short", "cataloguer"), "at least 10 characters"),
        ((_name(), PASSWORD, "librarian"), "role must be one of"),
        ((_name(), PASSWORD, "partner"), "--partner"),
        ((_name(), PASSWORD, "cataloguer", partner.code), "--partner"),
        ((_name(), PASSWORD, "partner", "NOSUCHLIB"), "no partner NOSUCHLIB"),
        (("  ", PASSWORD, "cataloguer"), "1 to 64 characters"),
        (("x" * 65, PASSWORD, "cataloguer"), "1 to 64 characters"),
    ):
        with pytest.raises(users.UserError) as refused:
            users.add_user(database.engine, *args)
        assert message in str(refused.value), args
    assert users.has_users(database.engine)


def test_a_session_acts_as_its_user_with_a_csrf_token(database: Database) -> None:
    partner, _ = new_partner(database)
    staff_name, partner_name = _name(), _name()
    staff = users.add_user(
        database.engine, f"  {staff_name} ", PASSWORD, "acquisitions", None, "Siti"
    )
    assert staff.username == staff_name and staff.password_hash.startswith("$argon2id$")
    users.add_user(database.engine, partner_name, PASSWORD, "partner", partner.code)

    token = users.sign_in(database.engine, staff_name, PASSWORD)
    assert token is not None
    signed = users.session_for(database.engine, token, HOME_CODE)
    assert signed is not None and not signed.is_partner
    assert (signed.username, signed.display_name) == (staff_name, "Siti")
    assert (signed.caller.role, signed.caller.party, signed.caller.key_id) == (
        "acquisitions",
        HOME_CODE,
        f"user-{staff.id}",
    ), "history names the user by id, not by login name"
    assert len(signed.csrf_token) >= 40
    with Session(database.engine) as session:
        stored = session.exec(select(WebSession).where(col(WebSession.user_id) == staff.id)).one()
    assert stored.id != token and len(stored.id) == 64, "only the token's hash is kept"

    portal = users.sign_in(database.engine, partner_name, PASSWORD)
    assert portal is not None
    seen = users.session_for(database.engine, portal, HOME_CODE)
    assert seen is not None and seen.is_partner and seen.display_name == partner_name
    assert (seen.caller.party, seen.caller.role) == (partner.code, "partner")

    assert users.sign_in(database.engine, staff_name, "wrong-password") is None
    assert users.sign_in(database.engine, _name(), PASSWORD) is None, "an unknown name"
    assert users.session_for(database.engine, "not-a-token", HOME_CODE) is None
    users.sign_out(database.engine, token)
    assert users.session_for(database.engine, token, HOME_CODE) is None
    assert users.session_for(database.engine, portal, HOME_CODE) is not None, "only that one"


def test_a_new_password_or_disabling_ends_the_open_sessions(database: Database) -> None:
    name = _name()
    users.add_user(database.engine, name, PASSWORD, "cataloguer")
    token = users.sign_in(database.engine, name, PASSWORD)
    assert token is not None
    with pytest.raises(users.UserError):
        users.set_password(database.engine, name, "short")
    assert users.set_password(database.engine, name, "kata-sandi-baru-1")
    assert users.session_for(database.engine, token, HOME_CODE) is None
    assert users.sign_in(database.engine, name, PASSWORD) is None
    token = users.sign_in(database.engine, name, "kata-sandi-baru-1")
    assert token is not None
    assert users.disable_user(database.engine, name)
    assert users.session_for(database.engine, token, HOME_CODE) is None
    assert users.sign_in(database.engine, name, "kata-sandi-baru-1") is None
    assert not users.disable_user(database.engine, _name())
    assert not users.set_password(database.engine, _name(), "kata-sandi-baru-1")


def test_a_session_ends_at_its_expiry(database: Database) -> None:
    name = _name()
    user = users.add_user(database.engine, name, PASSWORD, "admin")
    token = users.sign_in(database.engine, name, PASSWORD)
    assert token is not None
    with Session(database.engine) as session:
        row = session.exec(select(WebSession).where(col(WebSession.user_id) == user.id)).one()
        lifetime, first = row.expires_at - row.created_at, row.id
        session.execute(
            update(WebSession)
            .where(col(WebSession.user_id) == user.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    assert lifetime == users.SESSION_LIFETIME
    assert users.session_for(database.engine, token, HOME_CODE) is None
    users.sign_in(database.engine, name, PASSWORD)  # signing in clears expired sessions
    with Session(database.engine) as session:
        left = session.exec(select(WebSession).where(col(WebSession.user_id) == user.id)).all()
        assert session.get(WebUser, user.id) is not None
    assert len(left) == 1 and left[0].id != first


def test_a_hash_made_with_other_parameters_is_renewed_at_sign_in(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name()
    user = users.add_user(database.engine, name, PASSWORD, "cataloguer")
    assert "$m=1024,t=1,p=1$" in user.password_hash
    monkeypatch.setattr(users, "_hasher", _cheap(time_cost=2))
    assert users.sign_in(database.engine, name, PASSWORD) is not None
    with Session(database.engine) as session:
        renewed = session.get(WebUser, user.id)
    assert renewed is not None and "$m=1024,t=2,p=1$" in renewed.password_hash


def test_production_hashes_are_argon2id_at_rfc_9106_parameters() -> None:
    profile = RFC_9106_LOW_MEMORY
    assert PRODUCTION_HASHER.type is Type.ID
    assert (
        PRODUCTION_HASHER.time_cost,
        PRODUCTION_HASHER.memory_cost,
        PRODUCTION_HASHER.parallelism,
    ) == (profile.time_cost, profile.memory_cost, profile.parallelism)
    assert PRODUCTION_DUMMY.startswith(
        f"$argon2id$v=19$m={profile.memory_cost},t={profile.time_cost},p={profile.parallelism}$"
    ), "an unknown name costs as long as a wrong password"
