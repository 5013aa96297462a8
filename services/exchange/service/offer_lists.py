"""Offer lists: ours to many partners at once, and partners' lists of their duplicates to us.

Staff make a list of exchange-fund items as a draft (nothing is held: copies are held only
when a partner selects them) and publish it to chosen partners or to every partner with an
agreement valid that day. A partner's own list is written and published in one go. Publishing
fixes the addressees, marks the items wished for (``wish_matching``), checks a partner's items
against our catalogue (``holdings``) and starts the list's workflow, which announces it and
closes it at its closing day. If the workflow cannot be started, the list is a draft again and
the caller is told (503), as a proposal is undone when its exchange cannot start.

The rules live in the service layer (not in the routes) so the staff pages and the portal apply
the same ones. This module makes lists and is the one door to the rest, which it re-exports:
publishing is ``offer_list_publishing``, reading ``offer_list_reads``, selections
``offer_selections``, closing, extending and giving copies back ``offer_list_closing``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from services.exchange.offer_models import OfferItem, OfferList, OfferListAddressee
from services.exchange.problems import Problem
from services.exchange.schemas.offer_lists import (
    FundPick,
    OfferLineIn,
    OfferListIn,
    OfferListOut,
    PartnerOfferListIn,
)
from services.exchange.service import numbering, partners
from services.exchange.service.keys import Caller
from services.exchange.service.offer_items import fund_items, line_items
from services.exchange.service.offer_list_closing import close, extend
from services.exchange.service.offer_list_publishing import prepare_publish, publish
from services.exchange.service.offer_list_reads import (
    list_lists,
    read_list,
    view,
)
from services.exchange.service.offer_list_rules import (
    CREATED_ACTION,
    DRAFT,
    INCOMING,
    OUTGOING,
    audited,
    closing_day,
    list_fields,
    lock_list,
    not_draft,
    require_acquisitions,
    require_agreement,
    require_owner,
    visible,
)
from services.exchange.service.offer_selections import set_selection, submit
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope
from workflows.errors import N_

__all__ = [
    "add_items",
    "close",
    "create_list",
    "create_partner_list",
    "extend",
    "list_lists",
    "prepare_publish",
    "publish",
    "read_list",
    "set_selection",
    "submit",
]


def _new_list(
    caller: Caller, title: str, note: str | None, closes_on: date, direction: str
) -> OfferList:
    return OfferList(
        id=str(uuid.uuid4()),
        direction=direction,
        partner_id=caller.partner_id if direction == INCOMING else None,
        title=title,
        note=note,
        state=DRAFT,
        closes_on=closes_on,
        created_by=caller.actor,
        created_at=datetime.now(UTC),
    )


def _finish_new(session: Session, caller: Caller, offer_list: OfferList) -> None:
    """The audit entry, and the number last (its sequence row stays locked until the commit)."""
    offer_list.number = numbering.next_offer_list_number(session, offer_list.created_at.year)
    session.add(offer_list)
    session.flush()
    audited(session, caller, offer_list.id, CREATED_ACTION, None, list_fields(offer_list))


def create_list(
    engine: Engine, settings: Settings, caller: Caller, body: OfferListIn
) -> OfferListOut:
    """A draft of ours from fund items, to the partners named (or to all, when none are)."""
    if not caller.is_staff:
        raise Problem(
            403,
            "staff-only",
            N_("a partner offers its own duplicates: its items are lines, not fund items"),
        )
    require_acquisitions(caller)
    closes_on = closing_day(settings, body.closes_on)
    if body.partners is not None and not body.partners:
        raise Problem(
            422,
            "validation-error",
            N_("partners: name at least one partner, or leave it out for all partners"),
        )
    with session_scope(engine) as session:
        offer_list = _new_list(caller, body.title, body.note, closes_on, OUTGOING)
        offer_list.all_partners = body.partners is None
        session.add(offer_list)
        for code in dict.fromkeys(body.partners or []):
            partner = partners.by_code(session, code)
            if partner is None or partner.id is None:
                raise Problem(
                    422,
                    "unknown-partner",
                    N_("partners: no partner with code {code}").format(code=code),
                )
            session.add(OfferListAddressee(list_id=offer_list.id, partner_id=partner.id))
        session.flush()
        session.add_all(fund_items(session, offer_list.id, body.items, 1))
        _finish_new(session, caller, offer_list)
        return view(session, settings.home_code, caller, offer_list)


def create_partner_list(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    body: PartnerOfferListIn,
    publish: bool = True,
) -> OfferListOut:
    """A partner's list of its duplicates, written as a draft.

    ``publish`` says what the caller does next: True (the API, the portal) it publishes the
    draft at once with ``await publish(...)``, which checks the items against our catalogue
    and starts the workflow; False, the draft waits for more items (``add_items``) and its own
    publish. The draft written is the same. The partner needs an agreement valid today (409),
    as for a proposal.
    """
    del publish  # the draft is the same either way; see above
    if caller.is_staff or caller.partner_id is None:
        raise Problem(
            422,
            "validation-error",
            N_("items: our lists are made of fund items (fund_item_id and copies)"),
        )
    closes_on = closing_day(settings, body.closes_on)
    with session_scope(engine) as session:
        require_agreement(session, caller.partner_id, caller.party)
        offer_list = _new_list(caller, body.title, body.note, closes_on, INCOMING)
        session.add(offer_list)
        session.flush()
        session.add_all(line_items(offer_list.id, body.items, 1))
        _finish_new(session, caller, offer_list)
        return view(session, settings.home_code, caller, offer_list)


def add_items(
    engine: Engine, caller: Caller, list_id: str, items: list[OfferLineIn | FundPick]
) -> OfferListOut:
    """More items for a draft: fund picks on ours (staff), lines on a partner's own (it)."""
    with session_scope(engine) as session:
        offer_list = visible(session, caller, list_id)
        require_owner(caller, offer_list.direction)
        locked = lock_list(session, offer_list.id, exclusive=True)
        assert locked is not None
        if locked.state != DRAFT:
            raise not_draft(locked.number or locked.id, locked.state)
        start = 1 + int(
            session.execute(
                select(func.coalesce(func.max(col(OfferItem.position)), 0)).where(
                    col(OfferItem.list_id) == locked.id
                )
            ).scalar_one()
        )
        if locked.direction == OUTGOING:
            picks = [i for i in items if isinstance(i, FundPick)]
            if len(picks) != len(items):
                raise Problem(
                    422,
                    "validation-error",
                    N_("items: our lists are made of fund items (fund_item_id and copies)"),
                )
            listed = set(
                session.scalars(
                    select(col(OfferItem.fund_item_id)).where(col(OfferItem.list_id) == locked.id)
                )
            )
            again = next((p.fund_item_id for p in picks if p.fund_item_id in listed), None)
            if again is not None:
                raise Problem(
                    422,
                    "duplicate-item",
                    N_("items: fund item {fund_item_id} is named twice").format(fund_item_id=again),
                )
            session.add_all(fund_items(session, locked.id, picks, start))
        else:
            lines = [i for i in items if isinstance(i, OfferLineIn)]
            if len(lines) != len(items):
                raise Problem(
                    422,
                    "validation-error",
                    N_("items: a partner's list is made of lines (title, author, ...)"),
                )
            session.add_all(line_items(locked.id, lines, start))
        session.flush()
        return view(session, "", caller, locked)
