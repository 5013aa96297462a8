"""Offer lists as each reader may see them: who sees which list, and what is left of it.

A partner sees the outgoing lists addressed to it once they are published (never a draft)
and the lists it offers us itself; every other list does not exist for it (404, as an
exchange that is not its own). It sees how many copies are left, never who took them: other
partners' selections and the other addressees stay hidden. Staff see everything, with every
selection and, once a list is closed, who took what.

What is left of an item is its copies less those held by selections, and for our own lists
never more than the fund still has (a proposal may have taken fund copies meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, exists, func, or_
from sqlmodel import Session, col, select

from services.exchange.models import Exchange, FundItem, Partner
from services.exchange.offer_models import (
    OfferItem,
    OfferList,
    OfferListAddressee,
    OfferSelection,
    WishHit,
)
from services.exchange.schemas.common import Page
from services.exchange.schemas.offer_lists import (
    OfferItemOut,
    OfferListOut,
    OfferListSummary,
    SelectionLineOut,
    SelectionOut,
)
from services.exchange.service import fund, profiles, wish_matching
from services.exchange.service.keys import Caller
from services.exchange.service.offer_list_rules import (
    CLOSED,
    DRAFT,
    INCOMING,
    OUTGOING,
    PUBLISHED,
    RELEASED,
    fund_available,
    picks_of,
    selector_for,
    visible,
)
from services.exchange.settings import Settings


def item_available(item: OfferItem, fund_item: FundItem | None) -> int:
    left = max(0, item.copies - item.copies_taken)
    if fund_item is not None:
        left = min(left, fund.available_copies(fund_item))
    return left


def _available_sql() -> ColumnElement[int]:
    """``item_available`` in SQL, for the sums of a list of lists (fund item outer-joined)."""
    left = col(OfferItem.copies) - col(OfferItem.copies_taken)
    capped = case(
        (col(FundItem.id).is_(None), left),
        (fund_available() < left, fund_available()),
        else_=left,
    )
    return case((capped < 0, 0), else_=capped)


def selection_out(
    session: Session, selection: OfferSelection, home: str, offer_list: OfferList
) -> SelectionOut:
    """A selection as its owner and staff read it; on a partner's list the selector is us."""
    assert selection.id is not None
    picks = picks_of(session, selection.id)
    if offer_list.direction == INCOMING:
        party = home
    else:
        partner = session.get(Partner, selection.partner_id)
        party = partner.code if partner else str(selection.partner_id)
    exchange = session.get(Exchange, selection.exchange_id) if selection.exchange_id else None
    return SelectionOut(
        partner=party,
        state=selection.state,
        items=[SelectionLineOut(item_id=i, copies=c) for i, c in picks.items()],
        copies=sum(picks.values()),
        exchange_id=selection.exchange_id,
        exchange_number=exchange.number if exchange else None,
        submitted_at=selection.submitted_at,
    )


def own_selection(
    session: Session, offer_list: OfferList, partner_id: int | None
) -> OfferSelection | None:
    if partner_id is None:
        return None
    return session.scalars(
        select(OfferSelection).where(
            col(OfferSelection.list_id) == offer_list.id,
            col(OfferSelection.partner_id) == partner_id,
        )
    ).first()


def _profile(session: Session, caller: Caller) -> dict[str, Any] | None:
    """The reader's profile (its agreement valid today); staff have none: all fits."""
    if caller.is_staff or caller.partner_id is None:
        return None
    return profiles.of_partner(session, caller.partner_id)


def _wish_hits(session: Session, caller: Caller, offer_list: OfferList) -> int:
    query = select(func.count()).select_from(WishHit).where(col(WishHit.list_id) == offer_list.id)
    if not caller.is_staff:
        query = query.where(col(WishHit.partner_id) == caller.partner_id)
    elif offer_list.direction == INCOMING:
        query = query.where(col(WishHit.partner_id).is_(None))
    return int(session.execute(query).scalar_one())


def _items(session: Session, list_id: str) -> list[tuple[OfferItem, FundItem | None]]:
    rows = session.execute(
        select(OfferItem, FundItem)
        .join(FundItem, col(FundItem.id) == col(OfferItem.fund_item_id), isouter=True)
        .where(col(OfferItem.list_id) == list_id)
        .order_by(col(OfferItem.position))
    ).all()
    return [(item, fund_item) for item, fund_item in rows]


def _item_out(
    item: OfferItem,
    fund_item: FundItem | None,
    *,
    selected: int,
    on_wishlist: bool,
    fits: bool,
    holdings: bool,
) -> OfferItemOut:
    assert item.id is not None
    return OfferItemOut(
        id=item.id,
        position=item.position,
        fund_item_id=item.fund_item_id,
        title=item.title,
        author=item.author,
        edition=item.edition,
        place=item.place,
        publisher=item.publisher,
        year=item.year,
        pages=item.pages,
        isbn=item.isbn,
        issn=item.issn,
        language=item.language,
        material_type=item.material_type,
        subject=item.subject,
        copies=item.copies,
        copies_available=item_available(item, fund_item),
        unit_value=item.unit_value,
        currency=item.currency,
        selected=selected,
        on_wishlist=on_wishlist,
        fits_profile=fits,
        held=(item.held_copies or 0) if holdings else 0,
        held_match=item.held_match if holdings else None,
        held_record_id=item.held_record_id if holdings else None,
    )


def _partner_code(session: Session, partner_id: int | None) -> str | None:
    if partner_id is None:
        return None
    partner = session.get(Partner, partner_id)
    return partner.code if partner else None


def addressee_codes(session: Session, list_id: str) -> list[str]:
    rows = session.scalars(
        select(col(Partner.code))
        .join(OfferListAddressee, col(OfferListAddressee.partner_id) == col(Partner.id))
        .where(col(OfferListAddressee.list_id) == list_id)
        .order_by(col(Partner.code))
    )
    return list(rows)


def view(
    session: Session,
    home: str,
    caller: Caller,
    offer_list: OfferList,
    *,
    profile_first: bool = True,
) -> OfferListOut:
    """The whole list as the caller may read it, in a session the caller already has; our
    library's code ``home`` names our side of a selection on a partner's list."""
    reader = selector_for(caller, offer_list.direction, offer_list.partner_id)
    selection = own_selection(session, offer_list, reader)
    picks = picks_of(session, selection.id) if selection and selection.id else {}
    if selection is not None and selection.state == RELEASED:
        picks = {}
    # Our wishes are matched against partners' lists, a partner's against ours.
    wished: set[int] = set()
    if not (caller.is_staff and offer_list.direction == OUTGOING):
        reader_wishes = None if caller.is_staff else caller.partner_id
        wished = wish_matching.wished_item_ids(session, offer_list.id, reader_wishes)
    profile = _profile(session, caller)
    holdings = caller.is_staff and offer_list.direction == INCOMING
    rows = _items(session, offer_list.id)
    items = [
        _item_out(
            item,
            fund_item,
            selected=picks.get(item.id or 0, 0),
            on_wishlist=(item.id in wished),
            fits=profiles.fits(profile, item),
            holdings=holdings,
        )
        for item, fund_item in rows
    ]
    if profile_first:
        items.sort(key=lambda i: (not i.fits_profile, i.position))
    if caller.is_staff:
        addressees = addressee_codes(session, offer_list.id)
    elif offer_list.direction == OUTGOING:
        addressees = [caller.party]
    else:
        addressees = []
    selections: list[SelectionOut] | None = None
    if caller.is_staff and offer_list.direction == OUTGOING:
        selections = [
            selection_out(session, s, home, offer_list)
            for s in session.scalars(
                select(OfferSelection)
                .where(col(OfferSelection.list_id) == offer_list.id)
                .order_by(col(OfferSelection.id))
            )
        ]
    return OfferListOut(
        **_summary_fields(session, caller, offer_list, items),
        note=offer_list.note,
        all_partners=offer_list.all_partners,
        addressees=addressees,
        created_by=offer_list.created_by,
        created_at=offer_list.created_at,
        item_list=items,
        selection=selection_out(session, selection, home, offer_list) if selection else None,
        selections=selections,
        summary=offer_list.summary if caller.is_staff else None,
    )


def _summary_fields(
    session: Session, caller: Caller, offer_list: OfferList, items: Iterable[OfferItemOut]
) -> dict[str, Any]:
    listed = list(items)
    return {
        "id": offer_list.id,
        "number": offer_list.number,
        "direction": offer_list.direction,
        "partner": _partner_code(session, offer_list.partner_id),
        "title": offer_list.title,
        "state": offer_list.state,
        "closes_on": offer_list.closes_on,
        "published_at": offer_list.published_at,
        "closed_at": offer_list.closed_at,
        "items": len(listed),
        "copies": sum(i.copies for i in listed),
        "copies_available": sum(i.copies_available for i in listed),
        "wishlist_hits": _wish_hits(session, caller, offer_list),
    }


def read_list(
    engine: Engine,
    settings: Settings,
    caller: Caller,
    list_id: str,
    *,
    profile_first: bool = True,
) -> OfferListOut:
    """One list (by id or number) as the caller may read it; 404 if it may not."""
    with Session(engine) as session:
        offer_list = visible(session, caller, list_id)
        return view(session, settings.home_code, caller, offer_list, profile_first=profile_first)


def _visible_to(caller: Caller) -> ColumnElement[bool]:
    addressed = exists().where(
        col(OfferListAddressee.list_id) == col(OfferList.id),
        col(OfferListAddressee.partner_id) == caller.partner_id,
    )
    return or_(
        and_(col(OfferList.direction) == INCOMING, col(OfferList.partner_id) == caller.partner_id),
        and_(
            col(OfferList.direction) == OUTGOING,
            col(OfferList.state).in_((PUBLISHED, CLOSED)),
            addressed,
        ),
    )


def list_lists(
    engine: Engine,
    caller: Caller,
    *,
    state: str | None = None,
    direction: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[OfferListSummary]:
    """The lists the caller may see, the latest closing day first (open lists before)."""
    query = select(OfferList)
    if not caller.is_staff:
        query = query.where(_visible_to(caller))
    else:  # a partner's draft is its own work until it publishes it
        query = query.where(
            or_(col(OfferList.direction) == OUTGOING, col(OfferList.state) != DRAFT)
        )
    if state:
        query = query.where(col(OfferList.state) == state)
    if direction:
        query = query.where(col(OfferList.direction) == direction)
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        lists = list(
            session.scalars(
                query.order_by(
                    col(OfferList.closes_on).desc(),
                    col(OfferList.created_at).desc(),
                    col(OfferList.id),
                )
                .limit(limit)
                .offset(offset)
            )
        )
        sums = _sums(session, [o.id for o in lists])
        out = []
        for offer_list in lists:
            n, copies, left = sums.get(offer_list.id, (0, 0, 0))
            out.append(
                OfferListSummary(
                    id=offer_list.id,
                    number=offer_list.number,
                    direction=offer_list.direction,
                    partner=_partner_code(session, offer_list.partner_id),
                    title=offer_list.title,
                    state=offer_list.state,
                    closes_on=offer_list.closes_on,
                    published_at=offer_list.published_at,
                    closed_at=offer_list.closed_at,
                    items=n,
                    copies=copies,
                    copies_available=left,
                    wishlist_hits=_wish_hits(session, caller, offer_list),
                )
            )
        return Page(items=out, total=total, limit=limit, offset=offset)


def _sums(session: Session, list_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    if not list_ids:
        return {}
    rows = session.execute(
        select(
            col(OfferItem.list_id),
            func.count(),
            func.coalesce(func.sum(col(OfferItem.copies)), 0),
            func.coalesce(func.sum(_available_sql()), 0),
        )
        .select_from(OfferItem)
        .join(FundItem, col(FundItem.id) == col(OfferItem.fund_item_id), isouter=True)
        .where(col(OfferItem.list_id).in_(list_ids))
        .group_by(col(OfferItem.list_id))
    ).all()
    return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
