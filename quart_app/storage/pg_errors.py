"""What a failure of asyncpg means for the client: one ``APIError`` of the error family.

Every place that talks to PostgreSQL translates through ``database_error``, so that a
lost connection is ``database_unavailable`` and a statement timeout is ``timeout``
wherever they happen, and the client reads the same words for the same cause.
"""

from __future__ import annotations

from typing import Final

import asyncpg

from ..errors import APIError, Cancelled, DatabaseUnavailable, QueryTimeout, SQLError

# What talking to PostgreSQL may raise. OSError includes TimeoutError and refused or
# reset sockets; asyncpg.PostgresConnectionError is a PostgresError.
DATABASE_ERRORS: Final = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

# SQLSTATEs that say the server or the connection went away, not that the SQL is wrong:
# class 08 (connection exception), admin/crash shutdown, cannot connect now, too many
# connections.
_CONNECTION_LOST: Final = frozenset({"57P01", "57P02", "57P03", "53300"})
_QUERY_CANCELED: Final = "57014"


def database_error(
    error: BaseException, *, timeout_ms: int | None = None, database: str = "the database"
) -> APIError:
    """The ``APIError`` that ``error``, raised by a statement on ``database``, answers with.

    ``timeout_ms`` is the statement's own timeout: PostgreSQL ending the statement
    for it is ``timeout``; cancelled for another reason, ``cancelled``.
    """
    if not isinstance(error, asyncpg.PostgresError):
        return DatabaseUnavailable(f"cannot reach {database}: {one_line(error)}")
    sqlstate = getattr(error, "sqlstate", None) or ""
    message = postgres_message(error)
    if sqlstate == _QUERY_CANCELED:
        if "statement timeout" in message and timeout_ms is not None:
            return QueryTimeout(f"the query did not finish within {timeout_ms} ms")
        return Cancelled(message)
    if connection_lost(error):
        return DatabaseUnavailable(f"{database} is unavailable: {message}")
    return SQLError(message, sqlstate=sqlstate or None)


def connection_lost(error: BaseException) -> bool:
    """True when ``error`` says the database or the connection is away, not the SQL wrong."""
    if not isinstance(error, asyncpg.PostgresError):
        return isinstance(error, DATABASE_ERRORS)
    sqlstate = getattr(error, "sqlstate", None) or ""
    return sqlstate.startswith("08") or sqlstate in _CONNECTION_LOST


def postgres_message(error: BaseException) -> str:
    """PostgreSQL's own message, without asyncpg's additions (detail, hint)."""
    return str(getattr(error, "message", None) or error)


def one_line(error: BaseException) -> str:
    """The first line of ``error``'s text, or its class name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
