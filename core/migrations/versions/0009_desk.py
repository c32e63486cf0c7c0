"""Agent presence (console sockets, last seen), what each agent has read, message search index

Revision ID: 0009_desk
Revises: 0008_inbound
Create Date: 2026-12-03

``agents.status`` becomes the status the agent chose; whether they are really there comes
from ``agent_consoles`` (one row per open console socket, kept fresh by a heartbeat) and
``agents.last_seen_at``. Before this revision ``offline`` was also the default every new
account started with, so it says nothing about a choice: those agents start ``online`` and,
with true presence, receive work only while a console of theirs is connected.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_desk"
down_revision = "0008_inbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE agents SET status = 'online' WHERE status = 'offline'")
    op.create_table(
        "agent_consoles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_consoles_agent_id", "agent_consoles", ["agent_id"])
    op.create_table(
        "conversation_reads",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agent_id", "conversation_id"),
    )
    # The message search index (handoff/search_index.py): derived, refilled by the app.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE message_search USING fts5("
            "terms, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE message_search (message_id BIGINT PRIMARY KEY, terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_message_search_terms ON message_search USING gin (terms)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS message_search")
    op.drop_table("conversation_reads")
    op.drop_index("ix_agent_consoles_agent_id", table_name="agent_consoles")
    op.drop_table("agent_consoles")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("last_seen_at")
