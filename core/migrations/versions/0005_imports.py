"""import batches for customers, tickets and KB: what each batch created or changed

Revision ID: 0005_imports
Revises: 0004_sla
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_imports"
down_revision = "0004_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as b:
        b.add_column(sa.Column("company", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "import_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "batch_id",
            sa.Integer(),
            sa.ForeignKey("import_batches.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.String(length=128), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
    )
    op.create_index("ix_import_items_batch_id", "import_items", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_import_items_batch_id", table_name="import_items")
    op.drop_table("import_items")
    op.drop_table("import_batches")
    with op.batch_alter_table("contacts", schema=None) as b:
        b.drop_column("note")
        b.drop_column("company")
