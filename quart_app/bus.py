"""Publish / subscribe for status events, with replay from the history.

Services publish through :class:`RequestEvents`, which numbers a request's
events by ``sequence`` and keeps its progress monotonic. The bus hands each
event to the history, which gives it its service-wide ``eventId`` and stores
it; a delivery task takes what the history has committed, in eventId order,
and fans it out to the subscriptions whose destination matches. Transports
only ever see :class:`Subscription` objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from .errors import EndedElsewhere
from .events import (
    TERMINAL_STAGES,
    TOPICS,
    Destination,
    Status,
    StatusEvent,
    Topic,
    utc_timestamp,
    valid_request_id,
)
from .replay_rate import ReplayRate
from .storage.history import History
from .subscription import ReplaySource, SlowConsumer, Subscription, SubscriptionEnded
from .wakeup import Wakeup

__all__ = [
    "Destination",
    "EventBus",
    "RequestEvents",
    "SlowConsumer",
    "Subscription",
    "SubscriptionEnded",
    "valid_request_id",
]

log = logging.getLogger(__name__)

# Events a replay reads from the history at once: about one write to the client
# (200 events of ~260 bytes, ~3 ms of decoding), so a replay holds little memory and
# never takes the event loop for long.
REPLAY_PAGE = 200


class EventBus:
    """Fans out, in eventId order, the events the history has committed."""

    def __init__(
        self,
        history: History,
        *,
        queue_size: int,
        replay_page: int = REPLAY_PAGE,
        replay_rate: ReplayRate | None = None,
        quiet_seconds: float = 0,
    ) -> None:
        self.history = history
        # A run of events that comes this long after the last one's fan-out ended may be
        # written to idle subscribers as it is delivered (``Subscription.immediate``);
        # closer runs are queued, so that their subscribers' writers batch them.
        self.quiet_seconds = quiet_seconds
        self._fanned_out_at = float("-inf")
        self.queue_size = queue_size
        self.replay_page = replay_page
        self.replay_rate = replay_rate or ReplayRate(0)
        self._by_topic: dict[str, set[Subscription]] = {topic: set() for topic in TOPICS}
        self._by_request: dict[str, set[Subscription]] = {}
        self._delivered = 0  # the newest eventId fanned out
        # Publishers' futures of stored events not fanned out yet, by eventId.
        self._waiting: list[tuple[int, int, StatusEvent, asyncio.Future[StatusEvent]]] = []
        self._order = itertools.count()
        self._delivery: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.history.start()
        self._delivery = asyncio.create_task(self._deliver_committed(), name="event delivery")

    async def close(self) -> None:
        """Close the history, once it has stored (and this has delivered) what is queued."""
        await self.history.close()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery

    def publish(self, event: StatusEvent) -> asyncio.Future[StatusEvent]:
        """Hand an unnumbered event to the history, which numbers and stores it.

        The future gives the stored event once it has been fanned out; a failure to
        store is also logged, so that nobody has to await progress events.
        """
        delivered: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
        stored = self.history.store(event)
        if stored.done():  # the memory history stores at once: no turn of the loop for it
            self._stored(stored, delivered)
        else:
            stored.add_done_callback(lambda stored: self._stored(stored, delivered))
        return delivered

    def _stored(
        self, stored: asyncio.Future[StatusEvent], delivered: asyncio.Future[StatusEvent]
    ) -> None:
        if delivered.done():
            return
        if stored.cancelled():
            delivered.cancel()
        elif (error := stored.exception()) is not None:
            delivered.set_exception(error)
            _log_failure(delivered)  # which also marks the error as seen
        elif (event := stored.result()).event_id <= self._delivered:
            delivered.set_result(event)
        else:
            heapq.heappush(self._waiting, (event.event_id, next(self._order), event, delivered))

    async def _deliver_committed(self) -> None:
        while True:
            run = await self.history.committed()
            try:
                if run.late:
                    self._deliver_late(run.events)
                else:
                    self._deliver(run.events)
            except Exception:  # a subscriber's callback must not stop delivery
                log.exception("delivering events failed")
            if not run.late:
                self._delivered = max(self._delivered, run.events[-1].event_id)
            while self._waiting and self._waiting[0][0] <= self._delivered:
                _, _, event, delivered = heapq.heappop(self._waiting)
                if not delivered.done():
                    delivered.set_result(event)

    def _deliver(self, events: Sequence[StatusEvent]) -> None:
        # Under load the next run comes while the last one's writes are barely done: then
        # events only queue, and each subscriber's writer sends what piled up in one write.
        clock = asyncio.get_running_loop().time
        at_once = clock() - self._fanned_out_at >= self.quiet_seconds
        for event in events:
            for subscription in tuple(self._by_topic[event.topic]):
                subscription.deliver(event, at_once)
            for subscription in tuple(self._by_request.get(event.request_id, ())):
                subscription.deliver(event, at_once)
        self._fanned_out_at = clock()

    def _deliver_late(self, events: Sequence[StatusEvent]) -> None:
        """Deliver events to subscribers that may have seen later eventIds already.

        Only for the last event of a request that another process ended while this
        one was cut off from the history database (``storage/outage.py``): its
        subscribers saw this process's own numbering meanwhile, and would never
        see the request end otherwise.
        """
        for event in events:
            for subscription in tuple(self._by_topic[event.topic]):
                subscription.deliver_late(event)
            for subscription in tuple(self._by_request.get(event.request_id, ())):
                subscription.deliver_late(event)

    async def request_events(self, request_id: str) -> list[StatusEvent]:
        """Every kept event of one request, oldest first."""
        return await self.history.request_events(request_id)

    @asynccontextmanager
    async def subscribe(
        self,
        destination: Destination,
        *,
        after_id: int | None = None,
        wakeup: Wakeup | None = None,
        on_overflow: Callable[[Subscription], None] | None = None,
    ) -> AsyncIterator[Subscription]:
        """Live events for ``destination``; with ``after_id``, kept ones after it first.

        Nothing is read here: the subscription is registered at once, and reads
        the kept events a page at a time as it is drained (``Subscription.fill``).
        """
        subscription = Subscription(
            destination,
            max_pending=self.queue_size,
            wakeup=wakeup,
            on_overflow=on_overflow,
            after_id=after_id,
            replay=ReplaySource(self._read_page, self.replay_page, self.replay_rate),
            on_cut_off=self._remove,
        )
        self._add(subscription)
        try:
            yield subscription
        finally:
            self._remove(subscription)

    def end_all(self) -> None:
        """End every subscription (at shutdown): streams close once their queues drain."""
        for subscription in [
            *(s for group in self._by_topic.values() for s in group),
            *(s for group in self._by_request.values() for s in group),
        ]:
            subscription.end()

    @property
    def subscriber_count(self) -> int:
        return sum(map(len, self._by_topic.values())) + sum(map(len, self._by_request.values()))

    async def _read_page(
        self, destination: Destination, after_id: int, limit: int
    ) -> list[StatusEvent]:
        return await self.history.events_after(destination, after_id, limit=limit)

    def _add(self, subscription: Subscription) -> None:
        destination = subscription.destination
        if destination.topic is not None:
            self._by_topic[destination.topic].add(subscription)
        else:
            assert destination.request_id is not None
            self._by_request.setdefault(destination.request_id, set()).add(subscription)

    def _remove(self, subscription: Subscription) -> None:
        subscription.detach()
        destination = subscription.destination
        if destination.topic is not None:
            self._by_topic[destination.topic].discard(subscription)
        elif (subscribers := self._by_request.get(destination.request_id or "")) is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_request[destination.request_id or ""]


class RequestEvents:
    """Publishes one request's events: consecutive ``sequence``, progress that never drops.

    One terminal event per topic; ``final=True`` on the one that ends the whole request.
    """

    def __init__(self, bus: EventBus, request_id: str) -> None:
        self.bus = bus
        self.request_id = request_id
        self._sequence = 0
        self._progress: dict[str, int] = {}
        self._finished: set[str] = set()

    @classmethod
    def continuing(
        cls, bus: EventBus, request_id: str, events: Sequence[StatusEvent]
    ) -> RequestEvents:
        """Go on publishing a request whose ``events`` another publisher stored."""
        publisher = cls(bus, request_id)
        for event in events:
            publisher._sequence = max(publisher._sequence, event.sequence)
            if event.progress is not None:
                publisher._progress[event.topic] = event.progress
            if event.status != "progress":
                publisher._finished.add(event.topic)
        return publisher

    def ended(self, topic: Topic) -> bool:
        return topic in self._finished

    def progress(
        self, topic: Topic, stage: str, message: str, progress: int | None = None, **metadata: Any
    ) -> asyncio.Future[StatusEvent]:
        """Publish a progress event; the future is done once it is stored and delivered.

        Nobody needs to wait for it: the history stores events in publish order, so
        when the terminal event (which ``finish`` waits for) is stored, so is every
        event before it. Not waiting lets a durable history batch a fast stream of progress.
        """
        return self._publish(topic, "progress", stage, message, progress, metadata, final=False)

    async def finish(
        self, topic: Topic, status: Status, message: str, *, final: bool = True, **metadata: Any
    ) -> StatusEvent:
        if status == "progress":
            raise ValueError("finish() publishes a terminal event")
        progress = 100 if status == "success" else None
        return await self._publish(
            topic, status, TERMINAL_STAGES[status], message, progress, metadata, final
        )

    def _publish(
        self,
        topic: Topic,
        status: Status,
        stage: str,
        message: str,
        progress: int | None,
        metadata: Mapping[str, Any],
        final: bool,
    ) -> asyncio.Future[StatusEvent]:
        if topic in self._finished:
            raise RuntimeError(f"{topic} already ended for request {self.request_id}")
        if progress is not None:
            progress = max(progress, self._progress.get(topic, 0))
            self._progress[topic] = progress
        elif status != "progress":
            progress = self._progress.get(topic)
        if status != "progress":
            self._finished.add(topic)
        self._sequence += 1
        event = StatusEvent(
            event_id=0,  # the history numbers it
            request_id=self.request_id,
            topic=topic,
            status=status,
            stage=stage,
            message=message,
            progress=progress,
            sequence=self._sequence,
            timestamp=utc_timestamp(),
            metadata=metadata,
            final=final,
        )
        return self.bus.publish(event)


def _log_failure(future: asyncio.Future[StatusEvent]) -> None:
    if future.cancelled() or (error := future.exception()) is None:
        return
    if isinstance(error, EndedElsewhere):
        return  # logged once for the request, not for each of its events
    log.error("an event was not stored: %s", error)
