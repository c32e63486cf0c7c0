"""learning loop: questions the console's learning page has dealt with

Revision ID: 0019_learning
Revises: 0017_workorders
Create Date: 2026-12-03

The learning page (``/agent/learning``) lists the customer questions the bot missed or got a
thumbs-down on, grouped by meaning. A question an agent added to an entry as a similar
question, started a draft from, or dismissed is marked here and leaves the list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_learning"
down_revision = "0017_workorders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=128), nullable=True),
        sa.Column(
            "agent_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("message_id"),
    )


def downgrade() -> None:
    op.drop_table("learning_marks")
