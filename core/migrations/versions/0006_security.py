"""login attempts, lockouts and teams

Revision ID: 0006_security
Revises: 0005_imports
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_security"
down_revision = "0005_imports"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("agents", schema=None) as b:
        b.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        b.create_foreign_key("fk_agents_team_id_teams", "teams", ["team_id"], ["id"])
    with op.batch_alter_table("inboxes", schema=None) as b:
        b.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        b.create_foreign_key("fk_inboxes_team_id_teams", "teams", ["team_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("inboxes", schema=None) as b:
        b.drop_constraint("fk_inboxes_team_id_teams", type_="foreignkey")
        b.drop_column("team_id")
    with op.batch_alter_table("agents", schema=None) as b:
        b.drop_constraint("fk_agents_team_id_teams", type_="foreignkey")
        b.drop_column("session_version")
        b.drop_column("team_id")
    op.drop_table("login_throttle")
    op.drop_table("teams")
