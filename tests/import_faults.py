"""A real fault for imports: the database refuses the outcome rows of certain records.

An import's chunk activity writes every record's outcome; a trigger that aborts those inserts
makes each attempt of the chunk fail inside the database, on SQLite and PostgreSQL alike, as a
full or broken table would, with no mock in the activity's way. The trigger only refuses rows
whose title starts with the given prefix, so other imports on the same database go on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

REFUSAL = "the outcome table refuses this row"


@contextmanager
def outcomes_refused(engine: Engine, title_prefix: str) -> Iterator[None]:
    """While open, inserting an outcome whose title starts with ``title_prefix`` fails."""
    name = f"refuse_{uuid.uuid4().hex[:10]}"
    pattern = title_prefix.replace("'", "''") + "%"
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
                )
            )
            connection.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON import_outcome FOR EACH ROW "
                    f"WHEN (NEW.title LIKE '{pattern}') EXECUTE FUNCTION {name}()"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON import_outcome "
                    f"WHEN NEW.title LIKE '{pattern}' "
                    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON import_outcome"))
                connection.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
            else:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
