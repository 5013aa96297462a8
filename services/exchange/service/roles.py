"""Who may change what: the one role rule of the routes, the pages and the service layer.

Any staff key may read what staff can read; changing something needs the role for it, and an
admin passes every check. A partner's key passes only where its role is named. The API's
dependencies (``http/deps``) re-export these, so a route, a page and a service function that
take the same step refuse alike, with the same words.
"""

from __future__ import annotations

from services.exchange.problems import Problem
from services.exchange.service.keys import ADMIN, PARTNER_ROLE, Caller
from workflows.errors import N_

STAFF_KEY_NEEDED = N_("this action needs a staff key")


def permitted(caller: Caller, roles: tuple[str, ...]) -> bool:
    return caller.role == ADMIN or caller.role in roles


def require_role(caller: Caller, *roles: str) -> Caller:
    """Admin and the given roles pass; a partner's key is refused as one, a staff key without
    the role with the roles it needs ("this action needs the admin or acquisitions role")."""
    if permitted(caller, roles):
        return caller
    if not caller.is_staff:
        raise Problem(403, "staff-only", STAFF_KEY_NEEDED)
    needed = " or ".join(r for r in (ADMIN, *roles) if r != PARTNER_ROLE)
    raise Problem(
        403, "role-required", N_("this action needs the {roles} role").format(roles=needed)
    )
