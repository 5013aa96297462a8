"""Failed sign-ins per user name and address, shared by every API process.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_failure",
        sa.Column("username", sa.String(length=64), primary_key=True),
        sa.Column("address", sa.String(length=64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("delay_seconds", sa.Float(), nullable=False),
        sa.Column("last_failed_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
    )
    op.create_index("ix_signin_failure_last_failed_at", "signin_failure", ["last_failed_at"])


def downgrade() -> None:
    op.drop_table("signin_failure")
