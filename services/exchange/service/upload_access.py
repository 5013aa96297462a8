"""Who may upload MARC records where: one rule for the API and the pages.

A partner's records describe the copies it sends, so a partner uploads only to an exchange
where it is the sender, and only once it has shipped them (the exchange is shipped,
received or catalogued). An exchange that is not its own does not exist for it (404); one
of its own in the wrong direction or state is a 409 whose problem type names what is wrong.
Staff cataloguers and admins upload to any exchange, or on their own without one (the
exchange's workflow still refuses one that has ended); acquisitions staff do not upload.

The exchange workflow's own rule (``workflows.exchange.rules.may_upload_marc``) is wider:
either side, any state before the end. It stays as it is, since running workflows replay
against it; this rule is checked before the workflow is asked, and dry runs, which never
reach the workflow, are held to it as well.

Issue 15 adds a partner's offer lists: a partner will also upload to its own offer list.
That rule goes in ``upload_refusal`` beside the exchange's, with its own target.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy import select as core_select
from sqlmodel import col

from services.exchange.models import Exchange
from services.exchange.problems import Problem, not_found
from services.exchange.service.keys import ADMIN, CATALOGUER, Caller
from workflows.exchange.types import CATALOGUED, RECEIVED, SHIPPED

# The states in which the sender's parcel, and so the records of it, exist.
PARTNER_UPLOAD_STATES = (SHIPPED, RECEIVED, CATALOGUED)
_INCOMING = "incoming"  # a stored direction: the partner sends to us
# Fixed sentences (the state is the problem's ``state`` member), so a page translates them.
NOT_THE_SENDER = (
    "Only the sender uploads the records of an exchange; in this one you are the recipient."
)
NOT_SHIPPED = "The records of a parcel are uploaded once it is shipped."


def upload_refusal(caller: Caller, partner_sends: bool | None, state: str | None) -> Problem | None:
    """Why ``caller`` may not upload to an exchange it sees, or None if it may.

    ``partner_sends`` and ``state`` describe the exchange; both None for an upload with no
    exchange. Visibility (the 404) is checked before, by whoever found the exchange.
    """
    if caller.is_staff:
        if caller.role in (ADMIN, CATALOGUER):
            return None
        return Problem(403, "role-required", "this action needs the admin or cataloguer role")
    if partner_sends is None:
        return Problem(
            422, "validation-error", "exchange_id: a partner uploads into one of its exchanges"
        )
    if not partner_sends:
        return Problem(409, "not-the-sender", NOT_THE_SENDER)
    if state not in PARTNER_UPLOAD_STATES:
        return Problem(409, "exchange-not-shipped", NOT_SHIPPED, state=state)
    return None


def may_upload(caller: Caller, partner_sends: bool | None, state: str | None) -> bool:
    """Whether the page should offer the upload form (the same rule as ``check_upload``)."""
    return upload_refusal(caller, partner_sends, state) is None


def check_upload(engine: Engine, caller: Caller, exchange_id: str | None) -> None:
    """Raise the problem that refuses this upload: 404 for an exchange the caller does not
    see, else ``upload_refusal``'s; reads three columns only."""
    partner_sends: bool | None = None
    state: str | None = None
    if exchange_id is not None:
        with engine.connect() as conn:
            found = conn.execute(
                core_select(
                    col(Exchange.partner_id), col(Exchange.direction), col(Exchange.state)
                ).where(col(Exchange.id) == exchange_id)
            ).first()
        if found is None or not (caller.is_staff or found[0] == caller.partner_id):
            raise not_found(f"exchange {exchange_id}")
        partner_sends, state = found[1] == _INCOMING, found[2]
    refusal = upload_refusal(caller, partner_sends, state)
    if refusal is not None:
        raise refusal
