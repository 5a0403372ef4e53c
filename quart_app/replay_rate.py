"""How fast replays may read the history: events per second, for the whole process.

A replay reads as fast as its client takes the pages, and several at once would
take the event loop from live delivery: decoding a kept event and writing it
again costs about as much as delivering a live one. So each page waits its turn
(first come, first served) until the rate allows it; a replay that comes alone to
an idle process starts at once. Live events never wait for this.
"""

from __future__ import annotations

import asyncio


class ReplayRate:
    """At most ``per_second`` replayed events a second, in turns (0: no bound)."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._turn = asyncio.Lock()
        self._next = 0.0  # the loop time at which the next page may be read

    async def take(self, events: int) -> None:
        """Wait until ``events`` more may be read."""
        if not self.per_second:
            return
        async with self._turn:
            loop = asyncio.get_running_loop()
            start = max(loop.time(), self._next)
            if (wait := start - loop.time()) > 0:
                await asyncio.sleep(wait)
            self._next = start + events / self.per_second
