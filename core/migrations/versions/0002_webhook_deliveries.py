"""Webhook delivery ids, so a replayed or redelivered call is not answered twice after a restart.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_deliveries',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhook_deliveries_expires_at'), 'webhook_deliveries', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_expires_at"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
