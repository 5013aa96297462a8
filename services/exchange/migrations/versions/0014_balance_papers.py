"""Balance models, exchange rates, purchase costs, shipment papers (issue 17).

An agreement says how its balance is counted (``balance_model``: blanket, pieces, titles or
value, in ``currency``, with a ``tolerance``); staff record a rate per year to bring declared
values into the agreement's currency. A line may carry what we paid for it (``purchase_cost``,
kept apart from its declared value), its language and its weight for the customs papers.
Every new column is nullable or has a default: agreements signed before count pieces, as the
balance always did, and lines read as they were.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> sa.types.TypeEngine[object]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("balance_model", _s(16), nullable=False, server_default="pieces")
        )
        batch_op.add_column(sa.Column("currency", _s(3), nullable=True))
        batch_op.add_column(sa.Column("tolerance", sa.Numeric(14, 2), nullable=True))
    with op.batch_alter_table("exchange_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purchase_cost", sa.Numeric(14, 2), nullable=True))
        batch_op.add_column(sa.Column("language", _s(3), nullable=True))
        batch_op.add_column(sa.Column("weight_grams", sa.Integer(), nullable=True))
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purchase_cost", sa.Numeric(14, 2), nullable=True))
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("currency", _s(3), nullable=False),
        sa.Column("to_currency", _s(3), nullable=False),
        sa.Column("rate", sa.Numeric(18, 6), nullable=False),
        sa.Column("recorded_by", _s(64), nullable=False),
        sa.Column("recorded_at", _utc(), nullable=False),
        sa.UniqueConstraint("year", "currency", "to_currency", name="uq_exchange_rate"),
    )
    op.create_index("ix_exchange_rate_year", "exchange_rate", ["year"])
    op.create_table(
        "exchange_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exchange_id", _s(36), sa.ForeignKey("exchange.id"), nullable=False),
        sa.Column("kind", _s(16), nullable=False),
        sa.Column("lang", _s(8), nullable=False),
        sa.Column("parcel", sa.Integer(), nullable=False),
        sa.Column("fingerprint", _s(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.UniqueConstraint("exchange_id", "kind", "lang", "parcel", name="uq_exchange_document"),
    )
    op.create_index("ix_exchange_document_exchange_id", "exchange_document", ["exchange_id"])


def downgrade() -> None:
    op.drop_table("exchange_document")
    op.drop_table("exchange_rate")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("purchase_cost")
    with op.batch_alter_table("exchange_line", schema=None) as batch_op:
        batch_op.drop_column("weight_grams")
        batch_op.drop_column("language")
        batch_op.drop_column("purchase_cost")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("tolerance")
        batch_op.drop_column("currency")
        batch_op.drop_column("balance_model")
