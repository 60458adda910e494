"""ACD history: interval statistics per service, agent and group; queue events keep reason, talk and hold.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = (
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_short",
    "turned_away",
    "voicemail",
    "called_back",
    "handled",
)
_SECONDS = ("talk", "hold", "acw", "ready_time", "not_ready_time", "reserved_time", "busy_time", "acw_time")
_RATIOS = ("service_level", "asa", "aht", "abandonment_rate", "occupancy")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "interval_stat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("service", "agent", "group", name="statscope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in _SECONDS),
        *(sa.Column(name, sa.Float(), nullable=True) for name in _RATIOS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interval_stat")),
        sa.UniqueConstraint(
            "scope", "name", "length", "start", name=op.f("uq_interval_stat_scope_name_length_start")
        ),
    )
    op.create_index(op.f("ix_interval_stat_name"), "interval_stat", ["name"], unique=False)
    op.create_index(op.f("ix_interval_stat_start"), "interval_stat", ["start"], unique=False)
    with op.batch_alter_table("queue_event") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("talk", sa.Float(), nullable=True))
        batch.add_column(sa.Column("hold", sa.Float(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("queue_event") as batch:
        batch.drop_column("hold")
        batch.drop_column("talk")
        batch.drop_column("reason")
    op.drop_index(op.f("ix_interval_stat_start"), table_name="interval_stat")
    op.drop_index(op.f("ix_interval_stat_name"), table_name="interval_stat")
    op.drop_table("interval_stat")
