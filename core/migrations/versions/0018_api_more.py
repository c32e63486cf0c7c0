"""Contacts' external id (a company system's customer number); the webhooks' message feed

Revision ID: 0018_api_more
Revises: 0013_email
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_api_more"
down_revision = "0014_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch.create_unique_constraint("uq_contacts_external_id", ["external_id"])
    op.create_table(
        "webhook_feed",
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )


def downgrade() -> None:
    op.drop_table("webhook_feed")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_constraint("uq_contacts_external_id", type_="unique")
        batch.drop_column("external_id")
