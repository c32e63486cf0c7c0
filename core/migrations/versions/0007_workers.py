"""leases and outbox fields for several workers (placeholder until filled)

Revision ID: 0007_workers
Revises: 0006_security
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_workers"
down_revision = "0006_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
