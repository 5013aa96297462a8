"""Wish lists (desiderata): what a partner, or we, would like to receive.

A partner keeps its own wish list (its key or users read and change it; another partner's
does not exist for it: 404); acquisitions staff keep ours (``code`` None) and may change any
partner's on its behalf (the routes check the roles). A wish names an ISBN, an ISSN or a
title, and for a serial the volumes or years wanted, kept as typed and read as a range
(``wish_matching.parse_volumes``). Identifiers are stored normalised, as the fund and the
catalogue store them, so that matching compares like with like. Wishes are
not audited: they change nothing anyone owes anyone, and their rows say who added them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, update
from sqlmodel import Session, col, select

import marc
from services.exchange.models import FundItem, Partner
from services.exchange.offer_models import OfferList, WishHit, WishItem
from services.exchange.problems import Problem, not_found
from services.exchange.schemas.common import Page
from services.exchange.schemas.wishlists import WishIn, WishOut
from services.exchange.service import list_notices
from services.exchange.service.access import visible_partner
from services.exchange.service.keys import Caller
from services.exchange.service.wish_matching import hit_counts, parse_volumes
from services.exchange.storage.db import session_scope
from workflows.errors import N_

EVENT = "wishlist_hits"
DEPOSIT_NOTE = "wishlist_hits_deposit"
LIST_NOTE = "wishlist_hits_list"


def _owner(session: Session, caller: Caller, code: str | None) -> Partner | None:
    """The partner whose list it is (None: ours, for staff only)."""
    if code is None:
        if not caller.is_staff:
            raise not_found(N_("our wish list"))
        return None
    return visible_partner(session, caller, code)


def _whose(partner: Partner | None) -> Any:
    if partner is None:
        return col(WishItem.partner_id).is_(None)
    return col(WishItem.partner_id) == partner.id


def _out(row: WishItem, partner: Partner | None, hits: int) -> WishOut:
    return WishOut.model_validate(
        {**row.model_dump(), "id": row.id or 0, "partner": partner.code if partner else None}
        | {"hits": hits}
    )


def list_wishes(
    engine: Engine, caller: Caller, code: str | None, limit: int = 100, offset: int = 0
) -> Page[WishOut]:
    """A page of the wish list, newest first, each wish with its hits so far."""
    with Session(engine) as session:
        partner = _owner(session, caller, code)
        query = select(WishItem).where(_whose(partner))
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = list(
            session.scalars(
                query.order_by(col(WishItem.created_at).desc(), col(WishItem.id).desc())
                .limit(limit)
                .offset(offset)
            )
        )
        hits = hit_counts(session, [row.id for row in rows if row.id is not None])
        items = [_out(row, partner, hits.get(row.id or 0, 0)) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def add_wish(engine: Engine, caller: Caller, code: str | None, body: WishIn) -> WishOut:
    """Add a wish; 422 when its volumes are a range that ends before it starts."""
    volume_from, volume_to, year_from, year_to = parse_volumes(body.volumes)
    for low, high in ((volume_from, volume_to), (year_from, year_to)):
        if low is not None and high is not None and low > high:
            raise Problem(
                422, "validation-error", f"volumes: {body.volumes!r} ends before it starts"
            )
    with session_scope(engine) as session:
        partner = _owner(session, caller, code)
        row = WishItem(
            partner_id=partner.id if partner else None,
            isbn=marc.normalise_isbn(body.isbn) if body.isbn else None,
            issn=marc.normalise_issn(body.issn) if body.issn else None,
            title=body.title,
            author=body.author,
            volumes=body.volumes,
            volume_from=volume_from,
            volume_to=volume_to,
            year_from=year_from,
            year_to=year_to,
            note=body.note,
            created_by=caller.actor,
        )
        session.add(row)
        session.flush()
        return _out(row, partner, 0)


def remove_wish(engine: Engine, caller: Caller, code: str | None, wish_id: int) -> None:
    """Remove a wish of this list (with its hits); 404 for a wish of another list."""
    with session_scope(engine) as session:
        partner = _owner(session, caller, code)
        row = session.get(WishItem, wish_id)
        if row is None or row.partner_id != (partner.id if partner else None):
            raise not_found(N_("wish {wish_id}").format(wish_id=wish_id))
        session.execute(delete(WishHit).where(col(WishHit.wish_item_id) == wish_id))
        session.delete(row)


# --- notices ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Untold:
    """The hits not told of yet, per party: how many items, and the hits' ids."""

    items: dict[int | None, set[int]] = field(default_factory=lambda: defaultdict(set))
    hits: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))


def _untold(session: Session, where: ColumnElement[bool]) -> _Untold:
    untold = _Untold()
    rows = session.execute(
        select(
            col(WishHit.id),
            col(WishHit.partner_id),
            func.coalesce(col(WishHit.offer_item_id), col(WishHit.fund_item_id)),
        ).where(where, col(WishHit.notified).is_(False))
    )
    for hit_id, party, item_id in rows:
        untold.items[party].add(item_id)
        untold.hits[party].append(hit_id)
    return untold


def _codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(col(Partner.id), col(Partner.code)).where(col(Partner.id).in_(wanted))
    )
    return {partner_id: code for partner_id, code in rows if partner_id is not None}


def notify_deposit(engine: Engine, fund_item_id: int) -> list[int]:
    """After a deposit committed: a "wishlist_hits" notice to each partner its new hits are
    for (``wishes:deposit:{fund_item_id}:{code}``); the notice ids, for delivery.

    A publication deposited again that meets a new wish of a partner told of it already
    adds to nothing: the notice of that key exists (and said what it said).
    """
    with Session(engine) as session:
        untold = _untold(session, col(WishHit.fund_item_id) == fund_item_id)
        codes = _codes(session, untold.items)
        item = session.get(FundItem, fund_item_id)
        title = item.title if item is not None else ""
    ids: list[int] = []
    told: list[int] = []
    for partner_id, items_met in untold.items.items():
        if partner_id not in codes:
            continue
        n = len(items_met)
        items, verb = ("item", "is") if n == 1 else ("items", "are")
        found = list_notices.record_notice(
            engine,
            party=codes[partner_id],
            event=EVENT,
            key=f"wishes:deposit:{fund_item_id}:{codes[partner_id]}",
            note=f"{n} {items} from your wish list {verb} in our exchange fund: {title}",
            note_id=DEPOSIT_NOTE,
            note_params={"n": n, "title": title},
        )
        if found is not None:
            ids.append(found)
        told += untold.hits[partner_id]
    _mark_told(engine, told)
    return ids


def notify_list(engine: Engine, list_id: str, home: str) -> list[int]:
    """After a list was published and matched: a "wishlist_hits" notice to each party with
    new hits on it (a partner on our list; our staff, ``home``, on a partner's), by the key
    ``wishes:list:{list_id}:{code}``; the notice ids, for delivery."""
    with Session(engine) as session:
        untold = _untold(session, col(WishHit.list_id) == list_id)
        codes = _codes(session, untold.items)
        offer_list = session.get(OfferList, list_id)
        if offer_list is None:
            return []
        number, title = offer_list.number or list_id, offer_list.title
    ids: list[int] = []
    told: list[int] = []
    for partner_id, items_met in untold.items.items():
        party = home if partner_id is None else codes.get(partner_id)
        if party is None:
            continue
        n = len(items_met)
        items, verb = ("item", "is") if n == 1 else ("items", "are")
        found = list_notices.record_notice(
            engine,
            party=party,
            event=EVENT,
            key=f"wishes:list:{list_id}:{party}",
            note=f"{n} {items} from your wish list {verb} offered on list {number}: {title}",
            note_id=LIST_NOTE,
            note_params={"n": n, "list": number, "title": title},
            offer_list_id=list_id,
        )
        if found is not None:
            ids.append(found)
        told += untold.hits[partner_id]
    _mark_told(engine, told)
    return ids


def _mark_told(engine: Engine, hit_ids: list[int]) -> None:
    """The hits told of are notified: a later match tells only of newer ones."""
    if not hit_ids:
        return
    with session_scope(engine) as session:
        session.execute(update(WishHit).where(col(WishHit.id).in_(hit_ids)).values(notified=True))
