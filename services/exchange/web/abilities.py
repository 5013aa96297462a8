"""What the signed-in reader may do, so a page shows only the forms that will be accepted.

The answers come from the role tuples the API's routes check (``http.deps``): a form, its
menu entry and the call to action that leads to it are shown when the step behind them would
pass ``require_role``, and a form page one may not use is a plain 403 page, not a form that is
refused at the last button.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.exchange.http.deps import (
    ACQUISITIONS_ROLES,
    ADMIN_ROLES,
    LIFECYCLE_ROLES,
    MARC_ROLES,
    permitted,
    require_role,
)
from services.exchange.problems import Problem
from services.exchange.service.keys import Caller
from services.exchange.web.i18n import N_

# Each ability: the roles of the API route that takes the step, and what a refused page says.
_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    # POST /api/v1/exchanges (AcquisitionsOrPartnerDep)
    "propose": (
        LIFECYCLE_ROLES,
        N_("Proposals are made by acquisitions staff and administrators."),
    ),
    # POST /api/v1/deposits (AcquisitionsDep)
    "deposit": (
        ACQUISITIONS_ROLES,
        N_("Deposits are recorded by acquisitions staff and administrators."),
    ),
    # POST /api/v1/marc/batches (CataloguerOrPartnerDep)
    "upload_marc": (
        MARC_ROLES,
        N_("MARC files are uploaded by cataloguers and administrators."),
    ),
    # POST /api/v1/offer-lists, publish, close, extend; selecting from a partner's list
    "offer": (
        ACQUISITIONS_ROLES,
        N_("Offer lists are made and selected from by acquisitions staff and administrators."),
    ),
    # POST|DELETE /api/v1/wishlist and /api/v1/partners/{code}/wishlist
    "wish": (
        ACQUISITIONS_ROLES,
        N_("Wish lists are kept by acquisitions staff and administrators."),
    ),
    # POST /api/v1/partners and their agreements (AdminDep)
    "administer": (
        ADMIN_ROLES,
        N_("Only administrators register partners and record agreements."),
    ),
}


@dataclass(frozen=True, slots=True)
class Abilities:
    """The templates' ``can``: one flag per form."""

    propose: bool
    deposit: bool
    upload_marc: bool
    administer: bool
    offer: bool
    wish: bool


def abilities(caller: Caller | None) -> Abilities:
    if caller is None:
        return Abilities(**{name: False for name in _RULES})
    flags = {name: permitted(caller, roles) for name, (roles, _) in _RULES.items()}
    return Abilities(**flags)


def require(caller: Caller, ability: str) -> Caller:
    """The role check of a form's page and its posts: 403 with a sentence the reader can use.

    The check itself is ``require_role`` with the API route's roles; only the wording is
    the page's own (a message id, translated by the error page).
    """
    roles, refused = _RULES[ability]
    try:
        return require_role(caller, *roles)
    except Problem as exc:
        raise Problem(403, exc.kind, refused) from None
