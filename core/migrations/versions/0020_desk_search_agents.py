"""message search: each indexed message carries its conversation; agents can be removed

Revision ID: 0020_desk_search_agents
Revises: 0019_learning
Create Date: 2026-12-04

The console's search (``handoff/search_index.py``) wants the newest matching messages of
the conversations an agent may see. With the conversation in the index row, that is the
index joined to ``conversations`` alone (or to nothing, for a supervisor with no filter),
limited before any message row is read: on PostgreSQL a common word no longer joins every
matching message to ``messages`` before the 200 newest are kept. System lines ("小李 已接入")
were never shown; they keep their row, with no terms, instead of a filter on every search.
The GIN index's pending list is kept short (see below).

The index is derived (refilled by the app), so its rows are rebuilt here from the old ones.

``agents.removed_at``: an admin may remove an agent, not only deactivate them. The row stays
(their name stays on the messages, notes and ticket events they wrote) but they are gone from
the console's lists, cannot sign in or be switched on again, and their email is freed.

``inboxes.prechat``: a web chat inbox's own pre-chat form (name, phone, email: each off,
optional or required), set by an admin; none means the ``[desk]`` defaults.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_desk_search_agents"
down_revision = "0019_learning"
branch_labels = None
depends_on = None


def _fts(name: str, columns: str) -> str:
    return (
        f"CREATE VIRTUAL TABLE {name} USING fts5("
        f"{columns}, tokenize = 'unicode61 remove_diacritics 0')"
    )


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inboxes") as batch:
        batch.add_column(sa.Column("prechat", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_fts("message_search_new", "terms, conversation_id UNINDEXED"))
        op.execute(
            "INSERT INTO message_search_new(rowid, terms, conversation_id) "
            "SELECT s.rowid, CASE WHEN m.sender = 'system' THEN '' ELSE s.terms END, "
            "m.conversation_id FROM message_search s JOIN messages m ON m.id = s.rowid"
        )
        op.execute("DROP TABLE message_search")
        op.execute("ALTER TABLE message_search_new RENAME TO message_search")
        return
    op.execute(
        "CREATE TABLE message_search_new (message_id BIGINT PRIMARY KEY, "
        "conversation_id BIGINT NOT NULL, terms TSVECTOR NOT NULL)"
    )
    op.execute(
        "INSERT INTO message_search_new(message_id, conversation_id, terms) "
        "SELECT s.message_id, m.conversation_id, "
        "CASE WHEN m.sender = 'system' THEN ''::tsvector ELSE s.terms END "
        "FROM message_search s JOIN messages m ON m.id = s.message_id"
    )
    op.execute("DROP TABLE message_search")
    op.execute("ALTER TABLE message_search_new RENAME TO message_search")
    op.execute("ALTER INDEX message_search_new_pkey RENAME TO message_search_pkey")
    # A GIN index gathers new entries in a pending list that every search reads through
    # until it is merged (4 MB by default: about 1.5 ms a search); 256 kB keeps that short
    # and merges as often as the indexer needs, at the same indexing rate.
    op.execute(
        "CREATE INDEX ix_message_search_terms ON message_search USING gin (terms) "
        "WITH (gin_pending_list_limit = 256)"
    )
    op.execute("ANALYZE message_search")


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("inboxes") as batch:
        batch.drop_column("prechat")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_fts("message_search_old", "terms"))
        op.execute(
            "INSERT INTO message_search_old(rowid, terms) SELECT rowid, terms FROM message_search"
        )
        op.execute("DROP TABLE message_search")
        op.execute("ALTER TABLE message_search_old RENAME TO message_search")
        return
    op.execute("ALTER TABLE message_search DROP COLUMN conversation_id")
    op.execute("ALTER INDEX ix_message_search_terms RESET (gin_pending_list_limit)")
