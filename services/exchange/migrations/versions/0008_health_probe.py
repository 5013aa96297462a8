"""The row ``/health`` writes to show that the database takes writes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    probe = op.create_table(
        "health_probe",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(probe, [{"id": 1, "checked_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("health_probe")
