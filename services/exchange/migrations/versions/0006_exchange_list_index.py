"""An index for a partner's list of exchanges, newest first.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_exchange_partner_created", "exchange", ["partner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_exchange_partner_created", table_name="exchange")
