"""customer_notices: changes the customer is told about, sent in batches

Revision ID: 0010_notices
Revises: 0009_desk
Create Date: 2026-12-03

A ticket moved to pending, reopened, or raised in priority records a notice in the same
transaction; the notice sender groups a conversation's notices into one message.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_notices"
down_revision = "0009_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("message_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_customer_notices_conversation_id", "customer_notices", ["conversation_id"])
    op.create_index("ix_customer_notices_sent_at", "customer_notices", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_customer_notices_sent_at", table_name="customer_notices")
    op.drop_index("ix_customer_notices_conversation_id", table_name="customer_notices")
    op.drop_table("customer_notices")
