"""API keys: how they are made, stored (hashed), checked, listed, revoked and rotated.

A key reads ``exk_<id>_<secret>``: the id finds the row, the secret is compared as a SHA-256
hash. Keys are long random strings, so a fast hash is enough; the key itself is never stored
and is shown only in the response that creates it.

Looking the key up in the database on every request costs more than the partner's read
itself, so each API process remembers the keys it has accepted for
``EXCHANGE_KEY_CACHE_SECONDS`` (``KeyCache``). Revocation and rotation still stop a key at
once: in the process that makes the change the cache is cleared before the response goes out,
and that process also replaces a stamp file in the data directory, which every API process
sharing that directory (the workers of ``exchange api``, or containers on one volume) checks
before each lookup. An API process on another machine without the shared directory may accept
a revoked key for at most ``EXCHANGE_KEY_CACHE_SECONDS`` more; ``0`` turns the cache off. An
expiry time is never outlived: a cached key stops at its ``expires_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from services.exchange.models import ApiKey, Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.keys import KeyCreated, KeyIn, KeyOut
from services.exchange.service import audit
from services.exchange.storage.db import session_scope

ADMIN = "admin"
ACQUISITIONS = "acquisitions"
CATALOGUER = "cataloguer"
PARTNER_ROLE = "partner"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated side of a request."""

    kind: Literal["staff", "partner"]
    key_id: str
    party: str
    role: str
    partner_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def actor(self) -> str:
        """The name written into exchange history: the partner's code, or the staff key."""
        return self.party if self.kind == "partner" else f"staff:{self.key_id}"

    @property
    def principal(self) -> str:
        """Who owns idempotency keys: a partner across its rotated keys, or one staff key."""
        return f"partner:{self.party}" if self.kind == "partner" else f"staff:{self.key_id}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(
    session: Session,
    role: str,
    partner_id: int | None,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key row and return it with the plain key, which is shown to the caller once."""
    key_id = secrets.token_hex(6)
    token = f"exk_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=key_id,
        secret_hash=_hash(token),
        partner_id=partner_id,
        role=role,
        label=label,
        expires_at=expires_at,
    )
    session.add(row)
    return row, token


STAMP_FILE = "keys-changed"
_MAX_CACHED = 10_000


class KeyCache:
    """Keys this process accepted recently, by the SHA-256 of the key (the key is not kept).

    Only accepted keys are kept, so guessing cannot fill it; ``generation`` makes sure a lookup
    that started before a revocation cannot put its stale answer back after the clear.
    """

    def __init__(self, ttl: float, stamp: Path | None) -> None:
        self.ttl = ttl
        self.stamp = stamp
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._generation = 0
        self._seen_stamp = self._read_stamp()
        self._lock = threading.Lock()

    def _read_stamp(self) -> tuple[int, int]:
        if self.stamp is None:
            return (0, 0)
        try:
            st = os.stat(self.stamp)
        except OSError:
            return (0, 0)
        return (st.st_ino, st.st_mtime_ns)

    def lookup(self, digest: str) -> tuple[Caller | None, int]:
        """The cached caller, if still fresh, and the generation to hand back to ``store``."""
        stamp = self._read_stamp()
        if stamp != self._seen_stamp:  # another process revoked or rotated a key
            self._seen_stamp = stamp
            self.clear()
        entry = self._entries.get(digest)
        if entry is not None:
            if entry[0] > time.monotonic():
                return entry[1], self._generation
            self._entries.pop(digest, None)
        return None, self._generation

    def store(
        self, digest: str, caller: Caller, expires_at: datetime | None, generation: int
    ) -> None:
        lifetime = self.ttl
        if expires_at is not None:
            lifetime = min(lifetime, (expires_at - datetime.now(UTC)).total_seconds())
        if lifetime <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= _MAX_CACHED:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + lifetime, caller)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def changed(self) -> None:
        """A key was revoked or cut short: forget here, and tell the other processes."""
        self.clear()
        if self.stamp is None:
            return
        try:
            temporary = self.stamp.with_name(f".{self.stamp.name}.{uuid.uuid4().hex}")
            temporary.write_text(uuid.uuid4().hex)
            os.replace(temporary, self.stamp)  # a new inode: no clock granularity to trust
            self._seen_stamp = self._read_stamp()
        except OSError:
            pass  # a read-only data directory: the other processes wait out the TTL


_caches: weakref.WeakKeyDictionary[Engine, KeyCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def key_cache(engine: Engine, ttl: float, data_dir: Path | None) -> KeyCache | None:
    """The cache of this process for this database (tests run several in one process)."""
    if ttl <= 0:
        return None
    cache = _caches.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.get(engine)
            if cache is None:
                cache = KeyCache(ttl, data_dir / STAMP_FILE if data_dir else None)
                _caches[engine] = cache
    return cache


def _keys_changed(engine: Engine) -> None:
    cache = _caches.get(engine)
    if cache is not None:
        cache.changed()


def admin_caller(token: str, admin_token: str | None, home_code: str) -> Caller | None:
    """The bootstrap staff key from the settings, compared in constant time."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller(kind="staff", key_id="admin", party=home_code, role=ADMIN)
    return None


def cached_caller(cache: KeyCache, token: str) -> Caller | None:
    """The caller for a key this process accepted moments ago, without the database."""
    caller, _ = cache.lookup(_hash(token))
    return caller


def authenticate(
    engine: Engine,
    token: str,
    admin_token: str | None,
    home_code: str,
    cache: KeyCache | None = None,
) -> Caller | None:
    admin = admin_caller(token, admin_token, home_code)
    if admin is not None:
        return admin
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "exk":
        return None
    digest = _hash(token)
    generation = 0
    if cache is not None:
        hit, generation = cache.lookup(digest)
        if hit is not None:
            return hit
    with engine.connect() as conn:
        found = conn.execute(
            core_select(
                col(ApiKey.id),
                col(ApiKey.secret_hash),
                col(ApiKey.role),
                col(ApiKey.partner_id),
                col(ApiKey.expires_at),
                col(ApiKey.revoked_at),
                col(Partner.code),
            )
            .join(Partner, col(Partner.id) == col(ApiKey.partner_id), isouter=True)
            .where(col(ApiKey.id) == parts[1])
        ).first()
    if found is None:
        return None
    key_id, secret_hash, role, partner_id, expires_at, revoked_at, code = found
    if revoked_at is not None:
        return None
    if expires_at is not None and expires_at <= datetime.now(UTC):
        return None
    if not hmac.compare_digest(secret_hash, digest):
        return None
    if partner_id is None:
        caller = Caller(kind="staff", key_id=key_id, party=home_code, role=role)
    elif code is None:
        return None
    else:
        caller = Caller(kind="partner", key_id=key_id, party=code, role=role, partner_id=partner_id)
    if cache is not None:
        cache.store(digest, caller, expires_at, generation)
    return caller


def _out(row: ApiKey, partner: str | None) -> KeyOut:
    return KeyOut(
        id=row.id,
        role=row.role,  # type: ignore[arg-type]
        partner=partner,
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def create(engine: Engine, body: KeyIn, caller: Caller | None = None) -> KeyCreated:
    with session_scope(engine) as session:
        partner_id = None
        if body.role == PARTNER_ROLE:
            if not body.partner:
                raise Problem(422, "validation-error", "partner: a partner key names its partner")
            partner = session.exec(select(Partner).where(col(Partner.code) == body.partner)).first()
            if partner is None:
                raise Problem(422, "unknown-partner", f"partner: no partner {body.partner}")
            partner_id = partner.id
        elif body.partner:
            raise Problem(422, "validation-error", "partner: only partner keys name a partner")
        row, token = new_key(session, body.role, partner_id, body.label, body.expires_at)
        session.flush()
        after = audit.snapshot(row, partner=body.partner)
        audit.changed(session, caller, audit.KEY, row.id, audit.CREATED, after=after)
        return KeyCreated(**_out(row, body.partner).model_dump(), key=token)


def list_all(engine: Engine, include_revoked: bool) -> list[KeyOut]:
    with Session(engine) as session:
        query = select(ApiKey, Partner).join(
            Partner, col(Partner.id) == col(ApiKey.partner_id), isouter=True
        )
        if not include_revoked:
            query = query.where(col(ApiKey.revoked_at).is_(None))
        rows = session.exec(query.order_by(col(ApiKey.created_at))).all()
        return [_out(key, partner.code if partner else None) for key, partner in rows]


def revoke(engine: Engine, key_id: str, caller: Caller | None = None) -> None:
    with session_scope(engine) as session:
        result = session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise not_found(f"key {key_id}")
        revoked = session.get(ApiKey, key_id)
        if revoked is not None:
            before, after = audit.snapshot(revoked, revoked_at=None), audit.snapshot(revoked)
            audit.changed(session, caller, audit.KEY, key_id, audit.REVOKED, before, after)
    _keys_changed(engine)


def rotate_partner_key(
    engine: Engine,
    partner: Partner,
    overlap: timedelta,
    label: str | None,
    caller: Caller | None = None,
) -> KeyCreated:
    """A new partner key; the partner's current keys keep working for ``overlap`` only."""
    now = datetime.now(UTC)
    ends = now + overlap
    with session_scope(engine) as session:
        for row in session.exec(
            select(ApiKey).where(
                col(ApiKey.partner_id) == partner.id, col(ApiKey.revoked_at).is_(None)
            )
        ):
            if row.expires_at is None or row.expires_at > ends:
                before = audit.snapshot(row, partner=partner.code)
                row.expires_at = ends
                session.add(row)
                after = audit.snapshot(row, partner=partner.code)
                audit.changed(session, caller, audit.KEY, row.id, audit.UPDATED, before, after)
        row, token = new_key(session, PARTNER_ROLE, partner.id, label)
        session.flush()
        after = audit.snapshot(row, partner=partner.code)
        audit.changed(session, caller, audit.KEY, row.id, audit.CREATED, after=after)
        created = KeyCreated(**_out(row, partner.code).model_dump(), key=token)
    _keys_changed(engine)  # the older keys now expire sooner than the cache may remember
    return created
