"""Small stand-ins for ``asyncio.Event`` and ``asyncio.Queue`` that every stream holds.

An idle subscriber's stream holds a few of each, for as long as it is open. The asyncio
ones keep their waiters in a ``collections.deque``, and a deque allocates a block of 64
slots when it is made: 760 bytes each, whether anything ever waits or not. These keep
theirs in a list made on the first wait (``bench/memory.py`` measures what they save).
Written here because no library offers an event or a queue made for being idle.
"""

from __future__ import annotations

import asyncio
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


class Wakeup:
    """``asyncio.Event``'s interface: ``set``, ``clear``, ``is_set`` and ``wait``."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        if self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> Literal[True]:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)


class BoundedInbox(Generic[T]):
    """At most ``size`` items between a producer and a consumer: ``put`` waits while it is
    full, ``get`` while it is empty (the two coroutines of ``asyncio.Queue`` a WebSocket's
    messages pass through)."""

    __slots__ = ("_changed", "_items", "_size")

    def __init__(self, size: int) -> None:
        self._items: list[T] = []
        self._size = size
        self._changed = Wakeup()  # an item came or went

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, item: T) -> None:
        while len(self._items) >= self._size:
            self._changed.clear()
            await self._changed.wait()
        self._items.append(item)
        self._changed.set()

    async def get(self) -> T:
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        item = self._items.pop(0)
        self._changed.set()
        return item
