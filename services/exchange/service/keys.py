"""API keys: how they are made, stored (hashed) and checked.

A key reads ``exk_<id>_<secret>``: the id finds the row, the secret is compared as a SHA-256
hash. Keys are long random strings, so a fast hash is enough; the key itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session

from services.exchange.models import ApiKey, Partner

STAFF_ADMIN = "admin"
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


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(session: Session, role: str, partner_id: int | None) -> tuple[ApiKey, str]:
    """Create a key row and return it with the plain key, which is shown to the caller once."""
    key_id = secrets.token_hex(6)
    token = f"exk_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(id=key_id, secret_hash=_hash(token), partner_id=partner_id, role=role)
    session.add(row)
    return row, token


def authenticate(
    engine: Engine, token: str, admin_token: str | None, home_code: str
) -> Caller | None:
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Caller(kind="staff", key_id="admin", party=home_code, role=STAFF_ADMIN)
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "exk":
        return None
    with Session(engine) as session:
        row = session.get(ApiKey, parts[1])
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, _hash(token)):
            return None
        if row.partner_id is None:
            return Caller(kind="staff", key_id=row.id, party=home_code, role=row.role)
        partner = session.get(Partner, row.partner_id)
        if partner is None:
            return None
        return Caller(
            kind="partner",
            key_id=row.id,
            party=partner.code,
            role=row.role,
            partner_id=partner.id,
        )
