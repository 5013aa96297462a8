"""The fund's one search (``fund.search``), which the fund page and the proposal page share:
an ISBN however it is typed, an ISSN with or without its hyphen, or words of the title and
author, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from services.exchange.schemas.fund import DepositIn
from services.exchange.service import fund
from tests.fast.conftest import Database, unique_isbn


def _unique_issn() -> str:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    check = -sum(int(d) * (8 - i) for i, d in enumerate(digits)) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _isbn10_of(isbn13: str) -> str:
    core = isbn13[3:12]
    check = -sum(int(d) * (10 - i) for i, d in enumerate(core)) % 11
    return core + ("X" if check == 10 else str(check))


def _found(db: Database, typed: str, available_only: bool = False) -> list[int]:
    page = fund.search(db.engine, typed, available_only=available_only, limit=20, offset=0)
    return [item.id for item in page.items]


def test_an_isbn_is_found_however_it_is_typed(database: Database) -> None:
    isbn = unique_isbn()
    item, _ = fund.deposit(
        database.engine,
        DepositIn(title=f"Sejarah Nusantara {isbn}", isbn=isbn, copies=5),
        database.settings.retention_copies,
    )
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    for typed in (
        isbn,
        hyphenated,
        f"  {hyphenated} ",
        f"ISBN {hyphenated}",
        f"ISBN-13: {isbn}",
        " ".join((isbn[:3], isbn[3:7], isbn[7:])),
        _isbn10_of(isbn),
        _isbn10_of(isbn).lower(),
    ):
        assert _found(database, typed) == [item.id], typed
        assert fund.search_terms(typed).isbn == isbn, typed


def test_an_issn_is_found_with_or_without_its_hyphen(database: Database) -> None:
    issn = _unique_issn()
    item, _ = fund.deposit(
        database.engine,
        DepositIn(title=f"Majalah Bahasa {issn}", issn=issn, copies=3),
        database.settings.retention_copies,
    )
    for typed in (issn, issn.replace("-", ""), f"ISSN {issn}", issn.lower()):
        assert _found(database, typed) == [item.id], typed
        assert fund.search_terms(typed).issn == issn, typed


def test_words_search_the_title_and_author_and_numbers_among_words_stay_words(
    database: Database,
) -> None:
    isbn = unique_isbn()
    marker = uuid.uuid4().hex[:10]
    item, _ = fund.deposit(
        database.engine,
        DepositIn(title=f"Babad {marker}", author="Pramoedya", isbn=isbn, copies=4),
        database.settings.retention_copies,
    )
    assert _found(database, f"babad {marker.upper()}") == [item.id]
    assert _found(database, f"{marker} pramoedya") == [item.id]
    assert fund.search_terms(f"Babad {isbn}").words == f"Babad {isbn}"
    assert _found(database, f"Babad {isbn}") == []  # no title holds the number
    assert fund.search_terms("2019").words == "2019"  # a year is no identifier
    assert fund.search_terms("   ") == fund.SearchTerms()


def test_the_proposal_pages_view_leaves_out_what_cannot_be_offered(database: Database) -> None:
    isbn = unique_isbn()
    kept_only, _ = fund.deposit(
        database.engine,
        DepositIn(title=f"Kamus {isbn}", isbn=isbn, copies=database.settings.retention_copies),
        database.settings.retention_copies,
    )
    assert _found(database, isbn) == [kept_only.id]  # the fund page lists it
    assert _found(database, isbn, available_only=True) == []  # nothing of it to offer
