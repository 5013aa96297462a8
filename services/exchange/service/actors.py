"""Who acted, by name: the one place that turns a recorded actor into what people read.

History rows, batches and the audit keep the actor as it was recorded, a stable code that the
API gives as ``actor`` and that never changes when someone renames themselves:

- ``staff:user-<id>``: a staff member signed in to the pages (``services/exchange/service/users``);
- ``staff:<key id>``: a staff API key; ``staff:admin``: the bootstrap key of the settings;
- a partner's code: the partner, through its API key or a user of its portal (the partner
  library acts as one; we do not know its people apart);
- ``system``: the workflow itself (reminders, expiry, the last steps of an exchange).

Names are looked up when the actor is shown (``names``), so the same person reads the same
through the API (``actor_name``) and on every page, and a changed display name or key label
shows everywhere at once:

- a signed-in staff member: their display name; without one, their user name for staff
  readers and our library's name for partners (a login name is not for partners to see);
- a staff key: its label (name a person's key after them), else our library's name;
- the bootstrap key: the name of the administrator when exactly one staff user has the admin
  role (that is who holds the key), else "Administrator";
- a partner's code: the partner's name; our code: our name; ``system``: "System".

"Administrator" and "System" are English words; the pages translate them (``GENERIC_NAMES``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlmodel import col

from services.exchange.models import ApiKey, Partner, WebUser
from services.exchange.service.keys import ADMIN

SYSTEM = "system"
STAFF_PREFIX = "staff:"
ADMIN_ACTOR = "staff:admin"
USER_PREFIX = "user-"
SYSTEM_NAME = "System"
ADMIN_NAME = "Administrator"
# Names that are words, not names: the pages show them in the reader's language.
GENERIC_NAMES = frozenset({SYSTEM_NAME, ADMIN_NAME})


def user_actor(user_id: int) -> str:
    """The key id a signed-in staff member acts under (``staff:`` and this)."""
    return f"{USER_PREFIX}{user_id}"


def names(
    conn: Connection,
    actors: Iterable[str],
    *,
    home_code: str,
    home_name: str,
    for_staff: bool = True,
) -> dict[str, str]:
    """Each actor's name as ``for_staff`` (or a partner) reads it; an unknown actor as itself.

    At most three small queries (users, keys, partners), only for the kinds present.
    """
    wanted = set(actors)
    found: dict[str, str] = {}
    user_ids: dict[int, str] = {}
    key_ids: dict[str, str] = {}
    codes: set[str] = set()
    for actor in wanted:
        if actor == SYSTEM:
            found[actor] = SYSTEM_NAME
        elif actor == home_code:
            found[actor] = home_name
        elif actor == ADMIN_ACTOR:
            found[actor] = _admin_name(conn)
        elif actor.startswith(STAFF_PREFIX):
            key = actor[len(STAFF_PREFIX) :]
            number = key[len(USER_PREFIX) :] if key.startswith(USER_PREFIX) else ""
            if number.isdigit():
                user_ids[int(number)] = actor
            else:
                key_ids[key] = actor
        else:
            codes.add(actor)
    if user_ids:
        for user_id, username, display_name in conn.execute(
            select(col(WebUser.id), col(WebUser.username), col(WebUser.display_name)).where(
                col(WebUser.id).in_(list(user_ids))
            )
        ):
            fallback = username if for_staff else home_name
            found[user_ids[user_id or 0]] = display_name or fallback
    if key_ids:
        for key_id, label in conn.execute(
            select(col(ApiKey.id), col(ApiKey.label)).where(col(ApiKey.id).in_(list(key_ids)))
        ):
            found[key_ids[key_id]] = label or home_name
    if codes:
        for code, name in conn.execute(
            select(col(Partner.code), col(Partner.name)).where(col(Partner.code).in_(list(codes)))
        ):
            found[code] = name
    for actor in wanted - found.keys():
        # A user or key since deleted: still one of our staff.
        found[actor] = home_name if actor.startswith(STAFF_PREFIX) else actor
    return found


def _admin_name(conn: Connection) -> str:
    admins = conn.execute(
        select(col(WebUser.display_name))
        .where(col(WebUser.role) == ADMIN, col(WebUser.disabled_at).is_(None))
        .limit(2)
    ).all()
    if len(admins) == 1 and admins[0][0]:
        return str(admins[0][0])
    return ADMIN_NAME


def name_of(
    conn: Connection, actor: str, *, home_code: str, home_name: str, for_staff: bool = True
) -> str:
    """One actor's name (see ``names``): for a single row, such as an audit entry."""
    return names(conn, [actor], home_code=home_code, home_name=home_name, for_staff=for_staff)[
        actor
    ]
