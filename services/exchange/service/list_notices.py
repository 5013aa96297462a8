"""The notices that are not an exchange's: an offer list's events, selections, wish-list hits,
and (through ``serial_notices``) a serial exchange's.

Each notice has a stable ``key`` (``offer-list:<id>:published:<code>``, ...; see the contract
of issue 15), unique in the table, so writing one is idempotent: a retried activity or request
gets the id of the notice written before, and its delivery workflow (``notice-<id>``) is the
same one. ``exchange_id`` is NULL and ``seq`` 0; ``note`` keeps the English words (the API,
webhooks), ``note_id`` and ``note_params`` let an e-mail be written in its reader's language
(``email_notices.LIST_NOTES`` knows the ids used here).

A notice for our staff has our home code as its ``party``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.exchange.models import Notice, Partner
from services.exchange.offer_models import (
    OfferItem,
    OfferList,
    OfferListAddressee,
    OfferSelection,
)
from services.exchange.settings import Settings
from services.exchange.storage.db import session_scope

LIST_EVENTS = ("published", "closing", "closed")
SUBMITTED = "submitted"


def _existing(engine: Engine, key: str) -> int | None:
    with Session(engine) as session:
        found = session.exec(select(Notice.id).where(col(Notice.key) == key)).first()
    return found


def notice_row(
    *,
    party: str,
    event: str,
    key: str,
    note: str,
    note_id: str,
    note_params: dict[str, Any],
    offer_list_id: str | None = None,
    serial_id: int | None = None,
    at: datetime | None = None,
) -> Notice:
    """A keyed notice that is not an exchange's (``exchange_id`` NULL, ``seq`` 0), not added
    yet: for a caller that writes it in a transaction of its own (a claim with its UPDATE)."""
    return Notice(
        exchange_id=None,
        seq=0,
        party=party,
        event=event,
        note=note,
        created_at=at or datetime.now(UTC),
        offer_list_id=offer_list_id,
        serial_id=serial_id,
        key=key,
        note_id=note_id,
        note_params=note_params,
    )


def record_notice(
    engine: Engine,
    *,
    party: str,
    event: str,
    key: str,
    note: str,
    note_id: str,
    note_params: dict[str, Any],
    offer_list_id: str | None = None,
    serial_id: int | None = None,
    at: datetime | None = None,
) -> int | None:
    """One notice by its key; the id of the one already written when the key exists."""
    found = _existing(engine, key)
    if found is not None:
        return found
    try:
        with session_scope(engine) as session:
            notice = notice_row(
                party=party,
                event=event,
                key=key,
                note=note,
                note_id=note_id,
                note_params=note_params,
                offer_list_id=offer_list_id,
                serial_id=serial_id,
                at=at,
            )
            session.add(notice)
            session.flush()
            return notice.id
    except IntegrityError:  # written meanwhile by a concurrent attempt
        return _existing(engine, key)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _addressees(session: Session, offer_list: OfferList) -> list[Partner]:
    return list(
        session.exec(
            select(Partner)
            .join(OfferListAddressee, col(OfferListAddressee.partner_id) == col(Partner.id))
            .where(col(OfferListAddressee.list_id) == offer_list.id)
            .order_by(col(Partner.code))
        )
    )


def _submitted(session: Session, list_id: str) -> set[int]:
    return set(
        session.exec(
            select(OfferSelection.partner_id).where(
                col(OfferSelection.list_id) == list_id, col(OfferSelection.state) == SUBMITTED
            )
        )
    )


def _items(session: Session, list_id: str) -> int:
    return len(session.exec(select(OfferItem.id).where(col(OfferItem.list_id) == list_id)).all())


def _plan(
    session: Session, offer_list: OfferList, event: str, home: str
) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(party, event, key, note, params) of each notice of the event, without writing."""
    number = offer_list.number or offer_list.id
    closes_on = offer_list.closes_on.isoformat()
    base = {"list": number, "title": offer_list.title, "closes_on": closes_on}
    prefix = f"offer-list:{offer_list.id}"
    incoming = offer_list.direction == "incoming"
    offering = session.get(Partner, offer_list.partner_id) if offer_list.partner_id else None
    # Who is told: the addressees of our list; our staff of a partner's list.
    told: list[tuple[str, int | None]]
    if incoming:
        told = [(home, None)]
    else:
        told = [(p.code, p.id) for p in _addressees(session, offer_list)]
    planned: list[tuple[str, str, str, str, dict[str, Any]]] = []
    if event == "published":
        n = _items(session, offer_list.id)
        who = f"{offering.name} offers" if offering else "We offer"
        note = f"{who} list {number}: {_plural(n, 'item', 'items')}, select by {closes_on}"
        for party, _ in told:
            params = {**base, "items": n}
            planned.append(
                (party, "offer_list_published", f"{prefix}:published:{party}", note, params)
            )
    elif event == "closing":
        done = _submitted(session, offer_list.id)
        note = f"Offer list {number} closes on {closes_on}"
        for party, partner_id in told:
            if incoming and offering is not None and offering.id in done:
                continue  # our staff submitted their selection from it already
            if partner_id is not None and partner_id in done:
                continue
            planned.append((party, "offer_list_closing", f"{prefix}:closing:{party}", note, base))
    elif event == "closed":
        note = f"Offer list {number} is closed"
        # The addressees of our list; the offering partner of its own list.
        parties: list[tuple[str, int | None]]
        if incoming:
            parties = [(offering.code, offering.id)] if offering else []
        else:
            parties = told
        for party, _ in parties:
            planned.append((party, "offer_list_closed", f"{prefix}:closed:{party}", note, base))
        summary = offer_list.summary or {}
        taken = summary.get("partners") or []
        partners = len(taken) if isinstance(taken, list) else 0
        offered = int(summary.get("copies_offered") or 0)
        copies_taken = int(summary.get("copies_taken") or 0)
        params = {
            **base,
            "partners": partners,
            "copies_offered": offered,
            "copies_taken": copies_taken,
        }
        note = (
            f"Offer list {number} is closed: {_plural(partners, 'partner', 'partners')}"
            f" took {copies_taken} of {offered} copies"
        )
        planned.append((home, "offer_list_summary", f"{prefix}:summary:{home}", note, params))
    else:
        raise ValueError(f"no notices for the offer list event {event!r}")
    return planned


def record_list_notices(
    engine: Engine, list_id: str, event: str, at: datetime, *, home: str | None = None
) -> list[int]:
    """Write the notices of a list's event (published, closing, closed), each once; the ids of
    all of them, those written before included. ``home``: our code, the party of staff notices
    (by default the configured ``EXCHANGE_HOME_CODE``)."""
    home = home if home is not None else Settings().home_code
    with Session(engine) as session:
        offer_list = session.get(OfferList, list_id)
        if offer_list is None:
            raise LookupError(f"there is no offer list {list_id}")
        planned = _plan(session, offer_list, event, home)
    ids: list[int] = []
    for party, kind, key, note, params in planned:
        notice_id = record_notice(
            engine,
            party=party,
            event=kind,
            key=key,
            note=note,
            note_id=kind,
            note_params=params,
            offer_list_id=list_id,
            at=at,
        )
        if notice_id is not None:
            ids.append(notice_id)
    return ids
