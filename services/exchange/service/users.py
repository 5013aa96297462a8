"""People who use the web pages: their accounts, passwords and signed-in sessions.

Passwords are hashed with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendation).
A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256 hash,
so a copy of the database does not let anyone sign in. Each session carries its own CSRF
token, which every form posts back.

A signed-in user acts through the same ``Caller`` as an API key, so pages and API share one
set of rules: staff users act for our library with their role, partner users for their
partner only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from services.exchange.models import Partner, WebSession, WebUser
from services.exchange.service import audit
from services.exchange.service.keys import ACQUISITIONS, ADMIN, CATALOGUER, PARTNER_ROLE, Caller
from services.exchange.storage.db import session_scope

ROLES = (ADMIN, ACQUISITIONS, CATALOGUER, PARTNER_ROLE)
SESSION_LIFETIME = timedelta(hours=12)

_hasher = PasswordHasher()
# Compared against when the user name is unknown, so that a wrong name costs as long as a
# wrong password and does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user cannot be created as asked (unknown partner, name taken, bad role)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who it is, how they act, and the CSRF token their forms carry."""

    user_id: int
    username: str
    display_name: str
    caller: Caller
    csrf_token: str
    # The library they act for, by name: the partner's (the portal shows it); None for staff.
    library_name: str | None = None

    @property
    def is_partner(self) -> bool:
        return not self.caller.is_staff


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    partner_code: str | None = None,
    display_name: str | None = None,
    caller: Caller | None = None,
    email: str | None = None,
    language: str | None = None,
) -> WebUser:
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("a user name has 1 to 64 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise UserError("a password has at least 10 characters")
    if (role == PARTNER_ROLE) != (partner_code is not None):
        raise UserError("partner users, and only they, name their partner (--partner CODE)")
    email, language = _notice_address(email, language)
    if role == PARTNER_ROLE and (email or language):
        raise UserError("a partner's notices go to its contacts, not to its users")
    with session_scope(engine) as session:
        if session.exec(select(WebUser).where(col(WebUser.username) == username)).first():
            raise UserError(f"there is already a user {username}")
        partner_id = None
        if partner_code is not None:
            partner = session.exec(select(Partner).where(col(Partner.code) == partner_code)).first()
            if partner is None:
                raise UserError(f"there is no partner {partner_code}")
            partner_id = partner.id
        user = WebUser(
            username=username,
            password_hash=_hasher.hash(password),
            role=role,
            partner_id=partner_id,
            display_name=display_name,
            email=email,
            language=language,
        )
        session.add(user)
        session.flush()
        after = audit.snapshot(user, partner=partner_code)
        audit.changed(session, caller, audit.USER, username, audit.CREATED, after=after)
        return user


def sign_in(engine: Engine, username: str, password: str) -> str | None:
    """Check the password and open a session; returns the cookie token, or None."""
    with session_scope(engine) as session:
        user = session.exec(select(WebUser).where(col(WebUser.username) == username)).first()
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or user.disabled_at is not None:
            return None
        assert user.id is not None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.add(user)
        now = datetime.now(UTC)
        session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))
        token = secrets.token_urlsafe(32)
        session.add(
            WebSession(
                id=_token_hash(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        return token


def session_for(engine: Engine, token: str, home_code: str) -> SignedIn | None:
    """The signed-in user behind a cookie token, if the session is live."""
    with Session(engine) as session:
        found = session.exec(
            select(WebSession, WebUser, Partner)
            .join(WebUser, col(WebUser.id) == col(WebSession.user_id))
            .join(Partner, col(Partner.id) == col(WebUser.partner_id), isouter=True)
            .where(col(WebSession.id) == _token_hash(token))
        ).first()
    if found is None:
        return None
    row, user, partner = found
    if row.expires_at <= datetime.now(UTC) or user.disabled_at is not None:
        return None
    assert user.id is not None
    # History shows who acted; an id, not the login name, which partners would also see.
    key_id = f"user-{user.id}"
    if user.role == PARTNER_ROLE:
        if partner is None:
            return None
        caller = Caller(
            kind="partner",
            key_id=key_id,
            party=partner.code,
            role=PARTNER_ROLE,
            partner_id=partner.id,
        )
    else:
        caller = Caller(kind="staff", key_id=key_id, party=home_code, role=user.role)
    return SignedIn(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        caller=caller,
        csrf_token=row.csrf_token,
        library_name=partner.name if partner is not None else None,
    )


def sign_out(engine: Engine, token: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(WebSession).where(col(WebSession.id) == _token_hash(token)))


def _change_and_end_sessions(
    engine: Engine, username: str, action: str, caller: Caller | None, **changes: object
) -> bool:
    """Change a user's row and end their open sessions; False if there is no such user."""
    with session_scope(engine) as session:
        user = session.exec(select(WebUser).where(col(WebUser.username) == username)).first()
        if user is None:
            return False
        before = audit.snapshot(user)
        for name, value in changes.items():
            setattr(user, name, value)
        session.add(user)
        audit.changed(session, caller, audit.USER, username, action, before, audit.snapshot(user))
        session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
        return True


def disable_user(engine: Engine, username: str, caller: Caller | None = None) -> bool:
    """Stop a user signing in, and end the sessions they have open now."""
    now = datetime.now(UTC)
    return _change_and_end_sessions(engine, username, audit.DISABLED, caller, disabled_at=now)


def set_password(
    engine: Engine, username: str, password: str, caller: Caller | None = None
) -> bool:
    """A new password (a forgotten one, or a leaked one); open sessions end. The audit says
    that it changed, never the hash."""
    if len(password) < 10:
        raise UserError("a password has at least 10 characters")
    hashed = _hasher.hash(password)
    changed = audit.PASSWORD_CHANGED
    return _change_and_end_sessions(engine, username, changed, caller, password_hash=hashed)


NOTICE_LANGUAGES = ("en", "id")  # the staff pages' languages
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")  # as a partner contact's


def _notice_address(email: str | None, language: str | None) -> tuple[str | None, str | None]:
    """The address and language checked: an e-mail address or None, en or id or None."""
    email = email.strip() if email else None
    if email is not None and (len(email) > 320 or not _EMAIL.match(email)):
        raise UserError(f"{email} is not an e-mail address (name@domain)")
    if language is not None and language not in NOTICE_LANGUAGES:
        raise UserError(f"the language of notices is one of {', '.join(NOTICE_LANGUAGES)}")
    return email, language


def notice_address(engine: Engine, username: str) -> tuple[str | None, str | None]:
    """(e-mail, language) of a user's notices; (None, None) when none is set."""
    with Session(engine) as session:
        user = session.exec(select(WebUser).where(col(WebUser.username) == username)).first()
        return (user.email, user.language) if user else (None, None)


def set_notice_address(
    engine: Engine,
    username: str,
    email: str | None,
    language: str | None,
    caller: Caller | None = None,
) -> bool:
    """Where a staff user's notices go by e-mail (None: none) and in which language (None:
    English); False if there is no such user. Partner users get none: their library's
    contacts do. Audited; sessions stay open."""
    email, language = _notice_address(email, language)
    with session_scope(engine) as session:
        user = session.exec(select(WebUser).where(col(WebUser.username) == username)).first()
        if user is None:
            return False
        if user.role == PARTNER_ROLE:
            raise UserError("a partner's notices go to its contacts, not to its users")
        before = audit.snapshot(user)
        user.email, user.language = email, language
        session.add(user)
        after = audit.snapshot(user)
        audit.changed(session, caller, audit.USER, username, audit.UPDATED, before, after)
        return True


def has_users(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(WebUser.id).limit(1)).first() is not None
