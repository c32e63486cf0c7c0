"""Personal data: the access trail, export jobs, and the mark of an erased contact

Revision ID: 0012_privacy
Revises: 0011_api
Create Date: 2026-12-03

``privacy_trail`` records who viewed, revealed, exported or erased a customer's data (PIPL:
access to personal information must be traceable); ``privacy_exports`` are the background
export jobs behind ``GET /api/admin/contacts/{id}/export``; ``contacts.erased_at`` marks a
contact whose identifying data was erased (the anonymous row stays for the reports);
``conversations.purged_at`` one that retention emptied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_privacy"
down_revision = "0011_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_trail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_privacy_trail_created_at", "privacy_trail", ["created_at"])
    op.create_index("ix_privacy_trail_contact_id", "privacy_trail", ["contact_id"])
    op.create_table(
        "privacy_exports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("contacts", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "conversations", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("purged_at")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("erased_at")
    op.drop_table("privacy_exports")
    op.drop_index("ix_privacy_trail_contact_id", table_name="privacy_trail")
    op.drop_index("ix_privacy_trail_created_at", table_name="privacy_trail")
    op.drop_table("privacy_trail")
