"""The statements of setting a selection, as SQLAlchemy Core on one connection.

Setting a selection is the one write many partners make at the same moment, so its path does
the least it can: about twenty statements built once at import (their compiled form is then
reused from the engine's cache), no ORM objects, no identity map and no flush. The ORM version
spent 90% of its time in SQLAlchemy's Python (building statements, synchronising the
session with each UPDATE), not in the database.

The rules are the same as everywhere else on offer lists (``offer_list_rules``): who sees a
list, whose selection a caller makes, the list row locked before anything is read (PostgreSQL
``FOR SHARE``; SQLite writes first, ``UPDATE ... RETURNING``, which takes the one write lock
and makes every read after it current) and copies moved by conditional UPDATEs only, so that
the database decides every race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BindParameter,
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    update,
)
from sqlalchemy import select as core_select

from services.exchange.models import Exchange, FundItem
from services.exchange.offer_models import (
    OfferItem,
    OfferList,
    OfferListAddressee,
    OfferPick,
    OfferSelection,
)

LIST: Table = OfferList.__table__  # type: ignore[attr-defined]
ADDRESSEE: Table = OfferListAddressee.__table__  # type: ignore[attr-defined]
ITEM: Table = OfferItem.__table__  # type: ignore[attr-defined]
FUND: Table = FundItem.__table__  # type: ignore[attr-defined]
SELECTION: Table = OfferSelection.__table__  # type: ignore[attr-defined]
PICK: Table = OfferPick.__table__  # type: ignore[attr-defined]
EXCHANGE: Table = Exchange.__table__  # type: ignore[attr-defined]

_LIST_COLUMNS = (
    LIST.c.id,
    LIST.c.number,
    LIST.c.direction,
    LIST.c.partner_id,
    LIST.c.state,
    LIST.c.closes_on,
)
_BY_ID_OR_NUMBER = or_(LIST.c.id == bindparam("b_list"), LIST.c.number == bindparam("b_number"))

# The list row, locked: PostgreSQL shares the row lock with the other pickers (a close, which
# updates the row, waits for them and they for it); SQLite takes its one write lock.
_LOCK_SHARED = core_select(*_LIST_COLUMNS).where(_BY_ID_OR_NUMBER).with_for_update(read=True)
_LOCK_WRITE = (
    update(LIST).where(_BY_ID_OR_NUMBER).values(state=LIST.c.state).returning(*_LIST_COLUMNS)
)
_ADDRESSED = core_select(
    exists().where(
        ADDRESSEE.c.list_id == bindparam("b_list"),
        ADDRESSEE.c.partner_id == bindparam("b_partner"),
    )
)
_SELECTION = (
    core_select(
        SELECTION.c.id, SELECTION.c.state, SELECTION.c.exchange_id, SELECTION.c.submitted_at
    )
    .where(
        SELECTION.c.list_id == bindparam("b_list"),
        SELECTION.c.partner_id == bindparam("b_partner"),
    )
    .with_for_update()
)
_NEW_SELECTION = insert(SELECTION).returning(SELECTION.c.id)
_TOUCH_SELECTION = (
    update(SELECTION)
    .where(SELECTION.c.id == bindparam("b_selection"))
    .values(state=bindparam("b_state"), updated_at=bindparam("now"))
)
_EXCHANGE_NUMBER = core_select(EXCHANGE.c.number).where(EXCHANGE.c.id == bindparam("b_exchange"))
_PICKS = (
    core_select(PICK.c.item_id, PICK.c.copies)
    .where(PICK.c.selection_id == bindparam("b_selection"))
    .order_by(PICK.c.item_id)
)
_ALL_PICKS_GONE = delete(PICK).where(PICK.c.selection_id == bindparam("b_selection"))
_PICKS_GONE = delete(PICK).where(
    PICK.c.selection_id == bindparam("b_selection"),
    PICK.c.item_id.in_(bindparam("b_items", expanding=True)),
)
_PICKS_NEW = insert(PICK)
_PICK_COPIES = (
    update(PICK)
    .where(PICK.c.selection_id == bindparam("b_selection"), PICK.c.item_id == bindparam("item"))
    .values(copies=bindparam("want"))
)
_ITEMS = core_select(ITEM.c.id, ITEM.c.fund_item_id).where(
    ITEM.c.list_id == bindparam("b_list"), ITEM.c.id.in_(bindparam("b_items", expanding=True))
)
_ITEM_NOW = core_select(
    ITEM.c.title, ITEM.c.copies, ITEM.c.copies_taken, ITEM.c.fund_item_id
).where(ITEM.c.id == bindparam("item"))

_FUND_LEFT = (
    FUND.c.copies_received - FUND.c.copies_retained - FUND.c.copies_reserved - FUND.c.copies_shipped
)
_FUND_NOW = core_select(_FUND_LEFT).where(FUND.c.id == bindparam("fund"))
_DELTA: BindParameter[int] = bindparam("delta")
# The race itself: the row changes only if the copies are still there (and never below 0).
_TAKE = (
    update(ITEM)
    .where(
        ITEM.c.id == bindparam("item"),
        ITEM.c.copies_taken + _DELTA <= ITEM.c.copies,
        ITEM.c.copies_taken + _DELTA >= 0,
    )
    .values(copies_taken=ITEM.c.copies_taken + _DELTA)
)
_RESERVE = (
    update(FUND)
    .where(FUND.c.id == bindparam("fund"), _FUND_LEFT >= _DELTA)
    .values(copies_reserved=FUND.c.copies_reserved + _DELTA)
)
_RELEASE = (
    update(FUND)
    .where(FUND.c.id == bindparam("fund"))
    .values(copies_reserved=FUND.c.copies_reserved + _DELTA)
)


@dataclass(frozen=True)
class ListRow:
    id: str
    number: str | None
    direction: str
    partner_id: int | None
    state: str
    closes_on: date


@dataclass(frozen=True)
class SelectionRow:
    id: int
    state: str
    exchange_id: str | None
    submitted_at: datetime | None


def lock_list(conn: Connection, list_id: str) -> ListRow | None:
    """The list by id or number, its row locked for picks before anything else is read."""
    params = {"b_list": list_id, "b_number": list_id.upper()}
    stmt = _LOCK_WRITE if conn.dialect.name == "sqlite" else _LOCK_SHARED
    row = conn.execute(stmt, params).first()
    return ListRow(*row) if row is not None else None


def addressed(conn: Connection, list_id: str, partner_id: int | None) -> bool:
    return bool(conn.execute(_ADDRESSED, {"b_list": list_id, "b_partner": partner_id}).scalar())


def locked_selection(conn: Connection, list_id: str, selector: int) -> SelectionRow | None:
    row = conn.execute(_SELECTION, {"b_list": list_id, "b_partner": selector}).first()
    return SelectionRow(*row) if row is not None else None


def new_selection(conn: Connection, list_id: str, selector: int, state: str, now: datetime) -> int:
    """A first selection; two first requests at once: one of them IntegrityError."""
    values = {"list_id": list_id, "partner_id": selector, "state": state, "updated_at": now}
    return int(conn.execute(_NEW_SELECTION, values).scalar_one())


def touch_selection(conn: Connection, selection_id: int, state: str, now: datetime) -> None:
    conn.execute(_TOUCH_SELECTION, {"b_selection": selection_id, "b_state": state, "now": now})


def exchange_number(conn: Connection, exchange_id: str | None) -> str | None:
    if exchange_id is None:
        return None
    number = conn.execute(_EXCHANGE_NUMBER, {"b_exchange": exchange_id}).scalar()
    return str(number) if number is not None else None


def picks(conn: Connection, selection_id: int) -> dict[int, int]:
    rows = conn.execute(_PICKS, {"b_selection": selection_id}).all()
    return {int(item_id): int(copies) for item_id, copies in rows}


def drop_all_picks(conn: Connection, selection_id: int) -> None:
    conn.execute(_ALL_PICKS_GONE, {"b_selection": selection_id})


def items_on_list(conn: Connection, list_id: str, item_ids: set[int]) -> dict[int, int | None]:
    """The fund item of each of ``item_ids`` that is on the list (absent: not on it)."""
    if not item_ids:
        return {}
    rows = conn.execute(_ITEMS, {"b_list": list_id, "b_items": sorted(item_ids)}).all()
    return {int(item_id): fund_id for item_id, fund_id in rows}


def move(conn: Connection, item_id: int, fund_id: int | None, delta: int) -> bool:
    """Take (delta > 0) or give back copies of one item by conditional UPDATEs; False when
    the list or the fund has fewer left than asked (the caller rolls back). ``fund_id`` is
    None where no fund holds the copies (a partner's list)."""
    if conn.execute(_TAKE, {"item": item_id, "delta": delta}).rowcount != 1:
        return False
    if fund_id is None:
        return True
    stmt = _RESERVE if delta > 0 else _RELEASE
    return bool(conn.execute(stmt, {"fund": fund_id, "delta": delta}).rowcount == 1)


def move_all(conn: Connection, moves: list[tuple[int, int | None, int]]) -> bool:
    """``move`` for every (item, fund item, delta) at once: the same conditional UPDATEs,
    each statement sent as one batch (psycopg pipelines them). False when any matched no row:
    the caller rolls back, since the others may have been applied."""
    if not moves:
        return True
    takes = [{"item": item, "delta": delta} for item, _fund, delta in moves]
    if conn.execute(_TAKE, takes).rowcount != len(takes):
        return False
    for stmt, funds in (
        (_RESERVE, [{"fund": f, "delta": d} for _i, f, d in moves if f is not None and d > 0]),
        (_RELEASE, [{"fund": f, "delta": d} for _i, f, d in moves if f is not None and d < 0]),
    ):
        if funds and conn.execute(stmt, funds).rowcount != len(funds):
            return False
    return True


def item_now(conn: Connection, item_id: int) -> tuple[str, int, int, int | None]:
    """An item as it is now, (title, copies, copies taken, fund item): the loser of a race
    is told what is left."""
    title, copies, taken, fund_id = conn.execute(_ITEM_NOW, {"item": item_id}).one()
    return str(title), int(copies), int(taken), fund_id


def fund_left(conn: Connection, fund_id: int) -> int | None:
    left = conn.execute(_FUND_NOW, {"fund": fund_id}).scalar()
    return None if left is None else max(0, int(left))


def write_picks(
    conn: Connection,
    selection_id: int,
    gone: list[int],
    new: dict[int, int],
    changed: dict[int, int],
) -> None:
    """The selection's pick rows after the copies moved: one statement per kind of change."""
    if gone:
        conn.execute(_PICKS_GONE, {"b_selection": selection_id, "b_items": gone})
    if new:
        conn.execute(
            _PICKS_NEW,
            [
                {"selection_id": selection_id, "item_id": item, "copies": copies}
                for item, copies in new.items()
            ],
        )
    for item, copies in changed.items():
        conn.execute(_PICK_COPIES, {"b_selection": selection_id, "item": item, "want": copies})


__all__ = [
    "ListRow",
    "SelectionRow",
    "addressed",
    "drop_all_picks",
    "exchange_number",
    "fund_left",
    "item_now",
    "items_on_list",
    "lock_list",
    "locked_selection",
    "move",
    "move_all",
    "new_selection",
    "picks",
    "touch_selection",
    "write_picks",
]
