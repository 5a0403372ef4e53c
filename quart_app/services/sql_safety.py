"""Decides whether SQL is one read-only statement, before it goes near the database.

It judges PostgreSQL's own parse tree (libpg_query through pglast), so comments,
dollar quotes and quoted names mean what they mean to the server. The second guard:
the first is the read-only role and transaction user SQL runs in (storage/sandbox.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from pglast import parser

from ..errors import InvalidRequest, SQLError, UnsafeSQL

StatementKind = Literal["query", "explain"]

# Functions that act outside the statement's own read, named as PostgreSQL resolves
# them (the last part of a qualified name): on other sessions, the server's files,
# settings, WAL and replication, large objects, locks and notifications, statistics,
# the catalog; and those that run SQL given to them as a string, which no check of
# the statement's text can see into. The database role refuses most of these by
# itself; docs/reliability.md ("What the sandbox is") says which layer stops what.
FORBIDDEN_FUNCTIONS: Final = frozenset(
    {
        # other sessions
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_log_backend_memory_contexts",
        # settings and the server
        "set_config",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_import_system_collations",
        # server files
        "pg_stat_file",
        "pg_current_logfile",
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "pg_file_sync",
        # WAL, backups and replication
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_logical_emit_message",
        "pg_drop_replication_slot",
        "pg_replication_slot_advance",
        # large objects
        "lo_import",
        "lo_export",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "lo_put",
        "lo_from_bytea",
        "lo_open",
        "lo_truncate",
        "lo_truncate64",
        "lowrite",
        # notifications (the service's own channels are NOTIFY channels)
        "pg_notify",
        # sequences, transaction ids and snapshots (a write even in a read-only transaction)
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
        "pg_export_snapshot",
        # other sessions' statements (every user of the service is one role)
        "pg_stat_get_activity",
        "pg_prepared_statement",
        # SQL given as a string
        "ts_stat",
        "ts_rewrite",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "table_to_xml",
        "table_to_xmlschema",
        "table_to_xml_and_xmlschema",
        "schema_to_xml",
        "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema",
        "database_to_xml",
        "database_to_xmlschema",
        "database_to_xml_and_xmlschema",
        "crosstab",
        "crosstab2",
        "crosstab3",
        "crosstab4",
        "connectby",
    }
)
# Families, by the start of their names.
FORBIDDEN_PREFIXES: Final = (
    "pg_read_",  # pg_read_file, pg_read_binary_file
    "pg_ls_",  # pg_ls_dir, pg_ls_waldir, pg_ls_tmpdir, ...
    "pg_advisory_",  # locks held past the statement, on keys the service uses
    "pg_try_advisory_",
    "pg_stat_reset",
    "pg_stat_statements_reset",
    "pg_replication_origin_",
    "pg_create_",  # replication slots, restore points
    "pg_copy_",  # replication slots
    "pg_logical_slot_",
    "pg_wal_replay_",
    "pg_stat_get_backend_",
    "dblink",
)

_MAX_DEPTH: Final = 3_000  # levels of the parse tree; none written by hand or by a model come near
_LONG_SQL: Final = 10_000  # characters; a check of this many takes about a millisecond
_WRITES: Final = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


@dataclass(frozen=True, slots=True)
class CheckedSQL:
    """A statement that passed the checks: its text without the trailing ``;``, and its kind.

    ``query`` statements can be planned with ``EXPLAIN``; ``explain`` ones cannot.
    """

    sql: str
    kind: StatementKind


def check_sql(sql: str) -> CheckedSQL:
    """The statement, if ``sql`` is exactly one read-only statement; else ``UnsafeSQL``.

    SQL that PostgreSQL's grammar rejects raises ``SQLError`` with SQLSTATE 42601,
    as the database would answer it.
    """
    if not sql.strip():
        raise InvalidRequest("sql must not be empty")
    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except parser.ParseError as error:
        message = str(error.args[0])
        if message.startswith(("memory exhausted", "stack depth limit exceeded")):
            raise UnsafeSQL("the statement is nested too deeply to check") from None
        raise SQLError(message, sqlstate="42601") from None
    except RecursionError:
        raise UnsafeSQL("the statement is nested too deeply to check") from None
    statements = tree.get("stmts", [])
    if not statements:
        raise InvalidRequest("sql holds only comments")
    if len(statements) > 1:
        raise UnsafeSQL(f"only one statement may run, found {len(statements)}")
    statement = statements[0]
    kind = _kind(statement["stmt"])
    _check_nodes(statement["stmt"])
    return CheckedSQL(_text(sql, statement), kind)


async def check_sql_async(sql: str) -> CheckedSQL:
    """``check_sql``, in a worker thread when ``sql`` is long enough to hold up the event loop."""
    if len(sql) > _LONG_SQL:
        return await asyncio.to_thread(check_sql, sql)
    return check_sql(sql)


def _kind(node: dict[str, Any]) -> StatementKind:
    ((name, body),) = node.items()
    if name == "SelectStmt":
        return "query"
    if name == "ExplainStmt":
        options = {_option(option) for option in body.get("options", [])}
        if options & {"analyze", "analyse"}:
            raise UnsafeSQL("EXPLAIN ANALYZE runs the statement and is not allowed")
        if "SelectStmt" not in body["query"]:
            raise UnsafeSQL("EXPLAIN is allowed only for SELECT, WITH, VALUES and TABLE statements")
        return "explain"
    what = "modifies data and is" if name in _WRITES else "statements are"
    raise UnsafeSQL(
        f"{_statement_name(name)} {what} not allowed: only one read-only statement "
        "(SELECT, WITH … SELECT, VALUES, TABLE, or EXPLAIN of those) may run"
    )


def _option(option: dict[str, Any]) -> str:
    return str(option.get("DefElem", {}).get("defname", ""))


_NAMES: Final = {
    "VariableSetStmt": "SET",
    "VariableShowStmt": "SHOW",
    "TransactionStmt": "transaction control",
    "CreateTableAsStmt": "CREATE TABLE AS",
    "CopyStmt": "COPY",
    "DoStmt": "DO",
    "CallStmt": "CALL",
}


def _statement_name(node_name: str) -> str:
    if node_name in _NAMES:
        return _NAMES[node_name]
    words = node_name.removesuffix("Stmt")
    return "".join(f" {c}" if c.isupper() else c for c in words).strip().upper()


def _check_nodes(root: dict[str, Any]) -> None:
    for name, body in _walk(root):
        if name in _WRITES:
            raise UnsafeSQL(
                f"{_statement_name(name)} modifies data and is not allowed, not even inside WITH"
            )
        if name == "SelectStmt":
            if "intoClause" in body:
                raise UnsafeSQL("SELECT … INTO creates a table and is not allowed")
            if "lockingClause" in body:
                raise UnsafeSQL("row locking (FOR UPDATE / FOR SHARE) is not allowed")
        elif name.endswith("Stmt") and name != "ExplainStmt":
            raise UnsafeSQL(f"{_statement_name(name)} is not allowed inside a query")
        elif name == "ParamRef":
            raise SQLError(
                "the statement has parameters ($1, …), and none can be given: "
                "write the values into the statement",
                sqlstate="42P02",
            )
        elif name == "FuncCall":
            _check_function(body["funcname"][-1]["String"]["sval"])
        elif name == "ColumnRef":
            # Attribute notation calls a function too: (x).f is f(x).
            last = body["fields"][-1]
            if "String" in last:
                _check_function(last["String"]["sval"], called=False)
        elif name == "A_Indirection":
            for part in body.get("indirection", []):
                if "String" in part:
                    _check_function(part["String"]["sval"], called=False)


def _check_function(function: str, *, called: bool = True) -> None:
    if function in FORBIDDEN_FUNCTIONS or function.startswith(FORBIDDEN_PREFIXES):
        what = f"{function}()" if called else function
        raise UnsafeSQL(f"the function {what} is not allowed")


def _walk(root: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every node of the parse tree, as (type, fields), without recursion."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise UnsafeSQL("the statement is nested too deeply to check")
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, body),) = value.items()
                if name[:1].isupper() and isinstance(body, dict):
                    yield name, body
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _text(sql: str, statement: dict[str, Any]) -> str:
    # Locations are byte offsets into the UTF-8 text; a length of 0 means "to the end".
    raw = sql.encode()
    start = statement.get("stmt_location", 0)
    length = statement.get("stmt_len", 0)
    text = (raw[start : start + length] if length else raw[start:]).decode().strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text
