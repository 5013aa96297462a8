"""A partner's character set and heading form, and the character set a batch is read in.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _text() -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=16)


def upgrade() -> None:
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marc_encoding", _text(), nullable=True))
        batch_op.add_column(sa.Column("heading_form", _text(), nullable=True))
    with op.batch_alter_table("marc_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("encoding", _text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("marc_batch", schema=None) as batch_op:
        batch_op.drop_column("encoding")
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("heading_form")
        batch_op.drop_column("marc_encoding")
