"""ticket_links, supervisor_alerts, alert_deliveries: the customer's ticket page and alerts

Revision ID: 0016_alerts
Revises: 0013_email
Create Date: 2026-12-03

``ticket_links`` holds the version of each ticket's signed page link (revoking bumps it, so
every link signed before stops working). ``supervisor_alerts`` is what supervisors were told
(urgent complaints and hazards, SLA warnings and breaches), once per ticket and reason;
``alert_deliveries`` is the durable outbox of those alerts (one row per email address or
WeCom group robot).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_alerts"
down_revision = "0018_api_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_links",
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
    )
    op.create_table(
        "supervisor_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
    )
    op.create_index("ix_supervisor_alerts_created_at", "supervisor_alerts", ["created_at"])
    op.create_index("ix_supervisor_alerts_key", "supervisor_alerts", ["key"])
    op.create_index("ix_supervisor_alerts_routed_at", "supervisor_alerts", ["routed_at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey("supervisor_alerts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("alert_id", "target", "address"),
    )
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_due", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_supervisor_alerts_routed_at", table_name="supervisor_alerts")
    op.drop_index("ix_supervisor_alerts_key", table_name="supervisor_alerts")
    op.drop_index("ix_supervisor_alerts_created_at", table_name="supervisor_alerts")
    op.drop_table("supervisor_alerts")
    op.drop_table("ticket_links")
