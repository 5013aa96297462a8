"""Staged imports: batch states, staged records and decisions, record provenance and history.

Batches imported under the old scheme read as they were: a finished import is ``committed``
(its records are in the catalogue), a finished dry run ``staged`` (a report, never to be
committed), one still running ``staging``. Their outcomes take the new vocabulary (the
proposed action in ``outcome``, what was done in ``applied``), and the records they created
or merged into get their history entries and revisions, so that they can be undone like any
batch committed from now on.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine[str]:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> sa.types.TypeEngine[object]:
    return sa.DateTime(timezone=True)


_OLD_OUTCOMES = {
    # old outcome: (proposed action, what was done)
    "created": ("create", "created"),
    "merged": ("merge", "merged"),
    "would_create": ("create", None),
    "would_merge": ("merge", None),
}


def _backfill() -> None:
    bind = op.get_bind()
    for old, (proposed, applied) in _OLD_OUTCOMES.items():
        bind.execute(
            sa.text("UPDATE import_outcome SET outcome = :p, applied = :a WHERE outcome = :o"),
            {"p": proposed, "a": applied, "o": old},
        )
    bind.execute(
        sa.text(
            "UPDATE marc_batch SET state = 'committed', committed_through = processed, "
            "committed_at = finished_at, committed_by = uploaded_by, "
            "commit_started_at = created_at "
            "WHERE state = 'completed' AND NOT dry_run"
        )
    )
    bind.execute(sa.text("UPDATE marc_batch SET state = 'staged' WHERE state = 'completed'"))
    bind.execute(sa.text("UPDATE marc_batch SET state = 'staging' WHERE state = 'running'"))
    bind.execute(
        sa.text(
            "UPDATE catalogue_record SET partner_id = "
            "(SELECT e.partner_id FROM exchange e WHERE e.id = catalogue_record.exchange_id) "
            "WHERE exchange_id IS NOT NULL"
        )
    )
    # One history entry per record an old batch created or merged into, numbered in the
    # order the batches came (a window function: SQLite 3.25+ and PostgreSQL alike).
    bind.execute(
        sa.text(
            "INSERT INTO record_history (record_id, batch_id, position, exchange_id, "
            "partner_id, action, revision, holdings, at, actor) "
            "SELECT o.record_id, o.batch_id, o.position, b.exchange_id, e.partner_id, "
            "CASE o.applied WHEN 'created' THEN 'imported' ELSE 'merged' END, "
            "ROW_NUMBER() OVER (PARTITION BY o.record_id "
            "ORDER BY CASE o.applied WHEN 'created' THEN 0 ELSE 1 END, b.created_at, b.id, "
            "o.position), "
            "1, COALESCE(b.finished_at, b.created_at), b.uploaded_by "
            "FROM import_outcome o JOIN marc_batch b ON b.id = o.batch_id "
            "LEFT JOIN exchange e ON e.id = b.exchange_id "
            "WHERE o.applied IN ('created', 'merged') AND o.record_id IS NOT NULL"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE catalogue_record SET revision = COALESCE((SELECT MAX(h.revision) "
            "FROM record_history h WHERE h.record_id = catalogue_record.id), 1)"
        )
    )


def upgrade() -> None:
    with op.batch_alter_table("marc_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("committed_through", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("commit_counts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("commit_started_at", _utc(), nullable=True))
        batch_op.add_column(sa.Column("committed_at", _utc(), nullable=True))
        batch_op.add_column(sa.Column("committed_by", _s(64), nullable=True))
        batch_op.add_column(sa.Column("undo_position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("undo_counts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("undo_kept", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("undone_at", _utc(), nullable=True))
        batch_op.add_column(sa.Column("undone_by", _s(64), nullable=True))
    with op.batch_alter_table("catalogue_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("updated_at", _utc(), nullable=True))
        batch_op.create_index("ix_catalogue_record_partner_id", ["partner_id"])
    with op.batch_alter_table("import_outcome", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_points", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("marc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("keys", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("control_number", _s(64), nullable=True))
        batch_op.add_column(sa.Column("isbn", _s(32), nullable=True))
        batch_op.add_column(sa.Column("issn", _s(16), nullable=True))
        batch_op.add_column(sa.Column("author", _s(), nullable=True))
        batch_op.add_column(sa.Column("year", _s(8), nullable=True))
        batch_op.add_column(sa.Column("action", _s(16), nullable=True))
        batch_op.add_column(sa.Column("target_record_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("applied", _s(16), nullable=True))
        batch_op.add_column(sa.Column("undone", _s(16), nullable=True))
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", _s(36), sa.ForeignKey("marc_batch.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("exchange_id", _s(36), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("action", _s(16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("holdings", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", _s(64), nullable=False),
        sa.Column("previous_marc", sa.LargeBinary(), nullable=True),
        sa.Column("previous_keys", sa.JSON(), nullable=True),
        sa.Column("note", _s(), nullable=True),
        sa.UniqueConstraint("batch_id", "position", "action", name="uq_record_history_step"),
    )
    op.create_index("ix_record_history_record_id", "record_history", ["record_id"])
    op.create_index("ix_record_history_batch_id", "record_history", ["batch_id"])
    _backfill()


def downgrade() -> None:
    bind = op.get_bind()
    for old, (proposed, applied) in _OLD_OUTCOMES.items():
        condition = "applied = :a" if applied else "applied IS NULL"
        bind.execute(
            sa.text(f"UPDATE import_outcome SET outcome = :o WHERE outcome = :p AND {condition}"),
            {"p": proposed, "a": applied, "o": old},
        )
    bind.execute(
        sa.text(
            "UPDATE marc_batch SET state = 'completed' "
            "WHERE state IN ('staged', 'committing', 'committed', 'undoing', 'undone')"
        )
    )
    bind.execute(sa.text("UPDATE marc_batch SET state = 'running' WHERE state = 'staging'"))
    op.drop_index("ix_record_history_batch_id", table_name="record_history")
    op.drop_index("ix_record_history_record_id", table_name="record_history")
    op.drop_table("record_history")
    with op.batch_alter_table("import_outcome", schema=None) as batch_op:
        for column in (
            "undone",
            "applied",
            "target_record_id",
            "action",
            "year",
            "author",
            "issn",
            "isbn",
            "control_number",
            "keys",
            "marc",
            "match_points",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("catalogue_record", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_record_partner_id")
        for column in ("updated_at", "revision", "partner_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("marc_batch", schema=None) as batch_op:
        for column in (
            "undone_by",
            "undone_at",
            "undo_kept",
            "undo_counts",
            "undo_position",
            "committed_by",
            "committed_at",
            "commit_started_at",
            "commit_counts",
            "committed_through",
        ):
            batch_op.drop_column(column)
