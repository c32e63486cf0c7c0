"""import batches for customers, tickets and KB (placeholder until filled)

Revision ID: 0005_imports
Revises: 0004_sla
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_imports"
down_revision = "0004_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
