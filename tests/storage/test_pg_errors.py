"""What asyncpg raises becomes one error of the family, the same wherever it is raised."""

from __future__ import annotations

import asyncpg
import pytest

from quart_app.errors import APIError, Cancelled, DatabaseUnavailable, QueryTimeout, SQLError
from quart_app.storage.pg_errors import connection_lost, database_error


def _postgres(sqlstate: str, message: str) -> asyncpg.PostgresError:
    error: asyncpg.PostgresError = asyncpg.PostgresError.new(
        {"C": sqlstate, "M": message, "S": "ERROR"}
    )
    return error


@pytest.mark.parametrize(
    ("error", "kind", "status", "code", "message"),
    [
        (
            _postgres("57014", "canceling statement due to statement timeout"),
            QueryTimeout,
            504,
            "timeout",
            "the query did not finish within 1500 ms",
        ),
        (
            _postgres("57014", "canceling statement due to user request"),
            Cancelled,
            409,
            "cancelled",
            "canceling statement due to user request",
        ),
        (
            _postgres("57P01", "terminating connection due to administrator command"),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "the database is unavailable: terminating connection due to administrator command",
        ),
        (
            _postgres("08006", "connection failure"),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "the database is unavailable: connection failure",
        ),
        (
            _postgres("53300", "sorry, too many clients already"),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "the database is unavailable: sorry, too many clients already",
        ),
        (
            _postgres("42P01", 'relation "nowhere" does not exist'),
            SQLError,
            422,
            "sql_error",
            'relation "nowhere" does not exist',
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "cannot reach the database: [Errno 111] Connection refused",
        ),
        (
            asyncpg.InterfaceError("cannot call Connection.fetch(): connection has been released"),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "cannot reach the database: cannot call Connection.fetch(): connection has been "
            "released",
        ),
        (
            OSError(),
            DatabaseUnavailable,
            503,
            "database_unavailable",
            "cannot reach the database: OSError",
        ),
    ],
)
def test_each_database_failure_maps_to_its_error(
    error: BaseException, kind: type[APIError], status: int, code: str, message: str
) -> None:
    mapped = database_error(error, timeout_ms=1500)
    assert type(mapped) is kind
    assert (mapped.status, mapped.code, mapped.message) == (status, code, message)


def test_an_sql_error_carries_its_sqlstate() -> None:
    mapped = database_error(_postgres("22012", "division by zero"))
    assert mapped.to_error() == {
        "code": "sql_error",
        "message": "division by zero",
        "sqlstate": "22012",
    }


def test_a_statement_timeout_without_a_timeout_of_its_own_is_cancelled() -> None:
    mapped = database_error(_postgres("57014", "canceling statement due to statement timeout"))
    assert isinstance(mapped, Cancelled)


def test_the_database_is_named_in_the_message() -> None:
    mapped = database_error(TimeoutError("no answer within 5 s"), database="the history database")
    assert mapped.message == "cannot reach the history database: no answer within 5 s"


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (_postgres("08003", "connection does not exist"), True),
        (_postgres("57P03", "the database system is starting up"), True),
        (OSError("reset"), True),
        (asyncpg.InterfaceError("closed"), True),
        (_postgres("42601", "syntax error"), False),
        (_postgres("57014", "canceling statement due to statement timeout"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_connection_lost_tells_the_database_away_from_the_sql_wrong(
    error: BaseException, lost: bool
) -> None:
    assert connection_lost(error) is lost
