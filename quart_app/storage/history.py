"""The history interface: what the bus asks of wherever events are kept.

A history numbers the events it is given, stores them, and hands back what it
has committed as runs, in eventId order and without gaps: its own events and,
when processes share it, theirs. It delivers nothing itself; the bus pulls the
runs and fans them out. Two implementations: ``memory.py`` (one process,
bounded) and ``postgres.py`` (shared by every process of the service).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..events import Destination, StatusEvent


@dataclass(frozen=True, slots=True)
class Committed:
    """A run of committed events, in eventId order, following the run before it without a gap.

    ``late`` runs are the exception: the ends of requests that another process ended
    while this one was cut off from the history database (``outage.py``), delivered
    even to subscribers that have seen later eventIds.
    """

    events: Sequence[StatusEvent]
    late: bool = False


class History(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None:
        """Store what is queued (for a while), then let go of every resource."""

    def store(self, event: StatusEvent) -> asyncio.Future[StatusEvent]:
        """Number and store an unnumbered event, in the order given; the future gives the
        numbered event once it is stored (or held to store later, ``outage.py``)."""
        ...

    async def committed(self) -> Committed:
        """The next run of committed events (waiting for one)."""
        ...

    async def events_after(
        self, destination: Destination, after_id: int, *, limit: int
    ) -> list[StatusEvent]:
        """The first ``limit`` kept events for ``destination`` with eventId > ``after_id``,
        oldest first: a page of a replay, which reads the next one after the last of it."""
        ...

    async def request_events(self, request_id: str) -> list[StatusEvent]: ...
