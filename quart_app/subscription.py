"""One subscriber's bounded queue of events, and its replay from the history."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .events import Destination, StatusEvent
from .replay_rate import ReplayRate
from .wakeup import Wakeup

# Reads a page of a replay: (destination, after this eventId, at most this many).
ReadPage = Callable[[Destination, int, int], Awaitable[list[StatusEvent]]]
# The queue of every subscription that has queued nothing yet: shared, and never appended
# to (``Subscription._queue`` makes a subscription its own first).
_NOTHING_PENDING: deque[StatusEvent] = deque()


@dataclass(frozen=True, slots=True)
class ReplaySource:
    """Where a replay reads its pages, how many events at a time, and how fast."""

    read: ReadPage
    page: int
    rate: ReplayRate


class SubscriptionEnded(Exception):
    """The server ended the subscription (it is shutting down, or made room for another)."""


class SlowConsumer(SubscriptionEnded):
    """The subscriber fell more than its queue size behind and was cut off."""


class Subscription:
    """One subscriber's bounded queue of events, and its replay.

    A replay reads kept events a page at a time (``fill``), only once the
    subscriber has taken the page before: it holds one page, however much history
    is kept. Live events published meanwhile wait in a buffer of at most
    ``max_pending``; past that the buffer is dropped, and the replay reads them
    from the history too. Once a page read finds nothing more, and dropped
    nothing while it ran, the buffer follows that page and the subscription is
    live: no gap, no duplicate.

    Replayed events do not count against the bound; live ones do. A live
    subscriber that lets more than ``max_pending`` events pile up is cut off:
    ``overflowed`` becomes true, the bus drops it, and ``on_overflow`` runs
    (synchronously, inside the bus's delivery: it must not block).
    """

    def __init__(
        self,
        destination: Destination,
        *,
        max_pending: int,
        wakeup: Wakeup | None = None,
        on_overflow: Callable[[Subscription], None] | None = None,
        after_id: int | None = None,
        replay: ReplaySource | None = None,
        on_cut_off: Callable[[Subscription], None] | None = None,
    ) -> None:
        self.destination = destination
        self.max_pending = max_pending
        self.wakeup = wakeup or Wakeup()
        self.on_overflow = on_overflow
        self.overflowed = False
        self.ended = False
        # The newest event queued; while replaying, where the next page starts.
        self.last_event_id = after_id or 0
        # Made on the first event queued: an idle subscriber holds no deque (760 bytes).
        self._pending: deque[StatusEvent] = _NOTHING_PENDING
        self._replayed = 0
        self.replaying = after_id is not None and replay is not None
        self._replay = replay
        self._on_cut_off = on_cut_off  # the bus forgets it: it is fed no more
        self._detached = False  # no longer registered: nothing more to read
        self._buffer: list[StatusEvent] = []  # live events that came during the replay
        self._dropped = 0  # how many times the buffer was dropped
        # Writes a live event to the subscriber at once, when its stream is idle: True if
        # written, and then the event is not queued (and no task is woken for it). The bus
        # offers it only events that come while it is not busy (``EventBus._deliver``).
        self.immediate: Callable[[StatusEvent], bool] | None = None

    def deliver(self, event: StatusEvent, at_once: bool = False) -> None:
        """Queue ``event`` (live, or buffered while replaying); with ``at_once``, hand it to
        ``immediate`` first when nothing is queued before it."""
        if self.overflowed or event.event_id <= self.last_event_id:
            return
        if self.replaying:
            if len(self._buffer) >= self.max_pending:
                self._buffer.clear()  # stored, so the replay reads them from the history
                self._dropped += 1
            self._buffer.append(event)
            return
        self.last_event_id = event.event_id
        if at_once and not self._pending and self.immediate is not None and self.immediate(event):
            return
        self._queue(event)
        if len(self._pending) - self._replayed > self.max_pending:
            self._overflow()
        self.wakeup.set()

    def deliver_late(self, event: StatusEvent) -> None:
        """Deliver ``event`` even when this subscriber has seen later eventIds (see EventBus)."""
        if self.overflowed or self.replaying or event.event_id > self.last_event_id:
            self.deliver(event)
            return
        self._queue(event)
        if len(self._pending) - self._replayed > self.max_pending:
            self._overflow()
        self.wakeup.set()

    def _queue(self, event: StatusEvent) -> None:
        if self._pending is _NOTHING_PENDING:
            self._pending = deque()
        self._pending.append(event)

    @property
    def pending(self) -> int:
        """Events queued, replayed or live."""
        return len(self._pending)

    def pop(self) -> StatusEvent | None:
        if not self._pending:
            return None
        if self._replayed:
            self._replayed -= 1
        return self._pending.popleft()

    async def get(self, timeout: float | None = None) -> StatusEvent | None:
        """The next event; None when ``timeout`` seconds pass without one."""
        while True:
            if self.overflowed:
                raise SlowConsumer(
                    f"subscriber to {self.destination} fell {self.max_pending} events behind"
                )
            if self.ended and not self._pending:
                raise SubscriptionEnded("the server ended this subscription")
            event = self.pop()
            if event is not None:
                return event
            if self.replaying:
                await self.fill()
                continue
            self.wakeup.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self.wakeup.wait()
            except TimeoutError:
                return None

    async def fill(self) -> None:
        """While replaying with nothing pending, queue the next page of kept events.

        Raises ``DatabaseUnavailable`` when the history cannot be read.
        """
        source = self._replay
        if not self.replaying or self._pending or source is None or self._detached:
            return
        await source.rate.take(source.page)
        dropped = self._dropped
        page = await source.read(self.destination, self.last_event_id, source.page)
        for event in page:
            if event.event_id > self.last_event_id:
                self.last_event_id = event.event_id
                self._queue(event)
                self._replayed += 1
        # A short page: the history held nothing more when it was read. Every live event
        # from before that read is in it or in the buffer, unless the buffer was dropped
        # while it ran; then the next page has them.
        if self.replaying and len(page) < source.page and self._dropped == dropped:
            self.replaying = False
            buffered, self._buffer = self._buffer, []
            for event in buffered:
                self.deliver(event)
        if self._pending:
            self.wakeup.set()

    def end(self) -> None:
        """End the subscription: its subscriber takes what is queued, then ``SubscriptionEnded``."""
        self.ended = True
        self.wakeup.set()

    def detach(self) -> None:
        """The bus no longer feeds this subscription: a replay reads no further page."""
        self._detached = True

    def _overflow(self) -> None:
        self.overflowed = True
        self._pending.clear()
        self._replayed = 0
        if self._on_cut_off is not None:
            self._on_cut_off(self)
        self.wakeup.set()
        if self.on_overflow is not None:
            self.on_overflow(self)
