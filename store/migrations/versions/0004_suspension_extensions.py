"""Suspension extensions: which suspension moved which subscription's end,
and by how many days, so "continue subscriptions" happens once and can be
taken back.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suspension_extensions",
        sa.Column("suspension_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["suspension_id"],
            ["suspensions.id"],
            name=op.f("fk_suspension_extensions_suspension_id_suspensions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_suspension_extensions_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "suspension_id", "subscription_id", name=op.f("pk_suspension_extensions")
        ),
    )
    with op.batch_alter_table("suspension_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suspension_extensions_subscription_id"),
            ["subscription_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("suspension_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suspension_extensions_subscription_id"))
    op.drop_table("suspension_extensions")
