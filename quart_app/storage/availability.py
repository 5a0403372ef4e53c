"""Telling a history database that is away from one that refused a statement, in bounded time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import asyncpg

from ..errors import DatabaseUnavailable
from .pg_errors import DATABASE_ERRORS, one_line

# What a statement on the history database may raise when the database is away.
# OSError includes TimeoutError, which ``bounded`` raises.
FAILURES = DATABASE_ERRORS


@contextlib.asynccontextmanager
async def bounded(pool: asyncpg.Pool, timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for at most ``timeout`` seconds, then ``TimeoutError``.

    Cancelling a statement is not enough when the database stops answering:
    asyncpg then waits for the rollback and the reset, on the same silent
    socket, for as long as TCP allows. Terminating the connection ends every
    wait on it at once.

    ``asyncio.timeout``, not ``wait_for``: on Python 3.11 ``wait_for`` runs the acquire
    as a task of its own, and when the caller is cancelled just as a connection comes
    it returns the connection and drops the cancellation. The caller then runs on,
    cancelled by nobody again: an SSE stream whose client had left stayed open.
    """
    async with asyncio.timeout(timeout):
        held = await pool.acquire()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        held.terminate()

    timer = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        yield held
    except FAILURES:
        if expired:
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        raise
    finally:
        timer.cancel()
        await pool.release(held, timeout=timeout)


@contextlib.contextmanager
def unavailable() -> Iterator[None]:
    """Failures of the history database are a 503 for the client, not a server error.

    Unlike ``pg_errors.database_error``, every failure counts: the statements are the
    service's own, so one the database refuses is not the client's ``sql_error``.
    """
    try:
        yield
    except FAILURES as error:
        raise DatabaseUnavailable(
            f"the history database is unavailable: {one_line(error)}"
        ) from None
