"""SLA policies edited by admins (placeholder until filled)

Revision ID: 0004_sla
Revises: 0003_tickets
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_sla"
down_revision = "0003_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
