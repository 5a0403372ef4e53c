"""The database role user SQL runs as: made by the service on the embedded server, checked
at start on ``DATABASE_URL``.

The role is the boundary of the sandbox; the statement check (services/sql_safety.py)
is the second guard. What each revocation below stops, and why it is there, is in
docs/reliability.md ("What the sandbox is").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import asyncpg

log = logging.getLogger(__name__)

READER_ROLE: Final = "quart_app_reader"
HISTORY_DATABASE: Final = "quart_app"

# Functions PUBLIC may call by default that reach outside one user's own read: other
# sessions of the same role (every user of the service shares it), NOTIFY channels,
# locks that outlive the statement, WAL, the catalog, large objects. Revoked from PUBLIC in the database user SQL runs in (function
# privileges are per database). pg_advisory_unlock_all stays: the pool's reset uses it;
# set_config stays: asyncpg's type introspection uses it. What set_config can change is
# harmless by construction: temp_file_limit only a superuser may set, the statement's own
# limits are SET LOCAL before it runs and its time is also enforced by the service, and
# every setting is reset (RESET ALL) when the connection goes back to the pool.
REVOKED_FUNCTIONS: Final = (
    "pg_cancel_backend(integer)",
    "pg_terminate_backend(integer, bigint)",
    "pg_notify(text, text)",
    "pg_advisory_lock(bigint)",
    "pg_advisory_lock(integer, integer)",
    "pg_advisory_lock_shared(bigint)",
    "pg_advisory_lock_shared(integer, integer)",
    "pg_advisory_xact_lock(bigint)",
    "pg_advisory_xact_lock(integer, integer)",
    "pg_advisory_xact_lock_shared(bigint)",
    "pg_advisory_xact_lock_shared(integer, integer)",
    "pg_try_advisory_lock(bigint)",
    "pg_try_advisory_lock(integer, integer)",
    "pg_try_advisory_lock_shared(bigint)",
    "pg_try_advisory_lock_shared(integer, integer)",
    "pg_try_advisory_xact_lock(bigint)",
    "pg_try_advisory_xact_lock(integer, integer)",
    "pg_try_advisory_xact_lock_shared(bigint)",
    "pg_try_advisory_xact_lock_shared(integer, integer)",
    "pg_logical_emit_message(boolean, text, text)",
    "pg_logical_emit_message(boolean, text, bytea)",
    "pg_import_system_collations(regnamespace)",
    "pg_create_physical_replication_slot(name, boolean, boolean)",
    "pg_create_logical_replication_slot(name, name, boolean, boolean)",
    "pg_stat_get_activity(integer)",
    "pg_prepared_statement()",
    "txid_current()",
    "pg_current_xact_id()",
    "pg_export_snapshot()",
    "lo_create(oid)",
    "lo_creat(integer)",
    "lo_from_bytea(oid, bytea)",
    "lo_put(oid, bigint, bytea)",
    "lo_unlink(oid)",
)
# Functions by the start of their names, for families that differ between versions:
# other sessions' statements, start times, addresses and waits.
REVOKED_FUNCTION_PREFIXES: Final = ("pg_stat_get_backend_",)
# Views showing other sessions' statements: every user of the service is the same role,
# and a pooled connection keeps the statements others prepared on it.
REVOKED_VIEWS: Final = ("pg_stat_activity", "pg_prepared_statements")
# Predefined roles a reader must not hold (through any chain of membership).
PRIVILEGED_ROLES: Final = (
    "pg_write_all_data",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_signal_backend",
    "pg_checkpoint",
    "pg_monitor",
    "pg_read_all_settings",
    "pg_read_all_stats",
    "pg_stat_scan_tables",
    "pg_create_subscription",
)


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    """Caps set on the reader role itself, so that they hold for every statement it runs;
    the defaults are the settings' (``Config``)."""

    statement_timeout_ms: int = 600_000
    temp_file_limit_kb: int = 1024 * 1024
    work_mem_kb: int = 64 * 1024


async def prepare_reader(
    admin: asyncpg.Connection, *, role: str, schemas: tuple[str, ...], limits: ReaderLimits
) -> None:
    """Create or bring up to date the reader ``role`` in ``admin``'s database (idempotent).

    ``admin`` is a superuser connection to the database user SQL runs in. The role may
    read ``schemas`` and nothing else of this database, and connect to no other.
    """
    database = await admin.fetchval("SELECT current_database()")
    exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
    verb = "ALTER" if exists else "CREATE"
    role = _name(role)
    statements = [
        f"{verb} ROLE {role} {attributes}",
        # temp_file_limit can only be set by a superuser: set here, the reader cannot undo it.
        f"ALTER ROLE {role} SET temp_file_limit = {int(limits.temp_file_limit_kb)}",
        f"ALTER ROLE {role} SET work_mem = {int(limits.work_mem_kb)}",
        f"ALTER ROLE {role} SET statement_timeout = {int(limits.statement_timeout_ms)}",
        f"ALTER ROLE {role} SET idle_in_transaction_session_timeout = 60000",
        f"ALTER ROLE {role} SET default_transaction_read_only = on",
        f"REVOKE ALL ON DATABASE {_name(database)} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {_name(database)} TO {role}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    for schema in schemas:
        statements += [
            f"GRANT USAGE ON SCHEMA {_name(schema)} TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {_name(schema)} TO {role}",
            # Tables the owner adds later are readable too.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_name(schema)} GRANT SELECT ON TABLES TO {role}",
        ]
    statements += [f"REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC" for f in REVOKED_FUNCTIONS]
    families = await admin.fetch(
        "SELECT oid::regprocedure::text AS name FROM pg_proc"
        " WHERE proname::text LIKE ANY($1::text[]) ORDER BY 1",
        [prefix.replace("_", "\\_") + "%" for prefix in REVOKED_FUNCTION_PREFIXES],
    )
    statements += [f"REVOKE EXECUTE ON FUNCTION {row['name']} FROM PUBLIC" for row in families]
    statements += [f"REVOKE SELECT ON {view} FROM PUBLIC" for view in REVOKED_VIEWS]
    async with admin.transaction():
        for statement in statements:
            await admin.execute(statement)


async def close_database(admin: asyncpg.Connection, database: str) -> None:
    """Let no role but superusers and the owner connect to ``database`` (the history's)."""
    await admin.execute(f"REVOKE ALL ON DATABASE {_name(database)} FROM PUBLIC")


async def ensure_database(admin: asyncpg.Connection, database: str) -> None:
    """Create ``database`` on ``admin``'s server unless it exists."""
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
        try:
            await admin.execute(f"CREATE DATABASE {_name(database)}")
        except asyncpg.DuplicateDatabaseError:
            pass  # another process of the service made it meanwhile


SUPERUSER: Final = "is a superuser"  # as role_problems says it
_ATTRIBUTES: Final = (
    ("rolsuper", SUPERUSER),
    ("rolcreatedb", "can create databases"),
    ("rolcreaterole", "can create roles"),
    ("rolreplication", "can start replication"),
    ("rolbypassrls", "bypasses row-level security"),
)
_USER_SCHEMA: Final = "nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
# What a role may reach beyond reading: words, and a query naming (at most 3 of) what.
_REACH: Final = (
    (
        "is a member of",
        f"""
        SELECT rolname AS name FROM pg_roles
         WHERE rolname IN ({", ".join(f"'{role}'" for role in PRIVILEGED_ROLES)})
           AND pg_has_role(current_user, oid, 'MEMBER')
        """,
    ),
    (
        "can create schemas in database",
        "SELECT current_database() AS name"
        " WHERE has_database_privilege(current_database(), 'CREATE')",
    ),
    (
        "can create objects in schema",
        f"SELECT nspname AS name FROM pg_namespace WHERE {_USER_SCHEMA}"
        " AND has_schema_privilege(oid, 'CREATE')",
    ),
    (
        "can write to",
        f"""
        SELECT format('%I.%I', nspname, relname) AS name
          FROM pg_class JOIN pg_namespace ON pg_namespace.oid = relnamespace
         WHERE relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {_USER_SCHEMA}
           AND CASE WHEN relkind = 'S' THEN has_sequence_privilege(pg_class.oid, 'UPDATE')
                    ELSE has_table_privilege(pg_class.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
               END
        """,
    ),
)


async def role_problems(connection: asyncpg.Connection) -> list[str]:
    """What the connection's role could do beyond reading, in words; empty for a reader."""
    role = await connection.fetchrow("SELECT * FROM pg_roles WHERE rolname = current_user")
    if role is None:
        return ["its role is not in pg_roles"]
    problems = [words for attribute, words in _ATTRIBUTES if role[attribute]]
    if role["rolsuper"]:
        return problems  # everything below follows from it
    for words, query in _REACH:
        names = [row["name"] for row in await connection.fetch(f"{query} ORDER BY 1 LIMIT 3")]
        if names:
            problems.append(f"{words} {', '.join(names)}")
    return problems


async def reader_sql(connection: asyncpg.Connection) -> str:
    """The SQL, on one line, that makes a role that may only read this database."""
    database, schemas = await connection.fetchrow(
        f"""
        SELECT current_database(),
               coalesce(string_agg(quote_ident(nspname), ', ' ORDER BY nspname), 'public')
          FROM pg_namespace
         WHERE {_USER_SCHEMA}
           AND EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = pg_namespace.oid
                                                AND relkind IN ('r', 'p', 'v', 'm', 'f'))
        """
    )
    role = READER_ROLE
    if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        role = f"{READER_ROLE}_2"  # that name is taken, by the role just refused among others
    return (
        f"CREATE ROLE {role} LOGIN PASSWORD '…'; "
        f"GRANT CONNECT ON DATABASE {_name(database)} TO {role}; "
        f"GRANT USAGE ON SCHEMA {schemas} TO {role}; "
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schemas} TO {role}; "
        f"ALTER ROLE {role} SET temp_file_limit = '1GB'"
    )


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
