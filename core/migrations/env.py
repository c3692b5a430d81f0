"""Alembic's entry point: migrate the connection the workbench hands over, to its own tables."""

from alembic import context

from core.metadata import metadata_schema

connection = context.config.attributes["connection"]
# Batch mode lets SQLite, which cannot ALTER most things, take the same revisions as servers.
context.configure(connection=connection, target_metadata=metadata_schema, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
