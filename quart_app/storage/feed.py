"""What a process has seen committed, in eventId order, for the bus to deliver.

Because transactions commit in id order (``event_rows.py``), the watermark (the
newest id handed on) is enough to go on without a gap: on a notification, after
its own commit, or after its listening connection came back, a process reads
every stored event between the watermark and the id it now knows of, and hands
them on in order. Its own events it hands on from memory after that read, not
read back. All of this happens under ``order``, so runs leave in eventId order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from ..events import StatusEvent
from .availability import FAILURES
from .history import Committed

log = logging.getLogger(__name__)

ReadBetween = Callable[[int, int], Awaitable[list[StatusEvent]]]


class CommittedFeed:
    """The runs of committed events the bus has still to take, after a watermark."""

    def __init__(self, read_between: ReadBetween, watermark: int) -> None:
        self.read_between = read_between
        self.watermark = watermark
        self.order = asyncio.Lock()  # runs are handed on under it, in eventId order
        self._runs: asyncio.Queue[Committed] = asyncio.Queue()

    async def next(self) -> Committed:
        return await self._runs.get()

    def hand_on(
        self, events: Sequence[StatusEvent], *, late: bool = False, advance: bool = True
    ) -> None:
        """Queue a run; call with ``order`` held. It moves the watermark on unless it is
        ``late`` or told not to ``advance`` (events another process stored during an outage,
        whose ids this one's held events had used: ``writer.py``)."""
        if not events:
            return
        self._runs.put_nowait(Committed(tuple(events), late=late))
        if advance and not late:
            self.watermark = max(self.watermark, events[-1].event_id)

    async def catch_up(self, upto: int) -> list[StatusEvent]:
        """Read and hand on what is stored after the watermark up to ``upto``; call with
        ``order`` held. Returns what it read; raises what the read raises."""
        if upto <= self.watermark:
            return []
        # Never past what is stored: a notification's range is only a hint to read.
        events = await self.read_between(self.watermark, upto)
        self.hand_on(events)
        return events

    async def commit(self, events: Sequence[StatusEvent]) -> None:
        """Hand on this process's own newly stored events, after what others stored before them."""
        async with self.order:
            try:
                await self.catch_up(events[0].event_id - 1)
            except FAILURES as error:
                # Ours are stored: hand them on. Theirs stay kept for replay.
                log.warning("could not read events before %d: %s", events[0].event_id, error)
            # Our own NOTIFY may have been handled first and handed these on already.
            self.hand_on([event for event in events if event.event_id > self.watermark])
