"""work orders: products on the customer, ticket types with versioned fields

Revision ID: 0017_workorders
Revises: 0013_email
Create Date: 2026-12-03

A customer owns products; the warranty end of the whole unit and of longer-lived parts is
computed from ``[workorders] warranty_rules`` when a product is written, so the bot and the
reports read a date instead of re-applying rules that may have changed since the purchase.

Ticket types (咨询, 投诉, 报修, ...) are versioned: a ticket points at the version it was typed
with (``tickets.type_id``) and keeps its fields' values in ``ticket_field_values``. The bot
keeps a form it is filling with a customer (a repair request) in ``bot_forms``. Engineers
(skills, regions, daily capacity) go on ``visits`` with a window, a status and parts used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_workorders"
down_revision = "0016_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("purchase_channel", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("order_number", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("invoice", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("part_warranty", sa.JSON(), nullable=False),
        sa.Column("install_address", sa.Text(), nullable=False, server_default=""),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("serial"),
    )
    op.create_index("ix_products_contact_id", "products", ["contact_id"])
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key", "version"),
    )
    op.add_column("tickets", sa.Column("type_id", sa.Integer(), nullable=True))
    op.create_index("ix_tickets_type_id", "tickets", ["type_id"])
    op.create_table(
        "ticket_field_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ticket_id", "key"),
    )
    op.create_table(
        "bot_forms",
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("type_key", sa.String(length=32), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("asking", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "engineers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agent_id"),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("engineer_id", sa.Integer(), sa.ForeignKey("engineers.id"), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.Text(), nullable=False, server_default=""),
        sa.Column("district", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("parts_cost_cents", sa.Integer(), nullable=False),
        sa.Column("in_warranty", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_visits_ticket_id", "visits", ["ticket_id"])
    op.create_index("ix_visits_engineer_start", "visits", ["engineer_id", "window_start"])


def downgrade() -> None:
    op.drop_index("ix_visits_engineer_start", table_name="visits")
    op.drop_index("ix_visits_ticket_id", table_name="visits")
    op.drop_table("visits")
    op.drop_table("engineers")
    op.drop_table("bot_forms")
    op.drop_table("ticket_field_values")
    op.drop_index("ix_tickets_type_id", table_name="tickets")
    op.drop_column("tickets", "type_id")
    op.drop_table("ticket_types")
    op.drop_index("ix_products_contact_id", table_name="products")
    op.drop_table("products")
