"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from services.exchange import models  # noqa: F401  (the tables)
from tests.conftest import Stack


def test_migrated_schema_matches_the_models(stack: Stack) -> None:
    with stack.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        drift = compare_metadata(context, SQLModel.metadata)
    assert drift == [], drift
