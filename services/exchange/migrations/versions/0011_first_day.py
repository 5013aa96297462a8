"""Exchange numbers, partner addresses and contacts, history notes by message id, the audit.

Existing exchanges get their numbers here, in the order they were proposed within each year,
and the sequence starts after them.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _s(length: int) -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _backfill_numbers() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, created_at FROM exchange ORDER BY created_at, id")
    ).fetchall()
    last: dict[int, int] = {}
    for exchange_id, created_at in rows:
        year = int(str(created_at)[:4])
        last[year] = last.get(year, 0) + 1
        bind.execute(
            sa.text("UPDATE exchange SET number = :n WHERE id = :id"),
            {"n": f"EX-{year}-{last[year]:04d}", "id": exchange_id},
        )
    for year, value in last.items():
        bind.execute(
            sa.text("INSERT INTO number_sequence (series, year, last) VALUES ('EX', :y, :v)"),
            {"y": year, "v": value},
        )


def upgrade() -> None:
    op.create_table(
        "partner_address",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("kind", _s(16), nullable=False),
        sa.Column("lines", _s(1000), nullable=False),
        sa.Column("country", _s(2), nullable=True),
    )
    op.create_index("ix_partner_address_partner_id", "partner_address", ["partner_id"])
    op.create_table(
        "partner_contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("name", _s(200), nullable=False),
        sa.Column("email", _s(320), nullable=False),
        sa.Column("language", _s(8), nullable=False),
        sa.Column("role", _s(64), nullable=True),
        sa.Column("receives_notices", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_partner_contact_partner_id", "partner_contact", ["partner_id"])
    op.create_table(
        "number_sequence",
        sa.Column("series", _s(16), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", _s(64), nullable=False),
        sa.Column("actor_name", _s(200), nullable=True),
        sa.Column("entity", _s(32), nullable=False),
        sa.Column("entity_key", _s(64), nullable=False),
        sa.Column("action", _s(32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_entity", "audit_entry", ["entity"])
    op.create_index("ix_audit_entry_entity_key", "audit_entry", ["entity_key"])
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", _s(16), nullable=True))
        batch_op.create_index("ix_exchange_number", ["number"], unique=True)
    with op.batch_alter_table("exchange_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_id", _s(64), nullable=True))
        batch_op.add_column(sa.Column("note_params", sa.JSON(), nullable=True))
    _backfill_numbers()


def downgrade() -> None:
    with op.batch_alter_table("exchange_event", schema=None) as batch_op:
        batch_op.drop_column("note_params")
        batch_op.drop_column("note_id")
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_number")
        batch_op.drop_column("number")
    op.drop_table("audit_entry")
    op.drop_table("number_sequence")
    op.drop_table("partner_contact")
    op.drop_table("partner_address")
