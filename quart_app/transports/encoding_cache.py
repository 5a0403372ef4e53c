"""Each transport's framing of recent events, made once for all subscribers of an event.

An event published to a thousand subscribers is framed once, not a thousand
times. The cache belongs to the transport, not to the event: a ring of
``size`` slots, where an event's eventId picks the slot and the event itself,
held in it, decides a hit by identity (``is``). So a reused ``id()`` or a
second event with the same eventId (possible after a history outage) never
gets another event's bytes; it only takes the slot over. This is the hot path
of fan-out: a hit costs a list index and a comparison, no hashing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from ..events import StatusEvent

T = TypeVar("T")

# More events than a subscriber may lag behind the first one to frame an event
# (QUART_APP_SUBSCRIBER_QUEUE_SIZE, 1,000 by default). A power of two.
DEFAULT_SIZE = 4096


class EncodingCache(Generic[T]):
    """``cache.of(event)`` is ``encode(event)``, computed once while the event holds its slot."""

    def __init__(self, encode: Callable[[StatusEvent], T], *, size: int = DEFAULT_SIZE) -> None:
        if size < 1 or size & (size - 1):
            raise ValueError(f"size must be a power of two, got {size}")
        self._encode = encode
        self._mask = size - 1
        self._slots: list[tuple[StatusEvent, T] | None] = [None] * size

    def of(self, event: StatusEvent) -> T:
        # A method, not __call__: calling an instance costs several times as much.
        index = event.event_id & self._mask
        slot = self._slots[index]
        if slot is not None and slot[0] is event:
            return slot[1]
        encoded = self._encode(event)
        self._slots[index] = (event, encoded)
        return encoded
