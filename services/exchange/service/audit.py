"""The audit trail: every change to partners, agreements, keys, users, deposits and rates.

Each service function that changes one of those calls ``record`` (or ``changed``) in the
session of the change itself, so the entry is written in the same transaction: a change that
rolls back leaves no entry, and no change is made without one. ``before`` and ``after`` hold
the row's fields as they were and became, never a secret: key and session hashes, passwords
and webhook secrets are left out (``SECRET_FIELDS``), so reading the audit shows *that* a
secret changed, not what it is.

Who acted is the caller's ``actor`` (as exchange history writes it: ``staff:user-3``,
``staff:<key id>``, a partner's code) with a name people recognise beside it, looked up when the
entry is written: a web user's display name, a staff key's label, a partner's name. Changes made
on the server's command line (``exchange user ...``) have no caller: their actor is
``system``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select

from services.exchange.models import ApiKey, AuditEntry, Partner, WebUser
from services.exchange.schemas.audit import AuditEntryOut, FieldChange
from services.exchange.schemas.common import Page
from services.exchange.storage.utc import utcnow

if TYPE_CHECKING:  # keys.py records its changes here: no import at run time
    from services.exchange.service.keys import Caller

PARTNER = "partner"
AGREEMENT = "agreement"
KEY = "key"
USER = "user"
DEPOSIT = "deposit"
OFFER_LIST = "offer_list"
EXCHANGE_RATE = "exchange_rate"
SERIAL_TITLE = "serial_title"
ENTITIES = (PARTNER, AGREEMENT, KEY, USER, DEPOSIT, OFFER_LIST, EXCHANGE_RATE, SERIAL_TITLE)

CREATED = "created"
UPDATED = "updated"
REVOKED = "revoked"
DISABLED = "disabled"
DEPOSITED = "deposited"
SECRET_RENEWED = "secret_renewed"
PASSWORD_CHANGED = "password_changed"
PUBLISHED = "published"
CLOSED = "closed"
WITHDRAWN = "withdrawn"
DELETED = "deleted"
ENDED = "ended"  # a serial exchange ended (not wanted, ceased, renamed, not confirmed)
REVIEWED = "reviewed"  # a serial exchange confirmed in the yearly review
ACTIONS = (
    CREATED,
    UPDATED,
    REVOKED,
    DISABLED,
    DEPOSITED,
    SECRET_RENEWED,
    PASSWORD_CHANGED,
    PUBLISHED,
    CLOSED,
    WITHDRAWN,
    DELETED,
    ENDED,
    REVIEWED,
)

SYSTEM = "system"
# Never written into an entry, whatever the row holds.
SECRET_FIELDS = frozenset(
    {"secret_hash", "password_hash", "webhook_secret", "password", "api_key", "key", "token"}
)
# Bookkeeping columns that change with every write and say nothing to a reader.
_SKIPPED = frozenset({"marc", "updated_at"})


def _plain(value: object) -> object:
    """A value as JSON keeps it: dates as ISO 8601, amounts as text, the rest as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(row: SQLModel | dict[str, Any], **extra: object) -> dict[str, Any]:
    """A row's fields for ``before`` or ``after``, without secrets, JSON-ready."""
    fields = row if isinstance(row, dict) else row.model_dump()
    merged = {**fields, **extra}
    return {
        name: _plain(value)
        for name, value in merged.items()
        if name not in SECRET_FIELDS and name not in _SKIPPED
    }


def _cut(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def actor_of(session: Session, caller: Caller | None) -> tuple[str, str | None]:
    """Who acted, and the name to show for them (None where there is none to find)."""
    if caller is None:
        return SYSTEM, None
    name: str | None = None
    key_id = caller.key_id
    if key_id.startswith("user-") and key_id[5:].isdigit():
        user = session.get(WebUser, int(key_id[5:]))
        name = (user.display_name or user.username) if user else None
    elif not caller.is_staff:  # a partner's key: the library acts, whatever the key's label
        partner = session.get(Partner, caller.partner_id) if caller.partner_id else None
        name = partner.name if partner else None
    else:
        key = session.get(ApiKey, key_id)
        name = key.label if key is not None and key.label else None
    return caller.actor, name


def record(
    session: Session,
    actor: str,
    actor_name: str | None,
    entity: str,
    entity_key: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Add one entry to the caller's session; it is committed with the change or not at all."""
    assert entity in ENTITIES and action in ACTIONS, (entity, action)
    entry = AuditEntry(
        at=utcnow(),
        actor=_cut(actor, 64) or SYSTEM,
        actor_name=_cut(actor_name, 200),
        entity=entity,
        entity_key=_cut(entity_key, 64) or "",
        action=action,
        before=snapshot(before) if before is not None else None,
        after=snapshot(after) if after is not None else None,
    )
    session.add(entry)
    return entry


def changed(
    session: Session,
    caller: Caller | None,
    entity: str,
    entity_key: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """``record`` for a caller; an update that changed no field is not an entry."""
    if action == UPDATED and before is not None and after is not None and not diff(before, after):
        return None
    actor, name = actor_of(session, caller)
    return record(session, actor, name, entity, entity_key, action, before, after)


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """Field by field, what differs: every field of a creation, the changed ones of an update."""
    old, new = before or {}, after or {}
    names = list(dict.fromkeys([*old, *new]))
    return [
        FieldChange(field=name, before=old.get(name), after=new.get(name))
        for name in names
        if old.get(name) != new.get(name)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """What the audit page and ``GET /api/v1/audit`` filter on; empty filters are not applied.

    ``since`` and ``until`` are days in UTC, both included.
    """

    entity: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 50
    offset: int = 0


_LISTED = {"id", "actor", "actor_name", "entity", "entity_key", "action", "before", "after"}


def _out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(
        {
            **entry.model_dump(include=_LISTED),
            "at": entry.at,
            "changes": diff(entry.before, entry.after),
        }
    )


def entries(engine: Engine, query: AuditQuery) -> Page[AuditEntryOut]:
    """Entries newest first; ``actor`` matches the actor or (part of) the actor's name."""
    wanted = select(AuditEntry)
    if query.entity:
        wanted = wanted.where(col(AuditEntry.entity) == query.entity)
    if query.actor:
        pattern = f"%{query.actor}%"
        wanted = wanted.where(
            (col(AuditEntry.actor) == query.actor) | col(AuditEntry.actor_name).ilike(pattern)
        )
    if query.since:
        wanted = wanted.where(col(AuditEntry.at) >= datetime.combine(query.since, time(), UTC))
    if query.until and query.until < date.max:
        ends = datetime.combine(query.until + timedelta(days=1), time(), UTC)
        wanted = wanted.where(col(AuditEntry.at) < ends)
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(wanted.subquery())).scalar_one()
        rows = session.scalars(
            wanted.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        return Page(
            items=[_out(e) for e in rows], total=total, limit=query.limit, offset=query.offset
        )
