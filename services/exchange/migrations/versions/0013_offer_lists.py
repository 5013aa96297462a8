"""Offer lists to many partners, wish lists, partner profiles and notices by e-mail.

A notice no longer needs an exchange: an offer list's notices carry the list and a stable key
instead. Every new column is nullable or has a default, so rows written before read as they
were: contacts get every notice, agreements want everything, staff users get no e-mail.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> sa.types.TypeEngine[object]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "offer_list",
        sa.Column("id", _s(36), primary_key=True),
        sa.Column("number", _s(16), nullable=True),
        sa.Column("direction", _s(16), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=True),
        sa.Column("title", _s(300), nullable=False),
        sa.Column("note", _s(4000), nullable=True),
        sa.Column("state", _s(16), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("all_partners", sa.Boolean(), nullable=False),
        sa.Column("created_by", _s(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.Column("closed_by", _s(64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
    )
    op.create_index("ix_offer_list_number", "offer_list", ["number"], unique=True)
    op.create_index("ix_offer_list_direction", "offer_list", ["direction"])
    op.create_index("ix_offer_list_partner_id", "offer_list", ["partner_id"])
    op.create_index("ix_offer_list_state", "offer_list", ["state"])
    op.create_table(
        "offer_list_addressee",
        sa.Column("list_id", _s(36), sa.ForeignKey("offer_list.id"), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), primary_key=True),
    )
    op.create_index("ix_offer_list_addressee_partner_id", "offer_list_addressee", ["partner_id"])
    op.create_table(
        "offer_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("list_id", _s(36), sa.ForeignKey("offer_list.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("fund_item_id", sa.Integer(), sa.ForeignKey("fund_item.id"), nullable=True),
        sa.Column("title", _s(1000), nullable=False),
        sa.Column("author", _s(500), nullable=True),
        sa.Column("edition", _s(200), nullable=True),
        sa.Column("place", _s(200), nullable=True),
        sa.Column("publisher", _s(500), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("pages", _s(64), nullable=True),
        sa.Column("isbn", _s(32), nullable=True),
        sa.Column("issn", _s(16), nullable=True),
        sa.Column("control_number", _s(64), nullable=True),
        sa.Column("language", _s(3), nullable=True),
        sa.Column("material_type", _s(16), nullable=True),
        sa.Column("subject", _s(32), nullable=True),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("copies_taken", sa.Integer(), nullable=False),
        sa.Column("unit_value", sa.Numeric(12, 2), nullable=True),
        sa.Column("currency", _s(3), nullable=True),
        sa.Column("held_copies", sa.Integer(), nullable=True),
        sa.Column("held_match", _s(16), nullable=True),
        sa.Column("held_record_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("list_id", "position", name="uq_offer_item_position"),
    )
    op.create_index("ix_offer_item_list_id", "offer_item", ["list_id"])
    op.create_index("ix_offer_item_fund_item_id", "offer_item", ["fund_item_id"])
    op.create_index("ix_offer_item_isbn", "offer_item", ["isbn"])
    op.create_index("ix_offer_item_issn", "offer_item", ["issn"])
    op.create_table(
        "offer_selection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("list_id", _s(36), sa.ForeignKey("offer_list.id"), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("state", _s(16), nullable=False),
        sa.Column("exchange_id", _s(36), sa.ForeignKey("exchange.id"), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("submitted_at", _utc(), nullable=True),
        sa.Column("submitted_by", _s(64), nullable=True),
        sa.UniqueConstraint("list_id", "partner_id", name="uq_offer_selection"),
    )
    op.create_index("ix_offer_selection_list_id", "offer_selection", ["list_id"])
    op.create_index("ix_offer_selection_partner_id", "offer_selection", ["partner_id"])
    op.create_index("ix_offer_selection_exchange_id", "offer_selection", ["exchange_id"])
    op.create_table(
        "offer_pick",
        sa.Column(
            "selection_id", sa.Integer(), sa.ForeignKey("offer_selection.id"), primary_key=True
        ),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("offer_item.id"), primary_key=True),
        sa.Column("copies", sa.Integer(), nullable=False),
    )
    op.create_index("ix_offer_pick_item_id", "offer_pick", ["item_id"])
    op.create_table(
        "wish_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=True),
        sa.Column("isbn", _s(32), nullable=True),
        sa.Column("issn", _s(16), nullable=True),
        sa.Column("title", _s(1000), nullable=True),
        sa.Column("author", _s(500), nullable=True),
        sa.Column("volumes", _s(100), nullable=True),
        sa.Column("volume_from", sa.Integer(), nullable=True),
        sa.Column("volume_to", sa.Integer(), nullable=True),
        sa.Column("year_from", sa.Integer(), nullable=True),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.Column("note", _s(1000), nullable=True),
        sa.Column("created_by", _s(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_wish_item_partner_id", "wish_item", ["partner_id"])
    op.create_index("ix_wish_item_isbn", "wish_item", ["isbn"])
    op.create_index("ix_wish_item_issn", "wish_item", ["issn"])
    op.create_table(
        "wish_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wish_item_id", sa.Integer(), sa.ForeignKey("wish_item.id"), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("offer_item_id", sa.Integer(), sa.ForeignKey("offer_item.id"), nullable=True),
        sa.Column("fund_item_id", sa.Integer(), sa.ForeignKey("fund_item.id"), nullable=True),
        sa.Column("list_id", _s(36), nullable=True),
        sa.Column("match", _s(16), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.UniqueConstraint("wish_item_id", "offer_item_id", name="uq_wish_hit_offer"),
        sa.UniqueConstraint("wish_item_id", "fund_item_id", name="uq_wish_hit_fund"),
    )
    op.create_index("ix_wish_hit_wish_item_id", "wish_hit", ["wish_item_id"])
    op.create_index("ix_wish_hit_partner_id", "wish_hit", ["partner_id"])
    op.create_index("ix_wish_hit_offer_item_id", "wish_hit", ["offer_item_id"])
    op.create_index("ix_wish_hit_fund_item_id", "wish_hit", ["fund_item_id"])
    op.create_index("ix_wish_hit_list_id", "wish_hit", ["list_id"])
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("exchange_id", existing_type=_s(36), nullable=True)
        batch_op.add_column(sa.Column("offer_list_id", _s(36), nullable=True))
        batch_op.add_column(sa.Column("key", _s(200), nullable=True))
        batch_op.add_column(sa.Column("note_id", _s(64), nullable=True))
        batch_op.add_column(sa.Column("note_params", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            "fk_notice_offer_list_id", "offer_list", ["offer_list_id"], ["id"]
        )
        batch_op.create_index("ix_notice_offer_list_id", ["offer_list_id"])
        batch_op.create_index("ix_notice_key", ["key"], unique=True)
    op.create_table(
        "email_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notice.id"), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("address", _s(320), nullable=False),
        sa.Column("language", _s(8), nullable=False),
        sa.Column("subject", _s(500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("error", _s(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
    )
    op.create_index("ix_email_delivery_notice_id", "email_delivery", ["notice_id"])
    op.create_index("ix_email_delivery_partner_id", "email_delivery", ["partner_id"])
    with op.batch_alter_table("partner_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notices", sa.JSON(), nullable=True))
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", _s(320), nullable=True))
        batch_op.add_column(sa.Column("language", _s(8), nullable=True))
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("profile")
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("email")
    with op.batch_alter_table("partner_contact", schema=None) as batch_op:
        batch_op.drop_column("notices")
    op.drop_table("email_delivery")
    op.execute("DELETE FROM notice WHERE exchange_id IS NULL")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_key")
        batch_op.drop_index("ix_notice_offer_list_id")
        batch_op.drop_constraint("fk_notice_offer_list_id", type_="foreignkey")
        batch_op.drop_column("note_params")
        batch_op.drop_column("note_id")
        batch_op.drop_column("key")
        batch_op.drop_column("offer_list_id")
        batch_op.alter_column("exchange_id", existing_type=_s(36), nullable=False)
    for table in (
        "wish_hit",
        "wish_item",
        "offer_pick",
        "offer_selection",
        "offer_item",
        "offer_list_addressee",
        "offer_list",
    ):
        op.drop_table(table)
