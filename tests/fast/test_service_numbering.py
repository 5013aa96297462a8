"""Exchange numbers from ``number_sequence`` on both databases: per series and year, counted
on from the last, and never the same twice when many transactions take one at once."""

from __future__ import annotations

import threading
import uuid

from sqlmodel import Session, col, select

from services.exchange.models import Exchange, NumberSequence
from services.exchange.schemas.exchanges import LineIn
from services.exchange.service import numbering
from services.exchange.storage.db import session_scope
from tests.fast.conftest import Database, insert_exchange, new_partner


def _series() -> str:
    """A series no other test counts in (the table is shared by the session's tests)."""
    return f"T{uuid.uuid4().hex[:8].upper()}"


def _take(db: Database, series: str, year: int) -> int:
    with session_scope(db.engine) as session:
        return numbering.next_number(session, series, year)


def test_numbers_count_per_series_and_year(database: Database) -> None:
    series, other = _series(), _series()
    assert [_take(database, series, 2026) for _ in range(3)] == [1, 2, 3]
    assert _take(database, series, 2027) == 1, "a new year starts at 1"
    assert _take(database, other, 2026) == 1, "each series has its own count"
    assert _take(database, series, 2026) == 4
    with Session(database.engine) as session:
        rows = session.exec(
            select(NumberSequence).where(col(NumberSequence.series) == series)
        ).all()
    assert sorted((row.year, row.last) for row in rows) == [(2026, 4), (2027, 1)]
    assert numbering.exchange_number(2026, 42) == "EX-2026-0042"
    assert numbering.exchange_number(2026, 12345) == "EX-2026-12345"


def test_a_rolled_back_transaction_gives_its_number_back(database: Database) -> None:
    series = _series()
    assert _take(database, series, 2026) == 1
    try:
        with session_scope(database.engine) as session:
            assert numbering.next_number(session, series, 2026) == 2
            raise RuntimeError("the proposal failed after taking its number")
    except RuntimeError:
        pass
    assert _take(database, series, 2026) == 2


def test_concurrent_transactions_take_consecutive_numbers(database: Database) -> None:
    """Eight transactions start together on a year nobody has counted in yet (so they also
    race to insert its row); each holds its number a moment before committing."""
    series, workers = _series(), 8
    start = threading.Barrier(workers)
    taken: list[int] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            start.wait()
            with session_scope(database.engine) as session:
                number = numbering.next_number(session, series, 2030)
                threading.Event().wait(0.02)  # the rest of a proposal's transaction
            taken.append(number)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == list(range(1, workers + 1))


def test_the_test_helper_numbers_its_exchanges_as_proposals_do(database: Database) -> None:
    _, partner = new_partner(database)
    first, _ = insert_exchange(database, partner, "incoming", [LineIn(title="A", quantity=1)])
    second, _ = insert_exchange(database, partner, "incoming", [LineIn(title="B", quantity=1)])
    with Session(database.engine) as session:
        found = {
            x.id: x.number
            for x in session.exec(select(Exchange).where(col(Exchange.id).in_([first, second])))
        }
    numbers = [found[first] or "", found[second] or ""]
    assert all(n.startswith("EX-") for n in numbers), numbers
    assert int(numbers[1][8:]) == int(numbers[0][8:]) + 1, numbers
