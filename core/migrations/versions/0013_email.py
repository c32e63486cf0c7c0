"""messages: a partial index on no_reply for the console's "not answered, and why" list

Revision ID: 0013_email
Revises: 0012_privacy
Create Date: 2026-12-03

Agents filter the messages nobody answers (auto-replies, bounces, lists, no usable sender,
rate-limited senders) by reason; they are few among all messages, so a partial index on
``no_reply`` keeps that list and its counts from scanning the whole table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_email"
down_revision = "0012_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_no_reply",
        "messages",
        ["no_reply", "id"],
        sqlite_where=sa.text("no_reply IS NOT NULL"),
        postgresql_where=sa.text("no_reply IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_no_reply", table_name="messages")
