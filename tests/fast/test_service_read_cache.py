"""The read cache against a service's own writes, on both databases, without the API.

``test_read_cache`` checks the cache behind the real read routes; here the marker is read
beside the migrated database while ``service/partners.py`` writes to it, and the answer
after a write is checked to be the new one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Engine

from services.exchange.schemas.partners import PartnerIn
from services.exchange.service import partners, read_cache
from services.exchange.storage.db import make_engine
from tests.fast.conftest import Database, unique_code


def _register(db: Database) -> str:
    body = PartnerIn(code=unique_code("RC"), name="Cached", country="BY", marc_format="marc21")
    return partners.create(db.engine, db.settings, body).code


def _codes(engine: Engine, built: list[int]) -> bytes:
    built.append(1)
    page = partners.list_all(engine, limit=10_000, offset=0)
    return ",".join(p.code for p in page.items).encode()


async def test_an_answer_after_a_write_is_the_new_one(database: Database) -> None:
    cache = read_cache.read_cache(database.engine, 1)
    assert cache is not None
    built: list[int] = []
    try:
        before = await cache.marker()
        first = await read_cache.answer(cache, "partners", lambda: _codes(database.engine, built))
        code = await asyncio.to_thread(_register, database)
        assert await cache.marker() != before, "a committed write moves the marker"
        after = await read_cache.answer(cache, "partners", lambda: _codes(database.engine, built))
        assert code.encode() in after.body and code.encode() not in first.body
        assert after.etag != first.etag and len(built) == 2
        if database.backend == "sqlite":
            # Only SQLite's marker is this database's alone; PostgreSQL's moves with any
            # commit on the server, which other sessions on this machine make at any time.
            again = await read_cache.answer(
                cache, "partners", lambda: _codes(database.engine, built)
            )
            assert again == after and len(built) == 2, "unchanged: the answer from memory"
    finally:
        await cache.close()


def test_no_cache_when_turned_off_or_for_a_private_database(tmp_path: Path) -> None:
    file, memory = make_engine(f"sqlite:///{tmp_path / 'c.db'}"), make_engine("sqlite://")
    try:
        assert read_cache.read_cache(file, 0) is None, "EXCHANGE_READ_CACHE_MB=0"
        assert read_cache.read_cache(memory, 1) is None, "another connection would never see"
    finally:
        file.dispose()
        memory.dispose()
