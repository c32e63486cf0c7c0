"""kb authoring: versions, history, helpfulness counters

Revision ID: 0003_kb
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_kb"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("helpful", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("unhelpful", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("updated_by", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_kb_entries_status"), ["status"], unique=False)
    op.create_table(
        "kb_entry_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "version"),
    )
    with op.batch_alter_table("kb_entry_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_entry_versions_entry_id"), ["entry_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_entry_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_entry_versions_entry_id"))
    op.drop_table("kb_entry_versions")
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_entries_status"))
        batch_op.drop_column("updated_by")
        batch_op.drop_column("unhelpful")
        batch_op.drop_column("helpful")
        batch_op.drop_column("version")
