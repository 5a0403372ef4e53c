"""Decides whether SQL is one read-only statement, before it goes near the database.

This is the first of two guards: statements also run inside a READ ONLY
transaction with a statement timeout, so anything that slips past this parser
still cannot change data.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Final, Literal

from sqlparse import keywords
from sqlparse import tokens as T
from sqlparse.engine import StatementSplitter
from sqlparse.lexer import Lexer
from sqlparse.sql import Statement, Token

from ..errors import InvalidRequest, UnsafeSQL

StatementKind = Literal["query", "explain", "show"]

_QUERY_STARTS: Final = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "("})
_EXPLAIN_OPTIONS: Final = frozenset({"ANALYZE", "ANALYSE", "VERBOSE"})
_LOCKING: Final = frozenset({"UPDATE", "SHARE", "NO", "KEY"})
# Functions that act outside the statement's own read: on other sessions, the
# server's files, settings, large objects, other databases or replication.
FORBIDDEN_FUNCTIONS: Final = frozenset(
    {
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_log_backend_memory_contexts",
        "set_config",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "lo_put",
        "lo_from_bytea",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_send_query",
        "pg_notify",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_advisory_lock_shared",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock",
        "pg_try_advisory_xact_lock",
        "pg_switch_wal",
        "pg_promote",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_drop_replication_slot",
        "pg_replication_origin_create",
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "query_to_xml",
        "query_to_xml_and_xmlschema",
        "table_to_xml",
        "cursor_to_xml",
    }
)


# sqlparse's default lexer reads several dialects at once, and where they differ
# from PostgreSQL it reads text as harmless that PostgreSQL runs: ``# `` starts a
# comment (PostgreSQL: the XOR operator), ``[...]`` and backticks quote names
# (PostgreSQL: subscripts), and a backslash escapes a quote in every string and
# quoted name (PostgreSQL: only in E'...' strings; connections run with
# standard_conforming_strings on). Each would hide a function call from the
# checks below. This lexer is sqlparse's own rules with those replaced by
# PostgreSQL's; it is an instance of our own, so sqlparse's shared default is
# left as it is.
_NOT_POSTGRES: Final = frozenset(
    {
        r"(--|# )\+.*?(\r\n|\r|\n|$)",
        r"(--|# ).*?(\r\n|\r|\n|$)",
        r"`(``|[^`])*`",
        r"´(´´|[^´])*´",  # noqa: RUF001 - sqlparse's rule, character for character
        r"'(''|\\'|[^'])*'",
        r'"(""|\\"|[^"])*"',
        r'(""|".*?[^\\]")',
        r"(?<![\w\])])(\[[^\]\[]+\])",
    }
)
_POSTGRES_REGEX: Final = [
    (r"--.*?(\r\n|\r|\n|$)", T.Comment.Single),
    (r"E'(''|\\[\s\S]|[^'\\])*'", T.String.Single),  # E'...': backslash escapes
    (r"U&'(''|[^'])*'", T.String.Single),
    (r"U&\"(\"\"|[^\"])*\"", T.Name),  # a name spelt with Unicode escapes; see _name
    (r"B'[01]*'|X'[0-9A-F]*'", T.String.Single),
    (r"'(''|[^'])*'", T.String.Single),
    (r'"(""|[^"])*"', T.String.Symbol),
]
_KEPT = [(rule, kind) for rule, kind in keywords.SQL_REGEX if rule not in _NOT_POSTGRES]
if len(keywords.SQL_REGEX) - len(_KEPT) != len(_NOT_POSTGRES):
    raise RuntimeError("sqlparse's lexer rules changed: review _NOT_POSTGRES in sql_safety.py")
_LEXER: Final = Lexer()
_LEXER.default_initialization()  # sqlparse's keywords
_LEXER.set_SQL_REGEX(_POSTGRES_REGEX + _KEPT)
# Statements longer than this (each space is a token) are refused: none written by
# hand or by a model comes near it, and lexing takes about 6 µs a token.
MAX_TOKENS: Final = 50_000
_LONG_SQL: Final = 10_000  # characters; a check of this many takes a few ms
_UNICODE_ESCAPE: Final = re.compile(r"\\(\\|[0-9A-Fa-f]{4}|\+[0-9A-Fa-f]{6})")


def _statements(sql: str) -> list[Statement]:
    tokens = []
    for token in _LEXER.get_tokens(sql):
        tokens.append(token)
        if len(tokens) > MAX_TOKENS:
            raise UnsafeSQL(f"the statement is too long to check: over {MAX_TOKENS:,} tokens")
    return list(StatementSplitter().process(iter(tokens)))


@dataclass(frozen=True, slots=True)
class CheckedSQL:
    """A statement that passed the checks: its text without the trailing ``;``, and its kind.

    ``query`` statements can be planned with ``EXPLAIN``; ``explain`` and ``show`` cannot.
    """

    sql: str
    kind: StatementKind


def check_sql(sql: str) -> CheckedSQL:
    """The statement, if ``sql`` is exactly one read-only statement; else ``UnsafeSQL``."""
    if not sql.strip():
        raise InvalidRequest("sql must not be empty")
    statements = [
        statement
        for statement in _statements(sql)
        if statement.token_first(skip_cm=True, skip_ws=True) is not None
        and any(not _ignorable(token) and token.value != ";" for token in statement.flatten())
    ]
    if not statements:
        raise InvalidRequest("sql holds only comments")
    if len(statements) > 1:
        raise UnsafeSQL(f"only one statement may run, found {len(statements)}")
    statement = statements[0]
    for token in statement.flatten():
        # PostgreSQL nests block comments; a reader that does not would take the end of
        # the inner one for the end of the comment, and read what follows as code.
        if token.ttype in T.Comment.Multiline and "/*" in token.value[2:]:
            raise UnsafeSQL("nested /* comments */ are not allowed")
    tokens = [token for token in statement.flatten() if not _ignorable(token)]
    kind = _kind(tokens)
    _check_tokens(tokens)
    text = str(statement).strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return CheckedSQL(text, kind)


async def check_sql_async(sql: str) -> CheckedSQL:
    """``check_sql``, in a worker thread when ``sql`` is long enough to hold up the event loop."""
    if len(sql) > _LONG_SQL:
        return await asyncio.to_thread(check_sql, sql)
    return check_sql(sql)


def _name(token: Token) -> str:
    """The name a token spells, as PostgreSQL folds it: U&"d\\0061ta" is data."""
    value = str(token.value)
    if value[:3].upper() == 'U&"':
        value = _UNICODE_ESCAPE.sub(
            lambda m: "\\" if m[1] == "\\" else chr(int(m[1].lstrip("+"), 16)), value[3:-1]
        )
        return value.replace('""', '"')
    if value.startswith('"'):
        return value[1:-1].replace('""', '"')
    return value.lower()


def _ignorable(token: Token) -> bool:
    return token.is_whitespace or token.ttype in T.Comment


def _word(token: Token) -> str:
    return str(token.value).upper()


def _kind(tokens: list[Token]) -> StatementKind:
    first = _word(tokens[0])
    if first in _QUERY_STARTS:
        return "query"
    if first == "SHOW":
        return "show"
    if first == "EXPLAIN":
        position = 1
        while position < len(tokens):
            word = _word(tokens[position])
            if word in _EXPLAIN_OPTIONS:
                position += 1
            elif word == "(" and tokens[position].ttype in T.Punctuation and position == 1:
                depth = 0
                for position in range(position, len(tokens)):  # noqa: B020
                    depth += {"(": 1, ")": -1}.get(tokens[position].value, 0)
                    if depth == 0:
                        break
                position += 1
            else:
                break
        if position < len(tokens) and _word(tokens[position]) in _QUERY_STARTS:
            return "explain"
        raise UnsafeSQL("EXPLAIN is allowed only for SELECT, WITH, VALUES and TABLE statements")
    raise UnsafeSQL(
        f"{first} statements are not allowed: only one read-only statement "
        "(SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN of those, SHOW) may run"
    )


def _check_tokens(tokens: list[Token]) -> None:
    for index, token in enumerate(tokens):
        word = _word(token)
        following = _word(tokens[index + 1]) if index + 1 < len(tokens) else ""
        if token.ttype in T.Keyword.DML and word != "SELECT":
            raise UnsafeSQL(f"{word} modifies data and is not allowed, not even inside WITH")
        if token.ttype in T.Keyword.DDL or token.ttype in T.Keyword.DCL:
            raise UnsafeSQL(f"{word} changes the database and is not allowed")
        if token.ttype in T.Keyword and word == "INTO":
            raise UnsafeSQL("SELECT … INTO creates a table and is not allowed")
        if token.ttype in T.Keyword and word == "FOR" and following in _LOCKING:
            raise UnsafeSQL("row locking (FOR UPDATE / FOR SHARE) is not allowed")
        if word == "UESCAPE":
            raise UnsafeSQL("UESCAPE is not supported: write Unicode escapes with \\")
        if following == "(" and _name(token) in FORBIDDEN_FUNCTIONS:
            raise UnsafeSQL(f"the function {_name(token)}() is not allowed")
