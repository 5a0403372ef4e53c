"""Write pacing shared by every SSE stream and STOMP session of a process.

Each write to a socket costs far more than the bytes in it (Quart, then
Hypercorn, then h11 or wsproto, then a system call), so under load events
should leave in batches. A stream that has just written waits for the next
tick of one shared clock before it writes again; whatever was published
meanwhile leaves in that one write. A stream that has not written since the
last tick is idle and writes at once, so a quiet stream adds no delay. (A STOMP
session waits for a tick only when woken within a window of its last write, and
writes an event to an idle client as it is delivered: see stomp_connection.py.)

One clock instead of a timer per stream: the streams that wait are woken
together, in one turn of the event loop, and the next tick is armed only
after that turn, a whole window later. So however busy the loop gets, the
publishers get the window to themselves between two bursts of writes, and
batches grow with the load instead of shrinking to one event each.
"""

from __future__ import annotations

import asyncio


class WriteClock:
    """Ticks ``window`` seconds apart while some stream waits for one; idle otherwise.

    A window of 0 turns pacing off: :meth:`wait` returns at once.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self.ticks = 0
        self._waiters: list[asyncio.Future[None]] = []
        # The loop a tick is pending on, or whose woken streams are still to run.
        self._armed: asyncio.AbstractEventLoop | None = None
        self._waking: asyncio.AbstractEventLoop | None = None

    @property
    def idle(self) -> bool:
        """No stream waits for a tick: nothing is being batched."""
        return self._armed is None and self._waking is None

    async def wait(self, since: int) -> None:
        """Return at the first tick after tick number ``since``; at once if it has passed.

        A stream records ``clock.ticks`` when it writes and passes it here
        before it writes again.
        """
        if self.window <= 0 or self.ticks != since:
            return
        # A future per waiter rather than one shared: cancelling one waiter (its
        # client went away) must not cancel the others.
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiters.append(future)
        self._arm(loop)
        await future

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        # Comparing loops, not a flag, so that a clock left armed by a loop that has
        # since closed (one per test, say) starts again on the next.
        if self._armed is not loop and self._waking is not loop:
            self._armed = loop
            loop.call_later(self.window, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._armed = None
        self.ticks += 1
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done() and future.get_loop() is loop:
                future.set_result(None)
        # The woken streams run in the next turn of the loop, in order, and then this
        # callback: so the window to the next tick starts after their writes.
        self._waking = loop
        loop.call_soon(self._woken, loop)

    def _woken(self, loop: asyncio.AbstractEventLoop) -> None:
        self._waking = None
        if self._waiters:
            self._arm(loop)
