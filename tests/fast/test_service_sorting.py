"""Sorting in SQL agrees with the rules written in Python, on SQLite and PostgreSQL.

Two lists sort by a value whose rule lives in Python for everything else: the copies an
exchange's stage is about (``copy_counts.at_stage``) and the agreement valid today
(``agreements.valid_on``). Their SQL forms (``list_orders``, ``agreements.valid_to_on``) must
give the same answers, or a sorted list would look unsorted.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import col

from services.exchange.models import Exchange, ExchangeLine
from services.exchange.schemas.exchanges import LineIn
from services.exchange.schemas.partners import AgreementIn
from services.exchange.service import agreements, desk, staff_lists
from services.exchange.service.exchange_queries import ListQuery
from services.exchange.service.sorting import Sort, chosen
from services.exchange.storage.db import session_scope
from tests.fast.conftest import STAFF, Database, insert_exchange, new_partner
from tests.support import AGREEMENT
from workflows.exchange.types import ACCEPTED, COMPLETED, DECLINED, PROPOSED, SHIPPED


def _set(db: Database, exchange_id: str, state: str, **line: int | None) -> None:
    with session_scope(db.engine) as session:
        session.execute(update(Exchange).where(col(Exchange.id) == exchange_id).values(state=state))
        if line:
            session.execute(
                update(ExchangeLine)
                .where(col(ExchangeLine.exchange_id) == exchange_id)
                .values(**line)
            )


def test_the_copies_column_sorts_by_the_copies_each_stage_shows(database: Database) -> None:
    created, partner = new_partner(database)
    # (state, offered, accepted, received): the stage decides which count is shown.
    cases = [
        (PROPOSED, 9, None, None),  # shows 9 offered
        (ACCEPTED, 8, 2, None),  # shows 2 accepted
        (SHIPPED, 7, 5, None),  # shows 5 accepted
        (COMPLETED, 6, 4, 1),  # shows 1 received
        (DECLINED, 3, None, None),  # shows 3 offered
        (COMPLETED, 10, 10, 10),  # shows 10 received
    ]
    for state, offered, accepted, received in cases:
        exchange_id, _ = insert_exchange(
            database, partner, "incoming", [LineIn(title="Sortable", quantity=offered)]
        )
        _set(database, exchange_id, state, accepted_quantity=accepted, received=received)
    for descending in (False, True):
        query = ListQuery(partner=created.code, sort=Sort("copies", descending=descending))
        rows, total = desk.search(database.engine, STAFF, query)
        assert total == len(cases)
        shown = [r.copies for r in rows]
        assert shown == sorted([1, 2, 3, 5, 9, 10], reverse=descending), shown


def test_other_exchange_columns_sort_both_ways(database: Database) -> None:
    created, partner = new_partner(database)
    code = created.code
    for title, copies in (("Beta", 2), ("alpha", 1), ("Gamma", 3)):
        insert_exchange(database, partner, "outgoing", [LineIn(title=title, quantity=copies)])
    by_title = ListQuery(partner=code, sort=Sort("title"))
    assert [r.title for r in desk.search(database.engine, STAFF, by_title)[0]] == [
        "alpha",
        "Beta",
        "Gamma",
    ]
    newest = ListQuery(partner=code, sort=Sort("proposed", descending=True))
    default = ListQuery(partner=code)
    assert [r.id for r in desk.search(database.engine, STAFF, newest)[0]] == [
        r.id for r in desk.search(database.engine, STAFF, default)[0]
    ]
    # Paging continues the order: page 2 of one row is the second of the whole list.
    whole = [r.id for r in desk.search(database.engine, STAFF, by_title)[0]]
    second = ListQuery(partner=code, sort=Sort("title"), limit=1, offset=1)
    assert [r.id for r in desk.search(database.engine, STAFF, second)[0]] == whole[1:2]


def test_only_whitelisted_columns_are_chosen() -> None:
    allowed = frozenset({"title", "copies"})
    assert chosen(allowed, "title", "desc") == Sort("title", descending=True)
    assert chosen(allowed, "title", "sideways") == Sort("title")
    assert chosen(allowed, "state; DROP TABLE exchange", "asc") is None
    assert chosen(allowed, None, "desc") is None


def test_the_partner_lists_agreement_is_valid_ons(database: Database) -> None:
    """The register's SQL agreement is ``valid_on``'s, whatever agreements a partner has."""
    today = agreements.today()
    base = AgreementIn.model_validate(AGREEMENT)
    plain, _ = new_partner(database)  # AGREEMENT: valid to 2035-12-31
    none, _ = new_partner(database, agreement=False)
    digital, _ = new_partner(database, agreement=False)
    agreements.create(
        database.engine,
        STAFF,
        digital.code,
        base.model_copy(update={"programmes": ["digital_exchange"]}),
    )
    later, _ = new_partner(database)
    agreements.create(
        database.engine,
        STAFF,
        later.code,
        base.model_copy(
            update={"signed_on": today - timedelta(days=1), "valid_to": date(2030, 6, 30)}
        ),
    )
    lapsed, _ = new_partner(database, agreement=False)
    agreements.create(
        database.engine,
        STAFF,
        lapsed.code,
        base.model_copy(update={"valid_to": today - timedelta(days=1)}),
    )
    codes = {p.code for p in (plain, none, digital, later, lapsed)}
    listed = {
        row.code: row.agreement_valid_to
        for row in staff_lists.partners(database.engine, today)
        if row.code in codes
    }
    for row in desk.partners(database.engine, today):
        if row.code in codes:
            assert listed[row.code] == row.agreement_valid_to, row.code
    assert listed[plain.code] == date(2035, 12, 31)
    assert listed[later.code] == date(2030, 6, 30)  # the latest signed wins
    assert listed[none.code] is None and listed[digital.code] is None
    assert listed[lapsed.code] is None
    by_agreement = [
        r.code
        for r in staff_lists.partners(database.engine, today, Sort("agreement", descending=True))
        if r.code in codes
    ]
    assert by_agreement[:2] == [plain.code, later.code]  # empty ones last, either way
