"""Schema migrations of the metadata store (Alembic), applied at start under a lock.

One revision per schema change, in ``versions/``. ``upgrade(engine)`` brings a database to the
newest revision the code knows: a fresh database gets every revision; a data dir made before
migrations existed (tables, no ``alembic_version``) is stamped at the baseline first, so
nothing is re-created or lost; a database at a revision the code does not know (made by a newer
release) is refused, because running older code on it could lose what the newer schema holds.

Two processes starting together (the app, the endpoint, a CLI) take a lock first: a file lock
next to a SQLite database, an advisory lock on PostgreSQL, a named lock on MySQL/MariaDB.
"""

from core.migrations.runner import SchemaReport, head_revision, schema_report, upgrade

__all__ = ["SchemaReport", "head_revision", "schema_report", "upgrade"]
