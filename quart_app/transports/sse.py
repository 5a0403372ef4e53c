"""Server-Sent Events at ``/sse/topic/...``: the same destinations and events as STOMP."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from quart import Blueprint, Response, request

from ..bus import Destination, Subscription, SubscriptionEnded
from ..errors import DatabaseUnavailable, InvalidRequest, NotFound
from ..events import MAX_EVENT_ID, parse_event_id
from ..protocol.sse import encode_comment, encode_event, encode_retry
from ..runtime import current_service
from .encoding_cache import EncodingCache
from .pacing import WriteClock

blueprint = Blueprint("sse", __name__)

PING = encode_comment("ping")
# Events already waiting are sent together, up to this many per chunk.
_MAX_BATCH = 256
# Each event's ``id``/``event``/``data`` block, made once for all streams.
_event_blocks = EncodingCache(
    lambda event: encode_event(event.json, event_id=event.event_id, event="status")
)


@blueprint.get("/sse/topic/<path:name>")
async def event_stream(name: str) -> Any:
    """Status events of one destination as ``text/event-stream``.

    ``Last-Event-ID`` (or ``?lastEventId=`` on a first connection) replays kept
    events after that id before the live ones. A request stream ends after the
    request's last event, and answers 204 once there is nothing left to send.
    """
    destination = Destination.parse(f"/topic/{name}")
    if destination is None:
        raise NotFound(
            f"no destination /topic/{name}: use /sse/topic/nl-to-sql, "
            "/sse/topic/query-execution or /sse/topic/requests/{requestId}"
        )
    after_id = _last_event_id()
    service = current_service()
    if destination.request_id is not None and await _request_finished(
        destination.request_id, after_id
    ):
        return Response(status=204)
    # 429 when this client holds its share already; when the server holds all it may,
    # another stream is closed to make room (streams.py).
    admitted = service.streams.admit(request.remote_addr or "unknown")
    try:
        # Subscribed before the response starts, so that a client which POSTs as soon
        # as it sees the headers cannot miss the first events.
        context = service.bus.subscribe(destination, after_id=after_id)
        subscription = await context.__aenter__()
        try:
            # A replay's first page, read now: a history that cannot be read is a 503.
            await subscription.fill()
        except BaseException:
            await context.__aexit__(None, None, None)
            raise
    except BaseException:
        service.streams.release(admitted)
        raise
    admitted.on_end(subscription.end)
    stream = EventStream(
        subscription,
        context,
        ping_seconds=service.config.sse_ping_seconds or None,
        retry_ms=service.config.sse_retry_ms,
        end_after_final=destination.request_id is not None,
        clock=service.write_clock,
        on_close=lambda: service.streams.release(admitted),
    )
    response = Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.timeout = None  # Quart otherwise ends long-lived bodies
    return response


def _last_event_id() -> int | None:
    value = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
    if value is None or value == "":
        return None
    after_id = parse_event_id(value)
    if after_id is None:
        raise InvalidRequest(
            f"Last-Event-ID must be an eventId (an integer from 0 to {MAX_EVENT_ID}), "
            f"got {value[:40]!r}"
        )
    return after_id


async def _request_finished(request_id: str, after_id: int | None) -> bool:
    """True when the request has ended and no kept event after ``after_id`` is left to send."""
    # Only the events decide: a job saved as finished may still have events on
    # their way to the history, and those must be streamed, not refused.
    try:
        events = await current_service().bus.request_events(request_id)
    except DatabaseUnavailable:
        return False  # the live stream may still carry what the history cannot tell now
    if not events or not events[-1].final:
        return False
    return after_id is None or events[-1].event_id <= after_id


class EventStream:
    """The response body: ``retry``, then events (and pings) until closed or cut off.

    A class rather than an async generator so that ``aclose`` releases the
    subscription even when the body was never iterated.
    """

    def __init__(
        self,
        subscription: Subscription,
        context: contextlib.AbstractAsyncContextManager[Subscription],
        *,
        ping_seconds: float | None,
        retry_ms: int,
        end_after_final: bool,
        clock: WriteClock,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.subscription = subscription
        self._context: contextlib.AbstractAsyncContextManager[Subscription] | None = context
        self.ping_seconds = ping_seconds
        self.retry_ms = retry_ms
        self.end_after_final = end_after_final
        self.clock = clock
        self.on_close = on_close
        self._started = False
        self._ended = False
        self._wrote_at = -1

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> bytes:
        if not self._started:
            self._started = True
            return encode_retry(self.retry_ms)
        if self._ended:
            await self.aclose()
            raise StopAsyncIteration
        # A stream that has just written waits for the clock's next tick, so that what
        # piles up meanwhile leaves as one chunk (see pacing.py); an idle one writes at once.
        await self.clock.wait(since=self._wrote_at)
        try:
            event = await self.subscription.get(timeout=self.ping_seconds)
        except (SubscriptionEnded, DatabaseUnavailable):
            # Cut off as a slow consumer, closed to make room, the server stopping, or a
            # replay page the history could not give: the client resumes from its last id.
            await self.aclose()
            raise StopAsyncIteration from None
        if event is None:
            return PING
        chunks = []
        while event is not None:
            chunks.append(_event_blocks.of(event))
            if self.end_after_final and event.final:
                self._ended = True
                break
            event = self.subscription.pop() if len(chunks) < _MAX_BATCH else None
        self._wrote_at = self.clock.ticks
        return b"".join(chunks)

    async def aclose(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            try:
                await context.__aexit__(None, None, None)
            finally:
                if self.on_close is not None:
                    self.on_close()
