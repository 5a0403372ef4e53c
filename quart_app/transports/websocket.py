"""STOMP 1.2 sessions over WebSocket at ``/ws``: a thin adapter between frames and the bus."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from quart import Blueprint, websocket
from quart_cors import cors_exempt

from ..auth import presented_token, token_matches
from ..bus import Destination, Subscription
from ..errors import APIError
from ..events import MAX_EVENT_ID, parse_event_id
from ..protocol.json_body import parse_json_body
from ..protocol.stomp import (
    Frame,
    FrameParser,
    StompProtocolError,
    encode_frame,
    encode_message_head,
    encode_message_tail,
    negotiate_heartbeat,
    negotiate_version,
    parse_heartbeat,
)
from ..runtime import Service, current_service
from ..streams import client_of

log = logging.getLogger(__name__)

blueprint = Blueprint("stomp", __name__)

SUBPROTOCOLS = ("v12.stomp", "v11.stomp", "v10.stomp")
SERVER_NAME = "quart_app/0.1"
_session_ids = itertools.count(1)
# Frames waiting for one session go out together, as one WebSocket message of at most
# this size (STOMP clients split a message into frames at the NULs).
_MAX_MESSAGE_BYTES = 65_536


@blueprint.websocket("/ws")
@cors_exempt  # CORS does not apply to WebSockets; STOMP clients often send no Origin at all
async def stomp_endpoint() -> None:
    service = current_service()
    address = websocket.remote_addr or "unknown"
    # Refused (429) before the handshake completes when this client holds its share
    # already; when the server holds all it may, another stream is closed to make room.
    admitted = service.streams.admit(address)
    try:
        offered = websocket.requested_subprotocols
        chosen = next((name for name in SUBPROTOCOLS if name in offered), None)
        await websocket.accept(subprotocol=chosen)
        token = service.config.api_token
        authorization = websocket.headers.get("Authorization")
        authenticated = token is None or token_matches(
            token, presented_token(authorization, websocket.args.get("access_token"))
        )
        session = StompSession(
            service, authenticated=authenticated, client=client_of(websocket.scope.get("client"))
        )
        admitted.on_end(session.close_for_room)
        await session.run()
    finally:
        service.streams.release(admitted)


class CloseSession(Exception):
    """Ends the session: an ERROR frame (when ``message`` is set), then the close."""

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: str = "",
        code: int = 1000,
        receipt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.code = code
        self.receipt = receipt


@dataclass(slots=True)
class _Subscribed:
    destination: str
    subscription: Subscription
    context: contextlib.AbstractAsyncContextManager[Subscription]
    ack: str
    head: str  # the MESSAGE command and headers shared by every frame of this subscription


class StompSession:
    def __init__(
        self, service: Service, *, authenticated: bool = True, client: str = "local"
    ) -> None:
        config = service.config
        self.client = client  # the peer's address: statements at once are capped per client
        # False while the server's API token is still owed, in CONNECT's passcode.
        self.authenticated = authenticated
        self.service = service
        self.config = config
        self.session_id = f"session-{next(_session_ids)}"
        self.parser = FrameParser(
            max_frame_bytes=config.stomp_max_frame_bytes, max_headers=config.stomp_max_headers
        )
        self.version: str | None = None
        self.outgoing_ms = 0
        self.incoming_ms = 0
        self.subscriptions: dict[str, _Subscribed] = {}
        # Frames are kept as text: WebSocket text messages are what STOMP clients get, and
        # joining text avoids decoding every batch again.
        self.control: deque[str] = deque()
        self.wakeup = asyncio.Event()
        # Set once what was queued has been written and a subscription may be replaying:
        # then the replayer reads its next page (see _replay).
        self.page_wanted = asyncio.Event()
        self.closing: CloseSession | None = None
        self._send_text = _raw_send(websocket)
        # When the frame being received must be complete (CONNECT: counted from the
        # handshake). A deadline, not an idle timeout: one byte at a time must not
        # keep a frame open for ever.
        self._frame_deadline: float | None = (
            asyncio.get_running_loop().time() + config.stomp_frame_timeout_seconds
        )

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_loop(), name=f"stomp writer {self.session_id}")
        replayer = asyncio.create_task(self._replay(), name=f"stomp replayer {self.session_id}")
        reader = asyncio.create_task(self._read_loop(), name=f"stomp reader {self.session_id}")
        try:
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                if (error := reader.exception()) is not None:
                    raise error
                await writer  # the writer sends what is left, then the ERROR or receipt
            else:
                # The writer only ends by itself when the socket failed under it, or after
                # the ERROR of a close decided elsewhere (close_for_room).
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                if (error := writer.exception()) is not None:
                    log.debug("STOMP session %s ended while writing: %r", self.session_id, error)
        except CloseSession as close:
            self.closing = close
            await self._finish_writer(writer)
        finally:
            # Also reached when the client disconnects and Quart cancels this handler.
            reader.cancel()
            writer.cancel()
            replayer.cancel()
            for subscribed in self.subscriptions.values():
                await subscribed.context.__aexit__(None, None, None)
            self.subscriptions.clear()
        if self.closing is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(self.closing.code), timeout=5)

    async def _finish_writer(self, writer: asyncio.Task[None]) -> None:
        self.wakeup.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(writer, timeout=5)

    # Reading ---------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._read_timeout()):
                    data = await websocket.receive()
            except TimeoutError:
                raise self._timeout_error() from None
            try:
                frames = self.parser.feed(data.encode() if isinstance(data, str) else data)
            except StompProtocolError as error:
                raise CloseSession("malformed frame", detail=str(error), code=1002) from None
            if len(frames) > self.config.stomp_max_pending_frames:
                raise CloseSession(
                    "too many frames at once",
                    detail=f"{len(frames)} frames arrived together; at most "
                    f"{self.config.stomp_max_pending_frames} are taken "
                    "(QUART_APP_STOMP_MAX_PENDING_FRAMES)",
                    code=1008,
                )
            for frame in frames:
                await self._handle(frame)
            if not self.parser.pending:
                if self.version is not None:
                    self._frame_deadline = None
            elif self._frame_deadline is None or frames:  # a new frame began
                self._frame_deadline = (
                    asyncio.get_running_loop().time() + self.config.stomp_frame_timeout_seconds
                )

    def _read_timeout(self) -> float | None:
        limits = []
        if self._frame_deadline is not None:
            limits.append(max(0.0, self._frame_deadline - asyncio.get_running_loop().time()))
        if self.incoming_ms:
            limits.append(2 * self.incoming_ms / 1000)  # the spec leaves slack to the server
        return min(limits) if limits else None

    def _timeout_error(self) -> CloseSession:
        if self.version is None:
            return CloseSession("no CONNECT frame received in time", code=1008)
        if self.parser.pending:
            return CloseSession("incomplete frame: the rest did not arrive in time", code=1008)
        return CloseSession(f"no heart-beat received within {2 * self.incoming_ms} ms", code=1008)

    async def _handle(self, frame: Frame) -> None:
        receipt = frame.headers.get("receipt")
        try:
            if frame.command in ("CONNECT", "STOMP"):
                self._connect(frame)
                return
            if self.version is None:
                raise CloseSession("CONNECT expected", detail=f"got {frame.command} before CONNECT")
            handler = _HANDLERS.get(frame.command)
            if handler is None:
                raise CloseSession(
                    f"{frame.command} is not supported", detail="transactions are not supported"
                )
            receipt_headers = await handler(self, frame)
        except CloseSession as close:
            close.receipt = close.receipt or receipt
            if close.code == 1000 and close.message is not None:
                close.code = 1002
            raise
        if receipt is not None:
            self._send_control(Frame("RECEIPT", {"receipt-id": receipt, **(receipt_headers or {})}))

    def _connect(self, frame: Frame) -> None:
        if self.version is not None:
            raise CloseSession("already connected")
        version = negotiate_version(frame.headers.get("accept-version"))
        if version is None:
            raise CloseSession(
                "unsupported STOMP version", detail="this server speaks STOMP 1.0, 1.1 and 1.2"
            )
        if not self.authenticated:
            token = self.config.api_token
            assert token is not None
            if not token_matches(token, frame.headers.get("passcode")):
                raise CloseSession(
                    "unauthorized",
                    detail="this server needs its API token: give it as CONNECT's passcode, "
                    "or as Authorization: Bearer (or ?access_token=) on the WebSocket handshake",
                    code=1008,
                )
            self.authenticated = True
        try:
            client_heartbeat = parse_heartbeat(frame.headers.get("heart-beat"))
        except StompProtocolError as error:
            raise CloseSession("malformed frame", detail=str(error)) from None
        offer = self.config.stomp_heartbeat_ms
        self.outgoing_ms, self.incoming_ms = negotiate_heartbeat(client_heartbeat, (offer, offer))
        self.version = self.parser.version = version
        self._send_control(
            Frame(
                "CONNECTED",
                {
                    "version": version,
                    "heart-beat": f"{offer},{offer}",
                    "server": SERVER_NAME,
                    "session": self.session_id,
                },
            )
        )

    async def _subscribe(self, frame: Frame) -> None:
        subscription_id = _required(frame, "id")
        path = _required(frame, "destination")
        if subscription_id in self.subscriptions:
            raise CloseSession(
                "duplicate subscription id", detail=f"id {subscription_id!r} is already subscribed"
            )
        if len(self.subscriptions) >= self.config.stomp_max_subscriptions:
            raise CloseSession(
                "too many subscriptions",
                detail=f"a session may hold {self.config.stomp_max_subscriptions} subscriptions "
                "(QUART_APP_STOMP_MAX_SUBSCRIPTIONS); unsubscribe first",
                code=1008,
            )
        destination = Destination.parse(path)
        if destination is None:
            raise CloseSession(
                "unknown destination",
                detail=f"{path!r}: subscribe to /topic/nl-to-sql, /topic/query-execution "
                "or /topic/requests/{requestId}",
            )
        after_id = None
        if (last_event_id := frame.headers.get("last-event-id")) is not None:
            after_id = parse_event_id(last_event_id)
            if after_id is None:
                raise CloseSession(
                    "invalid last-event-id",
                    detail=f"{last_event_id[:40]!r} is not an eventId "
                    f"(an integer from 0 to {MAX_EVENT_ID})",
                )
        context = self.service.bus.subscribe(
            destination, after_id=after_id, wakeup=self.wakeup, on_overflow=self._overflowed
        )
        subscription = await context.__aenter__()  # reads nothing: the writer reads replays
        ack = frame.headers.get("ack", "auto")
        head = encode_message_head(path, subscription_id, version=self.version or "1.2").decode()
        self.subscriptions[subscription_id] = _Subscribed(path, subscription, context, ack, head)
        if subscription.replaying:
            self.page_wanted.set()

    async def _unsubscribe(self, frame: Frame) -> None:
        subscribed = self.subscriptions.pop(_required(frame, "id"), None)
        if subscribed is not None:
            await subscribed.context.__aexit__(None, None, None)

    async def _send(self, frame: Frame) -> dict[str, str]:
        destination = _required(frame, "destination")
        operation = destination.removeprefix("/app/")
        if operation == destination or operation not in self.service.operations:
            raise CloseSession("unknown destination", detail=f"cannot SEND to {destination!r}")
        try:
            body: Any = parse_json_body(frame.body) if frame.body.strip() else {}
            job = await self.service.start(operation, body, client=self.client)
        except APIError as error:
            raise CloseSession(error.code, detail=error.message) from None
        return {"request-id": job.request_id}

    async def _disconnect(self, frame: Frame) -> None:
        if (receipt := frame.headers.get("receipt")) is not None:
            self._send_control(Frame("RECEIPT", {"receipt-id": receipt}))
        raise CloseSession(None, code=1000)

    async def _ignore(self, frame: Frame) -> None:
        """ACK and NACK: delivery is at-most-once, so acknowledgements change nothing."""

    # Writing ---------------------------------------------------------------

    def _send_control(self, frame: Frame) -> None:
        self.control.append(encode_frame(frame, version=self.version or "1.2").decode())
        self.wakeup.set()

    def _overflowed(self, subscription: Subscription) -> None:
        self.wakeup.set()

    def close_for_room(self) -> None:
        """End the session, to make room for another stream (see streams.py)."""
        self.closing = self.closing or CloseSession(
            "closed to make room",
            detail="the server holds as many streams as it may (QUART_APP_MAX_STREAMS), and "
            "this was the oldest of the address holding the most; reconnect and subscribe "
            "with last-event-id to resume",
            code=1013,  # try again later
        )
        self.wakeup.set()

    async def _write_loop(self) -> None:
        heartbeat = "\n"
        clock = self.service.write_clock
        wrote_at = -1
        while True:
            # A session that has just written waits for the clock's next tick, so that what
            # piles up meanwhile leaves as one message (see pacing.py); an idle one writes
            # at once.
            await clock.wait(since=wrote_at)
            self.wakeup.clear()
            if sent := await self._flush():
                wrote_at = clock.ticks
            if self.closing is not None:
                close = self.closing
                if close.message is not None:
                    headers = {"message": close.message, "content-type": "text/plain"}
                    if close.receipt is not None:
                        headers["receipt-id"] = close.receipt
                    await self._write(
                        encode_frame(
                            Frame("ERROR", headers, close.detail.encode()),
                            version=self.version or "1.2",
                        ).decode()
                    )
                return
            if any(s.subscription.replaying for s in self.subscriptions.values()):
                self.page_wanted.set()  # what was queued is written: the next page may come
            if sent:
                continue
            try:
                async with asyncio.timeout(self.outgoing_ms / 1000 if self.outgoing_ms else None):
                    await self.wakeup.wait()
            except TimeoutError:
                await self._write(heartbeat)

    async def _flush(self) -> bool:
        frames: list[str] = list(self.control)
        self.control.clear()
        try:
            self._collect(frames)
        finally:
            await self._write_all(frames)  # what was collected goes out, even on a cut-off
        return bool(frames)

    async def _replay(self) -> None:
        """Read a page for one replaying subscription whenever the last has been written.

        Beside the writer, which so never waits for the history or for the replays' turn
        (``ReplayRate``) while live events are queued; and only once what was queued has
        been written, so that a session holds a page of history at a time, however many
        subscriptions replay and however slowly its client reads.
        """
        while self.closing is None:
            await self.page_wanted.wait()
            self.page_wanted.clear()
            for subscription_id, subscribed in list(self.subscriptions.items()):
                subscription = subscribed.subscription
                if not subscription.replaying:
                    continue
                try:
                    await subscription.fill()
                except APIError as error:  # the history to replay from cannot be read
                    self.closing = self.closing or CloseSession(
                        error.code, detail=f"subscription {subscription_id!r}: {error.message}"
                    )
                    self.wakeup.set()
                    return
                if not subscription.pending:  # nothing to write, so nothing will ask again
                    self.page_wanted.set()
                break

    def _collect(self, frames: list[str]) -> None:
        """Append the pending MESSAGE frames of every subscription to ``frames``."""
        for subscription_id, subscribed in list(self.subscriptions.items()):
            subscription = subscribed.subscription
            if subscription.ended and self.closing is None:
                self.closing = CloseSession(
                    "server shutting down",
                    detail="reconnect with last-event-id to resume",
                    code=1001,
                )
            if subscription.overflowed:
                self.closing = self.closing or CloseSession(
                    "slow consumer",
                    detail=f"subscription {subscription_id!r} fell more than "
                    f"{subscription.max_pending} events behind",
                    code=1008,
                )
                return
            while (event := subscription.pop()) is not None:
                if subscribed.ack == "auto":
                    tail = encode_message_tail(str(event.event_id), event.json.encode()).decode()
                else:
                    tail = encode_message_tail(
                        str(event.event_id), event.json.encode(), ack=str(event.event_id)
                    ).decode()
                frames.append(subscribed.head + tail)

    async def _write_all(self, frames: list[str]) -> None:
        batch: list[str] = []
        size = 0
        for frame in frames:
            if batch and size + len(frame) > _MAX_MESSAGE_BYTES:
                await self._write("".join(batch))
                batch, size = [], 0
            batch.append(frame)
            size += len(frame)
        if batch:
            await self._write("".join(batch))

    async def _write(self, text: str) -> None:
        await self._send_text(text)


def _raw_send(connection: Any) -> Callable[[str], Awaitable[None]]:
    """The connection's send, without the turn of the event loop Quart adds to each message.

    ``Websocket.send`` yields (``asyncio.sleep(0)``) before every message, for handlers that
    would otherwise send in a tight loop. The writer here already waits between writes, and
    under load that extra turn doubles the event-loop steps per message and splits each
    burst of writes in two. ``_send`` is the callable ``send`` ends in, after the yield and
    an ``accept`` that has already happened; without it (another Quart), ``send`` is used.
    """
    send: Callable[[str], Awaitable[None]] = getattr(connection, "_send", None) or connection.send
    return send


def _required(frame: Frame, name: str) -> str:
    value = frame.headers.get(name)
    if value is None or value == "":
        raise CloseSession(
            f"missing {name} header", detail=f"{frame.command} needs a {name} header"
        )
    return value


_HANDLERS = {
    "SUBSCRIBE": StompSession._subscribe,
    "UNSUBSCRIBE": StompSession._unsubscribe,
    "SEND": StompSession._send,
    "DISCONNECT": StompSession._disconnect,
    "ACK": StompSession._ignore,
    "NACK": StompSession._ignore,
}
