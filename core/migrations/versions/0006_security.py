"""login attempts, lockouts and teams (placeholder until filled)

Revision ID: 0006_security
Revises: 0005_imports
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_security"
down_revision = "0005_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
