"""Store ISBNs as ISBN-13, so an ISBN-10 and the ISBN-13 of the same book match.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marc

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    for table in ("catalogue_record", "fund_item"):
        rows = connection.execute(
            sa.text(f"SELECT id, isbn FROM {table} WHERE isbn IS NOT NULL")
        ).all()
        for row_id, isbn in rows:
            normalised = marc.normalise_isbn(isbn)
            if normalised and normalised != isbn:
                connection.execute(
                    sa.text(f"UPDATE {table} SET isbn = :isbn WHERE id = :id"),
                    {"isbn": normalised, "id": row_id},
                )


def downgrade() -> None:
    """ISBN-13 values stay valid under the old code; nothing to undo."""
