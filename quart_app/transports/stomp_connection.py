"""Runs a STOMP session over a carrier: reads, starts operations, delivers events, writes.

``protocol/stomp_session.py`` decides; this carries it out. A reader feeds the
session what the client sends, a writer sends the session's frames and the
subscriptions' events at the pace of the shared write clock (``pacing.py``),
and a replayer reads history pages for replaying subscriptions. The carrier is
three callables, so a WebSocket and SockJS's transports drive the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..bus import Subscription
from ..config import Config
from ..errors import APIError
from ..events import StatusEvent
from ..protocol.stomp import encode_message_tail
from ..protocol.stomp_session import (
    HEARTBEAT,
    Action,
    Close,
    CloseSubscription,
    OpenSubscription,
    SendFrame,
    SessionLimits,
    StartOperation,
    StompSession,
)
from ..runtime import Service
from ..wakeup import Wakeup
from .encoding_cache import EncodingCache

log = logging.getLogger(__name__)

_session_ids = itertools.count(1)
# Frames waiting for one session go out together, as one carrier message of at most
# this size (STOMP clients split a message into frames at the NULs).
_MAX_MESSAGE_BYTES = 65_536
# A stalled client must not hold the session open once its close is decided.
_CLOSE_SECONDS = 5
# Replies (receipts, errors) held for a client that sends but does not read; past this
# the session is closed, or a client could make the server hold any amount of them.
_MAX_HELD_REPLY_BYTES = 1_048_576


def _encode_tail(event: StatusEvent) -> str:
    return encode_message_tail(str(event.event_id), event.json.encode()).decode()


# The per-event part of MESSAGE frames (``ack: auto``), shared by all subscriptions, as
# text for the writer's batches and as bytes for writes at delivery (``_write_now``).
_message_tails = EncodingCache(_encode_tail)
_message_tail_bytes = EncodingCache(lambda event: _message_tails.of(event).encode())


@dataclass(frozen=True, slots=True)
class Carrier:
    """How to talk to the client: receive a message, send text, close with a code; and,
    where the carrier can, write a message at once without waiting (False: not now)."""

    receive: Callable[[], Awaitable[str | bytes]]
    send: Callable[[str], Awaitable[None]]
    close: Callable[[int], Awaitable[None]]
    write_now: Callable[[bytes], bool] | None = None


@dataclass(slots=True)
class _Delivery:
    subscription: Subscription
    context: contextlib.AbstractAsyncContextManager[Subscription]
    ack: str
    head: str
    head_bytes: bytes


def session_limits(config: Config) -> SessionLimits:
    return SessionLimits(
        heartbeat_ms=config.stomp_heartbeat_ms,
        max_frame_bytes=config.stomp_max_frame_bytes,
        max_headers=config.stomp_max_headers,
        frame_timeout_seconds=config.stomp_frame_timeout_seconds,
        max_pending_frames=config.stomp_max_pending_frames,
        max_subscriptions=config.stomp_max_subscriptions,
    )


class StompConnection:
    """One client's STOMP session over ``carrier``, until either side closes it.

    ``required_token``: the API token CONNECT must carry, None when the carrier's
    handshake authenticated the client; ``client``: its address, for the cap on
    statements running at once per client.
    """

    def __init__(
        self,
        service: Service,
        carrier: Carrier,
        *,
        required_token: str | None = None,
        client: str = "local",
    ) -> None:
        self.service = service
        self.client = client
        self.session = StompSession(
            session_limits(service.config),
            operations=service.operations,
            session_id=f"session-{next(_session_ids)}",
            required_token=required_token,
            now=asyncio.get_running_loop().time(),
        )
        self._receive = carrier.receive
        self._send = carrier.send
        self._close = carrier.close
        self._write_now = carrier.write_now
        self._loop = asyncio.get_running_loop()
        # The write clock's tick and the loop's time of the last write of events (pacing,
        # see _write_loop), and of anything (heart-beats).
        self.wrote_tick = -1
        self._wrote_time = float("-inf")
        self._sent_at = self._loop.time()
        self._parked = False  # the writer waits for something to write
        self.deliveries: dict[str, _Delivery] = {}
        # Frames are kept as text: text messages are what STOMP clients get, and
        # joining text avoids decoding every batch again.
        self.control: list[str] = []
        self._control_bytes = 0
        self.wakeup = Wakeup()
        # Set once what was queued has been written and a subscription may be replaying:
        # then the replayer reads its next page (see _replay). The replayer is a task of
        # its own, started by the first subscription that replays: most never do.
        self.page_wanted = Wakeup()
        self._replayer: asyncio.Task[None] | None = None

    async def run(self) -> None:
        name = self.session.session_id
        writer = asyncio.create_task(self._write_loop(), name=f"stomp writer {name}")
        reader = asyncio.create_task(self._read_loop(), name=f"stomp reader {name}")
        try:
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                reader.result()  # it ends once the close is decided, or by a failure
                # The writer sends what is left, then the ERROR or receipt.
                self.wakeup.set()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(writer, timeout=_CLOSE_SECONDS)
            else:
                # The writer only ends by itself when the carrier failed under it, or after
                # the ERROR of a close decided elsewhere (close_for_room).
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                if (error := writer.exception()) is not None:
                    log.debug("STOMP session %s ended while writing: %r", name, error)
        finally:
            # Also reached when the client disconnects and Quart cancels this handler. The
            # tasks are awaited once cancelled, so that none is left pending, unreferenced.
            tasks = [reader, writer, *([self._replayer] if self._replayer else [])]
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=_CLOSE_SECONDS)
            for delivery in self.deliveries.values():
                await delivery.context.__aexit__(None, None, None)
            self.deliveries.clear()
        if (close := self.session.closing) is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._close(close.code), timeout=_CLOSE_SECONDS)
        self.session.connection_closed()

    def close_for_room(self) -> None:
        """End the session, to make room for another stream (see streams.py)."""
        self.session.make_room()
        self.wakeup.set()

    # Reading -----------------------------------------------------------------

    async def _read_loop(self) -> None:
        session = self.session
        loop = asyncio.get_running_loop()
        while session.closing is None:
            try:
                async with asyncio.timeout(session.read_timeout(loop.time())):
                    data = await self._receive()
            except TimeoutError:
                await self._carry_out(session.read_timed_out())
                return
            # A lone surrogate (SockJS's JSON can carry one) cannot be UTF-8: kept as the
            # bytes it stands for, the frame parser refuses it as it would any bad UTF-8.
            encoded = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            await self._carry_out(session.receive_data(encoded, loop.time()))
            if self._control_bytes > _MAX_HELD_REPLY_BYTES:
                await self._carry_out(session.not_reading(_MAX_HELD_REPLY_BYTES))

    async def _carry_out(self, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case SendFrame(frame=frame):
                    encoded = self.session.encode(frame)
                    self.control.append(encoded)
                    self._control_bytes += len(encoded)
                    self.wakeup.set()
                case OpenSubscription():
                    await self._open(action)
                case CloseSubscription(id=subscription_id):
                    if (delivery := self.deliveries.pop(subscription_id, None)) is not None:
                        await delivery.context.__aexit__(None, None, None)
                case StartOperation():
                    await self._carry_out(await self._start(action))
                case Close():
                    self.wakeup.set()  # the writer sends what is queued, then the close

    async def _open(self, action: OpenSubscription) -> None:
        context = self.service.bus.subscribe(
            action.destination,
            after_id=action.after_id,
            wakeup=self.wakeup,
            on_overflow=self._overflowed,
        )
        subscription = await context.__aenter__()  # reads nothing: the replayer reads pages
        delivery = _Delivery(subscription, context, action.ack, action.head, action.head.encode())
        self.deliveries[action.id] = delivery
        if self._write_now is not None and action.ack == "auto":
            subscription.immediate = functools.partial(self._immediately, delivery)
        if subscription.replaying:
            if self._replayer is None or self._replayer.done():
                name = f"stomp replayer {self.session.session_id}"
                self._replayer = asyncio.create_task(self._replay(), name=name)
            self.page_wanted.set()

    async def _start(self, action: StartOperation) -> list[Action]:
        try:
            job = await self.service.start(action.operation, action.body, client=self.client)
        except APIError as error:
            now = asyncio.get_running_loop().time()
            return self.session.operation_refused(error.code, error.message, now)
        return self.session.operation_started(job.request_id, asyncio.get_running_loop().time())

    def _overflowed(self, subscription: Subscription) -> None:
        self.wakeup.set()

    def _immediately(self, delivery: _Delivery, event: StatusEvent) -> bool:
        """Write ``event``'s MESSAGE at once, as the bus delivers it, when the writer would
        have written it alone: it waits with nothing queued (anything queued sets
        ``wakeup``), and it has not written since the write clock's last tick, or not for
        a window. True if written.

        At a trickle every event goes this way: one write per subscriber, and no task woken
        for it. A burst still leaves in batches: nothing is written at once while some
        stream waits for the clock (batching is under way) or while the bus's runs come
        close together, and a second event within the window is queued, for the writer
        to send at the clock's next tick (see pacing.py).
        """
        clock = self.service.write_clock
        if not self._parked or self.wakeup.is_set() or not clock.idle:
            return False
        now = self._loop.time()
        if clock.ticks == self.wrote_tick and now - self._wrote_time < clock.window:
            return False
        assert self._write_now is not None
        try:
            if not self._write_now(delivery.head_bytes + _message_tail_bytes.of(event)):
                return False
        except Exception:  # inside the bus's fan-out: the writer sends it instead
            log.debug("writing at once to %s failed", self.session.session_id, exc_info=True)
            return False
        self._wrote_time = self._sent_at = now
        self.wrote_tick = clock.ticks
        return True

    # Writing -----------------------------------------------------------------

    async def _write_loop(self) -> None:
        clock = self.service.write_clock
        while True:
            # A session that has just written waits for the clock's next tick, so that what
            # piles up meanwhile leaves as one message (see pacing.py); an idle one writes
            # at once.
            await clock.wait(since=self.wrote_tick)
            self.wakeup.clear()
            if sent := await self._flush():
                self.wrote_tick = clock.ticks
                self._wrote_time = self._sent_at = self._loop.time()
            if (close := self.session.closing) is not None:
                if close.error is not None:
                    await self._send(self.session.encode(close.error))
                return
            if any(d.subscription.replaying for d in self.deliveries.values()):
                self.page_wanted.set()  # what was queued is written: the next page may come
            if sent:
                continue
            # Waits for more; a heart-beat when the client was sent nothing for its interval.
            outgoing_ms = self.session.outgoing_ms
            self._parked = True
            try:
                async with asyncio.timeout_at(
                    self._sent_at + outgoing_ms / 1000 if outgoing_ms else None
                ):
                    await self.wakeup.wait()
            except TimeoutError:
                self._parked = False
                await self._send(HEARTBEAT)
                self._sent_at = self._loop.time()
            finally:
                self._parked = False

    async def _flush(self) -> bool:
        frames, self.control = self.control, []
        self._control_bytes = 0
        try:
            self._collect(frames)
        finally:
            await self._write_all(frames)  # what was collected goes out, even on a cut-off
        return bool(frames)

    def _collect(self, frames: list[str]) -> None:
        """Append the pending MESSAGE frames of every subscription to ``frames``."""
        for subscription_id, delivery in list(self.deliveries.items()):
            subscription = delivery.subscription
            if subscription.ended:
                self.session.server_stopping()
            if subscription.overflowed:
                self.session.slow_consumer(subscription_id, subscription.max_pending)
                return
            head = delivery.head
            if delivery.ack == "auto":
                tail_of = _message_tails.of
                while (event := subscription.pop()) is not None:
                    frames.append(head + tail_of(event))
            else:
                while (event := subscription.pop()) is not None:
                    event_id = str(event.event_id)
                    tail = encode_message_tail(event_id, event.json.encode(), ack=event_id)
                    frames.append(head + tail.decode())

    async def _write_all(self, frames: list[str]) -> None:
        batch: list[str] = []
        size = 0
        for frame in frames:
            if batch and size + len(frame) > _MAX_MESSAGE_BYTES:
                await self._send("".join(batch))
                batch, size = [], 0
            batch.append(frame)
            size += len(frame)
        if batch:
            await self._send("".join(batch))

    async def _replay(self) -> None:
        """Read a page for one replaying subscription whenever the last has been written.

        Beside the writer, which so never waits for the history or for the replays' turn
        (``ReplayRate``) while live events are queued; and only once what was queued has
        been written, so that a session holds a page of history at a time, however many
        subscriptions replay and however slowly its client reads.
        """
        while self.session.closing is None:
            await self.page_wanted.wait()
            self.page_wanted.clear()
            for subscription_id, delivery in list(self.deliveries.items()):
                subscription = delivery.subscription
                if not subscription.replaying:
                    continue
                try:
                    await subscription.fill()
                except APIError as error:  # the history to replay from cannot be read
                    self.session.replay_failed(subscription_id, error.code, error.message)
                    self.wakeup.set()
                    return
                if not subscription.pending:  # nothing to write, so nothing will ask again
                    self.page_wanted.set()
                break
