"""Drop the ``jobs`` table: no code ever wrote or read it, and background jobs get a schema of their
own when they are designed. Nothing is lost: every release left it empty.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f('ix_jobs_workspace'), table_name='jobs')
    op.drop_table('jobs')


def downgrade() -> None:
    # The table exactly as the baseline made it, so a backup restored at 0002 or 0001 loads into it.
    op.create_table('jobs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.Column('updated_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_jobs_workspace'), 'jobs', ['workspace'], unique=False)
