"""tickets: lifecycle fields, audit trail, SLA breaches, agent skills/status, feedback, canned replies

Revision ID: 0003_tickets
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_tickets"
down_revision = "0003_kb"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as b:
        b.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=False, server_default="5"))
        b.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="offline")
        )
        b.add_column(sa.Column("last_assigned_at", TS, nullable=True))
    with op.batch_alter_table("tickets", schema=None) as b:
        b.add_column(sa.Column("channel", sa.String(length=32), nullable=False, server_default=""))
        b.add_column(
            sa.Column("tier", sa.String(length=16), nullable=False, server_default="normal")
        )
        b.add_column(
            sa.Column("sentiment", sa.String(length=16), nullable=False, server_default="neutral")
        )
        b.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("first_response_due", TS, nullable=True))
        b.add_column(sa.Column("resolution_due", TS, nullable=True))
        b.add_column(sa.Column("first_response_at", TS, nullable=True))
        b.add_column(sa.Column("pending_since", TS, nullable=True))
        b.add_column(sa.Column("warned", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        b.add_column(
            sa.Column("survey_state", sa.String(length=16), nullable=False, server_default="")
        )
        b.add_column(sa.Column("csat", sa.Integer(), nullable=True))
        b.add_column(sa.Column("closed_at", TS, nullable=True))
        b.create_foreign_key("fk_tickets_assignee_id_agents", "agents", ["assignee_id"], ["id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("breached_at", TS, nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "kind"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "kind"),
    )
    op.create_index("ix_feedback_conversation_id", "feedback", ["conversation_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcut", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortcut"),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_index("ix_feedback_conversation_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("sla_breaches")
    op.drop_index("ix_ticket_events_ticket_id", table_name="ticket_events")
    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets", schema=None) as b:
        b.drop_constraint("fk_tickets_assignee_id_agents", type_="foreignkey")
        for col in (
            "closed_at",
            "csat",
            "survey_state",
            "merged_into",
            "warned",
            "pending_since",
            "first_response_at",
            "resolution_due",
            "first_response_due",
            "assignee_id",
            "skills",
            "sentiment",
            "tier",
            "channel",
        ):
            b.drop_column(col)
    with op.batch_alter_table("agents", schema=None) as b:
        for col in ("last_assigned_at", "status", "max_concurrent", "skills"):
            b.drop_column(col)
