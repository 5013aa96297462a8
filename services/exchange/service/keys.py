"""API keys: how they are made, stored (hashed), checked, listed, revoked and rotated.

A key reads ``exk_<id>_<secret>``: the id finds the row, the secret is compared as a SHA-256
hash. Keys are long random strings, so a fast hash is enough; the key itself is never stored
and is shown only in the response that creates it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from services.exchange.db import session_scope
from services.exchange.models import ApiKey, Partner
from services.exchange.problems import Problem, not_found
from services.exchange.schemas import KeyCreated, KeyIn, KeyOut

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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authenticate(
    engine: Engine, token: str, admin_token: str | None, home_code: str
) -> Caller | None:
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller(kind="staff", key_id="admin", party=home_code, role=ADMIN)
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "exk":
        return None
    with Session(engine) as session:
        found = session.exec(
            select(ApiKey, Partner)
            .join(Partner, col(Partner.id) == col(ApiKey.partner_id), isouter=True)
            .where(col(ApiKey.id) == parts[1])
        ).first()
    if found is None:
        return None
    row, partner = found
    if row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= datetime.now(UTC):
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(token)):
        return None
    if row.partner_id is None:
        return Caller(kind="staff", key_id=row.id, party=home_code, role=row.role)
    if partner is None:
        return None
    return Caller(
        kind="partner",
        key_id=row.id,
        party=partner.code,
        role=row.role,
        partner_id=partner.id,
    )


def _out(row: ApiKey, partner: str | None) -> KeyOut:
    return KeyOut(
        id=row.id,
        role=row.role,  # type: ignore[arg-type]
        partner=partner,
        label=row.label,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at) if row.expires_at else None,
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
    )


def create(engine: Engine, body: KeyIn) -> KeyCreated:
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


def revoke(engine: Engine, key_id: str) -> None:
    with session_scope(engine) as session:
        result = session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise not_found(f"key {key_id}")


def rotate_partner_key(
    engine: Engine, partner: Partner, overlap: timedelta, label: str | None
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
            if row.expires_at is None or _aware(row.expires_at) > ends:
                row.expires_at = ends
                session.add(row)
        row, token = new_key(session, PARTNER_ROLE, partner.id, label)
        session.flush()
        return KeyCreated(**_out(row, partner.code).model_dump(), key=token)
