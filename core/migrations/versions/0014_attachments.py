"""customer_receipts: how far a customer's client has received and read a conversation

Revision ID: 0014_attachments
Revises: 0013_email
Create Date: 2026-12-03

The web chat widget reports the last message it showed and the last it showed with the
page in view; the console marks agent messages delivered and read up to them (issue 15).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_attachments"
down_revision = "0015_desk_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_receipts",
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("delivered_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("read_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_receipts")
