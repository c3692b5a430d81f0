"""Least privilege, checked: refuse a connection whose role could do more than read.

The read-only transaction stops ordinary writes, but a superuser (or a role with file or
program privileges) can still reach the server's files and other sessions from inside one,
and any hole in the parser layer becomes that role's power. So when a connection opens, the
role's own privileges are read from the server and compared with an allow-list of what a
reader needs; anything more is refused with the SQL to create a read-only role, unless an
administrator opted in with ``AW_SQL_ALLOW_PRIVILEGED``.

Each function takes a raw DBAPI connection (called from the engine's connect event, before
the connection is used) and returns the privileges found that a reader must not have.
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import PrivilegedConnection

# Predefined PostgreSQL roles a reader may belong to; membership in any other pg_* role
# (pg_read_server_files, pg_write_all_data, pg_signal_backend, ...) is refused.
_PG_READER_ROLES = {
    "pg_read_all_data", "pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables", "pg_monitor",
    "pg_database_owner",
}
_PG_ROLE_FLAGS = (
    ("rolsuper", "superuser"), ("rolcreaterole", "can create roles"), ("rolcreatedb", "can create databases"),
    ("rolreplication", "replication"), ("rolbypassrls", "bypasses row-level security"),
)
# MySQL/MariaDB privileges a reader may hold; anything else (FILE, SUPER, PROCESS, INSERT, ...) is refused.
_MYSQL_READER_PRIVILEGES = {"USAGE", "SELECT", "SHOW VIEW"}
_GRANT_LINE = re.compile(r"^GRANT\s+(?P<privileges>.+?)\s+ON\s+(?P<object>.+?)\s+TO\s+", re.IGNORECASE | re.DOTALL)
_ROLE_GRANT = re.compile(r"^GRANT\s+(?P<roles>(?:`[^`]+`(?:@`[^`]*`)?\s*,?\s*)+)\s+TO\s+", re.IGNORECASE)
_COLUMN_LIST = re.compile(r"\([^)]*\)")


def postgres_excess_privileges(dbapi_connection: Any) -> list[str]:
    """What the current PostgreSQL role can do beyond reading, in words; empty for a reader."""
    flags = ", ".join(f"r.{column}" for column, _ in _PG_ROLE_FLAGS)
    found: list[str] = []
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SELECT {flags} FROM pg_catalog.pg_roles r WHERE r.rolname = current_user")
        row = cursor.fetchone() or (False,) * len(_PG_ROLE_FLAGS)
        if row[0]:  # a superuser can do everything; the rest of the list would only be noise
            dbapi_connection.rollback()
            return ["superuser"]
        found += [label for (_, label), value in zip(_PG_ROLE_FLAGS, row) if value]
        cursor.execute(
            "SELECT b.rolname FROM pg_catalog.pg_roles b WHERE b.rolname LIKE 'pg\\_%%' "
            "AND b.rolname <> ALL(%s) AND pg_catalog.pg_has_role(current_user, b.oid, 'MEMBER') ORDER BY 1",
            (sorted(_PG_READER_ROLES),),
        )
        found += [f"member of {name}" for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%' "
            "AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') ORDER BY 1 LIMIT 4"
        )
        tables = [name for (name,) in cursor.fetchall()]
    if tables:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        found.append(f"can write to tables ({shown})")
    dbapi_connection.rollback()
    return found


def mysql_excess_privileges(dbapi_connection: Any) -> list[str]:
    """What the current MySQL/MariaDB account (and the roles granted to it) can do beyond reading."""
    found: list[str] = []
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SHOW GRANTS")
        lines = [row[0] for row in cursor.fetchall()]
        roles: list[str] = []
        for line in lines:
            role_grant = _ROLE_GRANT.match(line)
            if role_grant and " ON " not in line.upper():
                roles += re.findall(r"`[^`]+`(?:@`[^`]*`)?", role_grant.group("roles"))
        for role in roles[:20]:  # one level of roles: what the account gets through them
            cursor.execute(f"SHOW GRANTS FOR {role}")
            lines += [row[0] for row in cursor.fetchall()]
    for line in lines:
        grant = _GRANT_LINE.match(line)
        if not grant:
            continue
        privileges = [p.strip().upper() for p in _COLUMN_LIST.sub("", grant.group("privileges")).split(",")]
        extra = [p for p in privileges if p and p not in _MYSQL_READER_PRIVILEGES]
        target = grant.group("object").strip()
        found += [f"{p} on {target}" for p in extra if f"{p} on {target}" not in found]
        if re.search(r"WITH\s+GRANT\s+OPTION", line, re.IGNORECASE) and "GRANT OPTION" not in found:
            found.append("GRANT OPTION")
    return found


def read_only_role_sql(dialect: str, database: str) -> str:
    """The SQL an administrator runs to create a role the workbench accepts."""
    database = database or "your_database"
    if dialect == "postgres":
        return (
            "CREATE ROLE workbench_ro LOGIN PASSWORD '...' NOSUPERUSER NOCREATEDB NOCREATEROLE; "
            "ALTER ROLE workbench_ro SET default_transaction_read_only = on; "
            f'GRANT CONNECT ON DATABASE "{database}" TO workbench_ro; '
            "GRANT USAGE ON SCHEMA public TO workbench_ro; "
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO workbench_ro;"
        )
    return (
        "CREATE USER 'workbench_ro'@'%' IDENTIFIED BY '...'; "
        f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO 'workbench_ro'@'%';"
    )


def refuse_privileged(dialect: str, user: str, database: str, found: list[str]) -> None:
    """Raise ``PrivilegedConnection`` when ``found`` lists anything."""
    if not found:
        return
    shown = "; ".join(found[:8]) + ("; ..." if len(found) > 8 else "")
    raise PrivilegedConnection(
        f"The database user {user or '(default)'} can do more than read ({shown}), so the workbench will not use it: "
        f"one mistake in a query check would then be that user's power. Connect as a user that can only read, "
        f"for example: {read_only_role_sql(dialect, database)} "
        "An administrator can allow privileged connections with AW_SQL_ALLOW_PRIVILEGED=true."
    )
