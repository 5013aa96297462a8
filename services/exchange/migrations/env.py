"""Alembic environment: the URL and connection come from ``services.exchange.storage.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from services.exchange import models  # noqa: F401  (registers the tables on the metadata)

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through services.exchange.storage.migrate, which passes a connection"
    )
_run(connection)
