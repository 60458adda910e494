"""ACD supervisor alerts: a service's live service level crossing its threshold, stored for reports.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "service_level_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("below", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_level_alert")),
    )
    op.create_index(op.f("ix_service_level_alert_service"), "service_level_alert", ["service"], unique=False)
    op.create_index(op.f("ix_service_level_alert_at"), "service_level_alert", ["at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index(op.f("ix_service_level_alert_at"), table_name="service_level_alert")
    op.drop_index(op.f("ix_service_level_alert_service"), table_name="service_level_alert")
    op.drop_table("service_level_alert")
