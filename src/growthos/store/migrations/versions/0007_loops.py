"""Growth loops: definitions saved through the API, and the system-action ledger with every attempt.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loop_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loop_definitions"),
        sa.UniqueConstraint("name", name="uq_loop_definitions_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "loop_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_key", sa.String(512), nullable=False),
        sa.Column("loop", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')", name="ck_loop_actions_status"),
        sa.PrimaryKeyConstraint("id", name="pk_loop_actions"),
        sa.UniqueConstraint("action_key", name="uq_loop_actions_action_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loop_actions_status_next_attempt_at", "loop_actions", ["status", "next_attempt_at"])
    op.create_index("ix_loop_actions_loop_created_at", "loop_actions", ["loop", "created_at"])
    op.create_table(
        "loop_action_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('delivered', 'retry', 'failed', 'unconfirmed')",
                           name="ck_loop_action_attempts_outcome"),
        sa.ForeignKeyConstraint(["action_id"], ["loop_actions.id"],
                                name="fk_loop_action_attempts_action_id_loop_actions", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_loop_action_attempts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loop_action_attempts_action_id", "loop_action_attempts", ["action_id"])


def downgrade() -> None:
    op.drop_index("ix_loop_action_attempts_action_id", table_name="loop_action_attempts")
    op.drop_table("loop_action_attempts")
    op.drop_index("ix_loop_actions_loop_created_at", table_name="loop_actions")
    op.drop_index("ix_loop_actions_status_next_attempt_at", table_name="loop_actions")
    op.drop_table("loop_actions")
    op.drop_table("loop_definitions")
