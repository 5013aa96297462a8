"""The rules every part of offer lists shares: states, who sees a list, whose selection a
caller makes, the closing day, the lock a change takes, and how changes are audited.

A partner sees the outgoing lists addressed to it once they are published (never a draft)
and the lists it offers us itself; every other list does not exist for it (404, as an
exchange that is not its own). On our lists partners select; on a partner's list our staff
do, and that selection is kept under the offering partner (one selection per list and side).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from services.exchange.models import FundItem
from services.exchange.offer_models import OfferList, OfferListAddressee, OfferPick, OfferSelection
from services.exchange.problems import Problem, not_found
from services.exchange.service import agreements, audit
from services.exchange.service.keys import ACQUISITIONS, ADMIN, Caller
from services.exchange.settings import Settings
from workflows.errors import N_

OUTGOING = "outgoing"
INCOMING = "incoming"
DRAFT = "draft"
PUBLISHED = "published"
CLOSED = "closed"
WITHDRAWN = "withdrawn"

OPEN = "open"
SUBMITTED = "submitted"
RELEASED = "released"


# The furthest closing day a list may have, as the request schemas say.
MAX_DAYS_OPEN = 366


def today() -> date:
    return datetime.now(UTC).date()


def closing_day(settings: Settings, wanted: date | None) -> date:
    """The closing day asked for (from today to a year ahead), or the default weeks ahead."""
    day = today()
    if wanted is None:
        return day + timedelta(weeks=settings.offer_list_weeks)
    if wanted < day:
        raise Problem(422, "validation-error", N_("closes_on: the day has already passed"))
    if wanted > day + timedelta(days=MAX_DAYS_OPEN):
        raise Problem(
            422, "validation-error", N_("closes_on: at most a year ahead (366 days from today)")
        )
    return wanted


def list_not_found(list_id: str) -> Problem:
    """A list the caller may not see does not exist for it."""
    return not_found(N_("offer list {list_id}").format(list_id=list_id))


def sees_list(
    caller: Caller,
    direction: str,
    state: str,
    partner_id: int | None,
    addressed: Callable[[], bool],
) -> bool:
    """Staff see our lists and partners' lists once published (a partner's draft is its own
    work until then); a partner its own lists and ours addressed to it, once published.

    On plain fields, so the ORM reads and the Core fast path share it; ``addressed`` (is the
    list addressed to the caller's partner) is asked only when it decides, which costs the
    query only there."""
    if caller.is_staff:
        return not (direction == INCOMING and state == DRAFT)
    if direction == INCOMING:
        return partner_id == caller.partner_id
    if state not in (PUBLISHED, CLOSED):
        return False
    return addressed()


def sees(session: Session, caller: Caller, offer_list: OfferList) -> bool:
    """``sees_list`` for a loaded list."""
    return sees_list(
        caller,
        offer_list.direction,
        offer_list.state,
        offer_list.partner_id,
        lambda: session.get(OfferListAddressee, (offer_list.id, caller.partner_id)) is not None,
    )


def visible(session: Session, caller: Caller, list_id: str) -> OfferList:
    """The list by id or number if the caller may see it; otherwise it does not exist."""
    offer_list = session.get(OfferList, list_id)
    if offer_list is None:
        offer_list = session.scalars(
            select(OfferList).where(col(OfferList.number) == list_id.upper())
        ).first()
    if offer_list is None or not sees(session, caller, offer_list):
        raise list_not_found(list_id)
    return offer_list


def selector_for(caller: Caller, direction: str, partner_id: int | None) -> int | None:
    """Whose selection the caller makes on a list of this direction offered by ``partner_id``
    (None for ours): a partner's own on ours, and on a partner's list ours, which is kept under
    that partner (one selection per list and side). None when the caller selects nothing here."""
    if direction == OUTGOING:
        return None if caller.is_staff else caller.partner_id
    return partner_id if caller.is_staff else None


def fund_available() -> ColumnElement[int]:
    return (
        col(FundItem.copies_received)
        - col(FundItem.copies_retained)
        - col(FundItem.copies_reserved)
        - col(FundItem.copies_shipped)
    )


def picks_of(session: Session, selection_id: int) -> dict[int, int]:
    rows = session.execute(
        select(col(OfferPick.item_id), col(OfferPick.copies))
        .where(col(OfferPick.selection_id) == selection_id)
        .order_by(col(OfferPick.item_id))
    ).all()
    return {int(item_id): int(copies) for item_id, copies in rows}


# --- shared by the modules that change lists ------------------------------------------------

OFFER_LIST_ENTITY = "offer_list"
CREATED_ACTION = "created"
UPDATED_ACTION = "updated"
PUBLISHED_ACTION = "published"
CLOSED_ACTION = "closed"
WITHDRAWN_ACTION = "withdrawn"


def audited(
    session: Session,
    caller: Caller | None,
    list_id: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    actor: str | None = None,
) -> None:
    """One audit entry in the change's own transaction (``audit.record``); ``actor`` names a
    system actor (the closing timer) where there is no caller."""
    if actor is not None and caller is None:
        who, name = actor, None
    else:
        who, name = audit.actor_of(session, caller)
    audit.record(session, who, name, OFFER_LIST_ENTITY, list_id, action, before, after)


def list_fields(offer_list: OfferList) -> dict[str, Any]:
    """The list's fields for an audit entry (its summary is long and said by the close)."""
    return offer_list.model_dump(exclude={"summary"})


STAFF_ROLES = (ADMIN, ACQUISITIONS)


def require_acquisitions(caller: Caller) -> None:
    """Staff who change lists are acquisitions staff (or admins): the routes' and pages' rule."""
    if caller.is_staff and caller.role not in STAFF_ROLES:
        raise Problem(403, "role-required", N_("this action needs the admin or acquisitions role"))


def lock_list(session: Session, list_id: str, *, exclusive: bool = False) -> OfferList | None:
    """The list row, locked for the rest of the transaction before anything is read.

    PostgreSQL: ``FOR SHARE`` for picks (many partners pick at once; a close, which updates
    the row, waits for them and they for it), ``FOR UPDATE`` for changes of the list itself.
    SQLite has one writer, but a transaction that reads first and writes later works from what
    it read before another writer committed; so it writes first (the row, unchanged), which
    takes the database's write lock and makes every read after it current.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(OfferList).where(col(OfferList.id) == list_id).values(state=col(OfferList.state))
        )
        return session.get(OfferList, list_id, populate_existing=True)
    return session.scalars(
        select(OfferList)
        .where(col(OfferList.id) == list_id)
        .with_for_update(read=not exclusive)
        .execution_options(populate_existing=True)
    ).first()


def not_selector(caller: Caller) -> Problem:
    """The 403 for a caller who may see a list but selects nothing on it."""
    text = (
        N_("partners select from our lists; staff select from partners' lists")
        if caller.is_staff
        else N_("our staff select from a partner's own list")
    )
    return Problem(403, "forbidden", text)


def selector_of(caller: Caller, direction: str, partner_id: int | None) -> int:
    """``selector_for``, or 403 when the caller selects nothing here (staff on our lists, a
    partner on its own) or is staff without the acquisitions role."""
    selector = selector_for(caller, direction, partner_id)
    if selector is None:
        raise not_selector(caller)
    require_acquisitions(caller)
    return selector


def require_selectable(number: str, state: str, closes_on: date) -> None:
    """409 ``list-closed`` unless the list (its locked row) is published and its closing day
    has not passed; ``number`` is its number, or its id while it has none."""
    if state != PUBLISHED:
        raise Problem(
            409,
            "list-closed",
            N_("offer list {number} is {state}").format(number=number, state=state),
        )
    if closes_on < today():
        raise Problem(
            409,
            "list-closed",
            N_("offer list {number} closed on {day}").format(
                number=number, day=closes_on.isoformat()
            ),
        )


def selecting(session: Session, caller: Caller, list_id: str) -> tuple[OfferList, int]:
    """The list (locked for picks) and whose selection the caller changes on it.

    404 if the caller may not see the list; 403 if it may but does not select on it (staff on
    our lists, a partner on its own); 409 unless it is published and its closing day has not
    passed.
    """
    found = visible(session, caller, list_id)
    selector = selector_of(caller, found.direction, found.partner_id)
    offer_list = lock_list(session, found.id)
    assert offer_list is not None
    require_selectable(offer_list.number or offer_list.id, offer_list.state, offer_list.closes_on)
    return offer_list, selector


def locked_selection(session: Session, list_id: str, selector: int) -> OfferSelection | None:
    return session.scalars(
        select(OfferSelection)
        .where(col(OfferSelection.list_id) == list_id, col(OfferSelection.partner_id) == selector)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def require_agreement(session: Session, partner_id: int, code: str) -> None:
    day = today()
    if agreements.valid_on(session, partner_id, day) is None:
        raise Problem(
            409,
            "no-agreement",
            N_("there is no material-exchange agreement with {code} valid on {day}").format(
                code=code, day=day.isoformat()
            ),
        )


def require_owner(caller: Caller, direction: str) -> None:
    """Our lists are changed by acquisitions staff, a partner's list by that partner only
    (who sees a list is ``sees_list``; here it is one the caller sees, of this direction)."""
    if direction == OUTGOING:
        if not caller.is_staff:  # not reachable: a partner never sees our drafts
            raise Problem(403, "staff-only", N_("this action needs a staff key"))
        require_acquisitions(caller)
    elif caller.is_staff:
        raise Problem(
            403, "forbidden", N_("a partner's list is changed and published by that partner")
        )


def not_draft(number: str, state: str) -> Problem:
    """The 409 for a change of a list that is no longer a draft; ``number`` is its number,
    or its id while it has none."""
    return Problem(
        409,
        "list-not-draft",
        N_("offer list {number} is {state}: only a draft can be changed or published").format(
            number=number, state=state
        ),
    )
