"""Standing serial exchanges: the titles each side sends, their issues, dispatches (issue 16).

``serial_title`` is one title one side sends the other every year, with its frequency and
numbering (``workflows.serial.prediction``); ``serial_issue`` each issue expected in a year,
as predicted and then edited by staff, checked in, claimed and answered; ``serial_dispatch``
a parcel of our issues to one partner. A serial issue counts in the ledger as a line of an
exchange does, so ``ledger_entry.exchange_id`` becomes nullable and an entry may name a serial
issue instead; a notice may belong to a serial title (``notice.serial_id``).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> sa.types.TypeEngine[object]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "serial_title",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("issn", _s(9), nullable=False),
        sa.Column("title", _s(500), nullable=False),
        sa.Column("direction", _s(16), nullable=False),
        sa.Column("frequency", sa.JSON(), nullable=False),
        sa.Column("numbering", sa.JSON(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("claim_after_days", sa.Integer(), nullable=False),
        sa.Column("second_claim_days", sa.Integer(), nullable=False),
        sa.Column("unit_value", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", _s(3), nullable=True),
        sa.Column("state", _s(16), nullable=False),
        sa.Column("confirmed_year", sa.Integer(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", _s(32), nullable=True),
        sa.Column("successor_id", sa.Integer(), sa.ForeignKey("serial_title.id"), nullable=True),
        sa.Column("note", _s(2000), nullable=True),
        sa.Column("created_by", _s(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.UniqueConstraint("partner_id", "issn", "direction", name="uq_serial_title"),
    )
    op.create_index("ix_serial_title_partner_id", "serial_title", ["partner_id"])
    op.create_index("ix_serial_title_issn", "serial_title", ["issn"])
    op.create_index("ix_serial_title_state", "serial_title", ["state"])
    op.create_table(
        "serial_dispatch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", _s(16), nullable=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("state", _s(16), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("created_by", _s(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_serial_dispatch_number", "serial_dispatch", ["number"], unique=True)
    op.create_index("ix_serial_dispatch_partner_id", "serial_dispatch", ["partner_id"])
    op.create_table(
        "serial_issue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("serial_id", sa.Integer(), sa.ForeignKey("serial_title.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("key", _s(32), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=True),
        sa.Column("numbers", _s(32), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("claim_on", sa.Date(), nullable=False),
        sa.Column("state", _s(16), nullable=False),
        sa.Column("copies_expected", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("copies_received", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("damaged", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("duplicates", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_claimed_on", sa.Date(), nullable=True),
        sa.Column("answer", _s(32), nullable=True),
        sa.Column("answer_note", _s(2000), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("dispatch_id", sa.Integer(), sa.ForeignKey("serial_dispatch.id"), nullable=True),
        sa.Column("edited_by", _s(64), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.UniqueConstraint("serial_id", "key", name="uq_serial_issue"),
    )
    op.create_index("ix_serial_issue_serial_id", "serial_issue", ["serial_id"])
    op.create_index("ix_serial_issue_year", "serial_issue", ["year"])
    op.create_index("ix_serial_issue_state_claim_on", "serial_issue", ["state", "claim_on"])
    op.create_index("ix_serial_issue_dispatch_id", "serial_issue", ["dispatch_id"])
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.alter_column("exchange_id", existing_type=_s(36), nullable=True)
        batch_op.add_column(sa.Column("serial_issue_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_ledger_entry_serial_issue_id", ["serial_issue_id"], unique=True)
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serial_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_notice_serial_id", ["serial_id"])


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_serial_id")
        batch_op.drop_column("serial_id")
    op.execute("DELETE FROM ledger_entry WHERE exchange_id IS NULL")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_serial_issue_id")
        batch_op.drop_column("serial_issue_id")
        batch_op.alter_column("exchange_id", existing_type=_s(36), nullable=False)
    op.drop_table("serial_issue")
    op.drop_table("serial_dispatch")
    op.drop_table("serial_title")
