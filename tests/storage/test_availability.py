"""A cancel that comes just as a pooled connection does is not lost (in-process)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from quart_app.storage.availability import bounded


class Pool:
    """A pool whose one connection comes when the test says."""

    def __init__(self) -> None:
        self.ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.released: list[str] = []

    def acquire(self) -> asyncio.Future[str]:
        return self.ready

    async def release(self, connection: str, timeout: float | None = None) -> None:
        self.released.append(connection)


async def test_a_cancel_as_the_connection_comes_still_cancels() -> None:
    pool = Pool()
    went_on: list[Any] = []

    async def reader() -> None:
        async with bounded(pool, 5) as connection:  # type: ignore[arg-type]
            went_on.append(connection)

    task = asyncio.create_task(reader())
    await asyncio.sleep(0)  # waiting for the connection
    pool.ready.set_result("connection")
    task.cancel()  # in the same turn of the loop: the client left as it came
    with pytest.raises(asyncio.CancelledError):
        await task
    assert went_on == [], "the cancelled reader ran on with the connection"
