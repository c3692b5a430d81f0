"""The analyst's semantic model additions per connection, versioned (issue 13.1).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('semantic_models',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('connection_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'version', name='uq_semantic_model_version')
    )
    op.create_index(op.f('ix_semantic_models_workspace'), 'semantic_models', ['workspace'], unique=False)
    op.create_index(op.f('ix_semantic_models_connection_id'), 'semantic_models', ['connection_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_semantic_models_connection_id'), table_name='semantic_models')
    op.drop_index(op.f('ix_semantic_models_workspace'), table_name='semantic_models')
    op.drop_table('semantic_models')
