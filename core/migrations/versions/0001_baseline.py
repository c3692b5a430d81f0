"""Baseline: the metadata schema of the last release before migrations (1264c0d).

Data dirs made by that release have these tables and no alembic_version; they are stamped
at this revision, not re-created.

Revision ID: 0001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversations',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.Column('updated_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace', 'external_id', name='uq_conversation_external_id')
    )
    op.create_index(op.f('ix_conversations_workspace'), 'conversations', ['workspace'], unique=False)
    op.create_table('index_state',
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('workspace')
    )
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
    op.create_table('query_history',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('connection_id', sa.String(length=36), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('sql', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=True),
        sa.Column('elapsed', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('feedback', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_query_history_workspace'), 'query_history', ['workspace'], unique=False)
    op.create_table('sql_connections',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('secret_ref', sa.String(length=128), nullable=False),
        sa.Column('is_default', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace', 'name', name='uq_connection_name')
    )
    op.create_index(op.f('ix_sql_connections_workspace'), 'sql_connections', ['workspace'], unique=False)
    op.create_table('training_items',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('connection_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('parameters', sa.Text(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_training_items_connection_id'), 'training_items', ['connection_id'], unique=False)
    op.create_index(op.f('ix_training_items_workspace'), 'training_items', ['workspace'], unique=False)
    op.create_table('workspaces',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('name')
    )
    op.create_table('chat_messages',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('conversation_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('feedback', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_chat_messages_conversation_id'), 'chat_messages', ['conversation_id'], unique=False)
    op.create_table('documents',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('filename', sa.Text(), nullable=False),
        sa.Column('doc_type', sa.String(length=32), nullable=False),
        sa.Column('tags', sa.Text(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('chunk_count', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('chunk_settings', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.Column('updated_at', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['workspace'], ['workspaces.name'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace', 'content_hash', name='uq_document_hash')
    )
    op.create_index(op.f('ix_documents_workspace'), 'documents', ['workspace'], unique=False)
    op.create_table('chunks',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('document_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('page', sa.Integer(), nullable=True),
        sa.Column('heading', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('token_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_chunks_document_id'), 'chunks', ['document_id'], unique=False)
    op.create_index(op.f('ix_chunks_workspace'), 'chunks', ['workspace'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("The baseline cannot be downgraded: restore a backup instead.")
