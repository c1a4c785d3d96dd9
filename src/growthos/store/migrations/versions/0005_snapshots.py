"""Snapshots: immutable KPI snapshots of one complete period (payload as JSON).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint("period_kind IN ('day', 'week', 'month', 'quarter')", name="ck_snapshots_period_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.UniqueConstraint("period_kind", "period_start", "taken_at",
                            name="uq_snapshots_period_kind_period_start_taken_at"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_snapshots_taken_at", "snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_snapshots_taken_at", table_name="snapshots")
    op.drop_table("snapshots")
