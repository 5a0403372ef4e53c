"""Each transport's framing of recent events, made once for all subscribers of an event.

An event published to a thousand subscribers is framed once, not a thousand
times. The cache belongs to the transport, not to the event, and holds the
last ``size`` events framed. An entry is found by the event's identity and
holds the event itself: while it is held its ``id()`` cannot be reused, and
the ``is`` check means another event can never get its bytes (eventIds are not
keys: two distinct events may share one after a history outage).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from ..events import StatusEvent

T = TypeVar("T")

# Events framed since the oldest entry: more than any subscriber lags behind the
# first one to frame an event while it is still queued (SUBSCRIBER_QUEUE_SIZE).
DEFAULT_SIZE = 4096


class EncodingCache(Generic[T]):
    """``cache(event)`` is ``encode(event)``, computed once while the event is among the last ``size``."""

    def __init__(self, encode: Callable[[StatusEvent], T], *, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self._encode = encode
        self._entries: OrderedDict[int, tuple[StatusEvent, T]] = OrderedDict()

    def __call__(self, event: StatusEvent) -> T:
        entry = self._entries.get(id(event))
        if entry is not None and entry[0] is event:
            return entry[1]
        encoded = self._encode(event)
        self._entries[id(event)] = (event, encoded)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return encoded

    def __len__(self) -> int:
        return len(self._entries)
