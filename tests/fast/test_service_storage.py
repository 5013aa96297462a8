"""The storage the services stand on: the migrated schema, the engine, and transactions.

``test_migrations`` compares the schema with the models behind a whole stack; here the same
comparison runs on the fast tier's own databases, with what the services rely on besides:
SQLite's pragmas, a session that rolls back on error, and migrations safe to run twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from services.exchange import models
from services.exchange.storage.db import make_engine, session_scope
from services.exchange.storage.migrate import upgrade
from tests.fast.conftest import Database, unique_code


def test_the_migrated_schema_is_the_models_and_migrating_again_changes_nothing(
    database: Database,
) -> None:
    upgrade(database.engine)  # what every API and worker start does
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        drift = compare_metadata(context, SQLModel.metadata)
        heads = context.get_current_heads()
    assert drift == [], drift
    assert len(heads) == 1


def test_sqlite_is_shared_safely_between_api_and_worker(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


def test_a_session_commits_on_success_and_rolls_back_on_error(database: Database) -> None:
    kept, dropped = unique_code(), unique_code()

    def partner(code: str) -> models.Partner:
        return models.Partner(code=code, name="x", country="BY", marc_format="marc21")

    with session_scope(database.engine) as session:
        session.add(partner(kept))
    with pytest.raises(RuntimeError), session_scope(database.engine) as session:
        session.add(partner(dropped))
        session.flush()
        raise RuntimeError("half way")
    with Session(database.engine) as session:
        found = session.exec(
            select(models.Partner.code).where(col(models.Partner.code).in_([kept, dropped]))
        ).all()
    assert found == [kept]
