"""Telling a history database that is away from one that refused a statement, in bounded time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import asyncpg

from ..errors import DatabaseUnavailable

# What a statement on the history database may raise when the database is away.
# OSError includes TimeoutError, which ``bounded`` raises.
FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@contextlib.asynccontextmanager
async def bounded(pool: asyncpg.Pool, timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for at most ``timeout`` seconds, then ``TimeoutError``.

    Cancelling a statement is not enough when the database stops answering:
    asyncpg then waits for the rollback and the reset, on the same silent
    socket, for as long as TCP allows. Terminating the connection ends every
    wait on it at once.
    """
    held = await asyncio.wait_for(pool.acquire(), timeout)
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
    """Failures to reach the history database are a 503 for the client, not a server error."""
    try:
        yield
    except FAILURES as error:
        raise DatabaseUnavailable(f"the history database is unavailable: {error}") from None
