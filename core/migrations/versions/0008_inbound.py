"""messages.answered and messages.no_reply: the one inbound path's marks

Revision ID: 0008_inbound
Revises: 0007_workers
Create Date: 2026-12-03

``answered`` replaces the JSON mark ``meta.answered`` (one indexed UPDATE instead of a read
and a JSON rewrite per turn); ``no_reply`` says why a message may never be answered (an
auto-reply, a bounce...), so recovery and every other path obey the same rule.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_inbound"
down_revision = "0007_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("messages", sa.Column("no_reply", sa.String(length=32), nullable=True))
    # Messages stored before this revision are settled: their turns ran (or were given up
    # on), so recovery must not pick any of them up again.
    op.execute("UPDATE messages SET answered = true WHERE direction = 'in'")


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("no_reply")
        batch.drop_column("answered")
