"""Apply Alembic migrations at start-up.

PostgreSQL takes an advisory lock first so that an API and a worker starting together
do not both try to create the same tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

_MIGRATIONS = Path(__file__).parent.parent / "migrations"
_LOCK_KEY = 7_311_020_612  # arbitrary, constant: "exchange schema"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            connection.commit()
        try:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                connection.commit()
