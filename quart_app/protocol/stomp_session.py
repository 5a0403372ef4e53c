"""One STOMP session's rules as a state machine: frames and time in, actions out, no I/O.

The session negotiates CONNECT, checks the token, keeps the subscription ids,
turns ``SEND /app/...`` into an operation to start and answers receipts; what
it decides comes back as actions (frames to send, subscriptions to open or close,
an operation to start, the close). The adapter around it owns the carrier (a
WebSocket, later SockJS), the bus subscriptions and the clock, and reports back
how each operation it was asked to start went.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Final

from ..auth import token_matches
from ..bus import Destination
from ..errors import InvalidRequest
from ..events import MAX_EVENT_ID, parse_event_id
from .json_body import parse_json_body
from .stomp import (
    Frame,
    FrameParser,
    StompProtocolError,
    encode_frame,
    encode_message_head,
    negotiate_heartbeat,
    negotiate_version,
    parse_heartbeat,
)

SERVER_NAME: Final = "quart_app/0.1"
HEARTBEAT: Final = "\n"
# WebSocket-style close codes: the reason a carrier gives when it closes.
NORMAL, GOING_AWAY, PROTOCOL_ERROR, POLICY_VIOLATION, TRY_AGAIN_LATER = 1000, 1001, 1002, 1008, 1013


class State(enum.Enum):
    AWAITING_CONNECT = enum.auto()
    CONNECTED = enum.auto()
    CLOSING = enum.auto()  # the close is decided: what is queued goes out, then ``closing``
    CLOSED = enum.auto()


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """What the session allows its client (``QUART_APP_STOMP_*``)."""

    heartbeat_ms: int = 10_000
    max_frame_bytes: int = 1_048_576
    max_headers: int = 64
    frame_timeout_seconds: float = 10.0
    max_pending_frames: int = 100
    max_subscriptions: int = 64


@dataclass(frozen=True, slots=True)
class SendFrame:
    frame: Frame


@dataclass(frozen=True, slots=True)
class OpenSubscription:
    id: str
    destination: Destination
    after_id: int | None  # replay kept events after this eventId first; None: live only
    ack: str
    head: str  # the MESSAGE command and headers shared by every frame of this subscription


@dataclass(frozen=True, slots=True)
class CloseSubscription:
    id: str


@dataclass(frozen=True, slots=True)
class StartOperation:
    """Start ``operation`` with ``body``, then call ``operation_started`` or ``_refused``."""

    operation: str
    body: Any


@dataclass(frozen=True, slots=True)
class Close:
    """Send what is queued, then ``error`` (when set), then close the carrier with ``code``."""

    code: int
    error: Frame | None = None


Action = SendFrame | OpenSubscription | CloseSubscription | StartOperation | Close


class StompSession:
    """A STOMP 1.0 to 1.2 server session, fed by :meth:`receive_data` and the other inputs.

    ``required_token``: the API token CONNECT's ``passcode`` must carry, or None
    when the carrier's handshake has authenticated the client already (or no
    token is needed). ``now`` is any monotonic clock in seconds, the same for
    every call.
    """

    def __init__(
        self,
        limits: SessionLimits,
        *,
        operations: Collection[str],
        session_id: str,
        required_token: str | None = None,
        now: float = 0.0,
    ) -> None:
        self.limits = limits
        self.operations = operations
        self.session_id = session_id
        self.state = State.AWAITING_CONNECT
        self.version: str | None = None
        self.outgoing_ms = 0  # heart-beats: the server sends every, expects every (0: never)
        self.incoming_ms = 0
        self.closing: Close | None = None
        self._required_token = required_token
        self._parser = FrameParser(
            max_frame_bytes=limits.max_frame_bytes, max_headers=limits.max_headers
        )
        self._subscriptions: set[str] = set()
        self._held: list[Frame] = []  # received, waiting for an operation to start
        self._starting: Frame | None = None  # the SEND whose operation is being started
        self._new_frame = False  # a frame began since the deadline was last set
        # When the frame being received must be complete (CONNECT: counted from the
        # start). A deadline, not an idle timeout: a byte at a time must not keep a
        # frame open for ever.
        self._frame_deadline: float | None = now + limits.frame_timeout_seconds
        self._handlers: dict[str, Callable[[Frame], list[Action]]] = {
            "SUBSCRIBE": self._subscribe,
            "UNSUBSCRIBE": self._unsubscribe,
            "SEND": self._send,
            "DISCONNECT": self._disconnect,
            "ACK": self._receipt,  # delivery is at-most-once: acknowledgements change nothing
            "NACK": self._receipt,
        }

    # Inputs ----------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[Action]:
        """Bytes from the client, as they came (part of a frame, or several)."""
        if self.closing is not None:
            return []
        try:
            frames = self._parser.feed(data)
        except StompProtocolError as error:
            return self._close("malformed frame", str(error), code=PROTOCOL_ERROR)
        if len(frames) > self.limits.max_pending_frames:
            return self._close(
                "too many frames at once",
                f"{len(frames)} frames arrived together; at most "
                f"{self.limits.max_pending_frames} are taken "
                "(QUART_APP_STOMP_MAX_PENDING_FRAMES)",
                code=POLICY_VIOLATION,
            )
        self._held.extend(frames)
        self._new_frame = self._new_frame or bool(frames)
        return self._run(now)

    def operation_started(self, request_id: str, now: float) -> list[Action]:
        """The operation of the last :class:`StartOperation` runs as ``request_id``."""
        frame, self._starting = self._starting, None
        if frame is None or self.closing is not None:
            return []
        return self._receipt(frame, **{"request-id": request_id}) + self._run(now)

    def operation_refused(self, code: str, message: str, now: float) -> list[Action]:
        """The operation of the last :class:`StartOperation` was refused (an ``APIError``)."""
        frame, self._starting = self._starting, None
        if frame is None:
            return []
        return self._refuse(frame, code, message)

    def read_timeout(self, now: float) -> float | None:
        """Seconds the next data may take to come, or None for no limit."""
        limits = []
        if self._frame_deadline is not None:
            limits.append(max(0.0, self._frame_deadline - now))
        if self.incoming_ms:
            limits.append(2 * self.incoming_ms / 1000)  # the spec leaves slack to the server
        return min(limits) if limits else None

    def read_timed_out(self) -> list[Action]:
        """Nothing came within :meth:`read_timeout`."""
        if self.version is None:
            return self._close("no CONNECT frame received in time", code=POLICY_VIOLATION)
        if self._parser.pending:
            return self._close(
                "incomplete frame: the rest did not arrive in time", code=POLICY_VIOLATION
            )
        return self._close(
            f"no heart-beat received within {2 * self.incoming_ms} ms", code=POLICY_VIOLATION
        )

    def make_room(self) -> list[Action]:
        """The server closes this session to let another stream in (streams.py)."""
        return self._close(
            "closed to make room",
            "the server holds as many streams as it may (QUART_APP_MAX_STREAMS), and "
            "this was the oldest of the address holding the most; reconnect and subscribe "
            "with last-event-id to resume",
            code=TRY_AGAIN_LATER,
        )

    def server_stopping(self) -> list[Action]:
        return self._close(
            "server shutting down", "reconnect with last-event-id to resume", code=GOING_AWAY
        )

    def slow_consumer(self, subscription_id: str, max_pending: int) -> list[Action]:
        return self._close(
            "slow consumer",
            f"subscription {subscription_id!r} fell more than {max_pending} events behind",
            code=POLICY_VIOLATION,
        )

    def not_reading(self, held_bytes: int) -> list[Action]:
        """The client keeps sending but reads none of the replies: stop holding them."""
        return self._close(
            "slow consumer",
            f"more than {held_bytes} bytes of replies (receipts, errors) are waiting for "
            "this client, which does not read them",
            code=POLICY_VIOLATION,
        )

    def replay_failed(self, subscription_id: str, code: str, message: str) -> list[Action]:
        """The history a subscription replays from cannot be read (an ``APIError``)."""
        return self._close(code, f"subscription {subscription_id!r}: {message}", code=NORMAL)

    def connection_closed(self) -> None:
        self.state = State.CLOSED
        self._held.clear()

    def encode(self, frame: Frame) -> str:
        """``frame`` as text, escaped as the negotiated version says."""
        return encode_frame(frame, version=self.version or "1.2").decode()

    # Frames ------------------------------------------------------------------

    def _run(self, now: float) -> list[Action]:
        """Handle held frames until none is left, an operation is to start, or the close."""
        actions: list[Action] = []
        while self._held and self._starting is None and self.closing is None:
            actions += self._handle(self._held.pop(0))
        if not self._held and self._starting is None and self.closing is None:
            self._set_deadline(now)
        return actions

    def _set_deadline(self, now: float) -> None:
        if not self._parser.pending:
            if self.version is not None:
                self._frame_deadline = None
        elif self._frame_deadline is None or self._new_frame:
            self._frame_deadline = now + self.limits.frame_timeout_seconds
        self._new_frame = False

    def _handle(self, frame: Frame) -> list[Action]:
        if frame.command in ("CONNECT", "STOMP"):
            return self._connect(frame)
        if self.state is State.AWAITING_CONNECT:
            return self._refuse(frame, "CONNECT expected", f"got {frame.command} before CONNECT")
        handler = self._handlers.get(frame.command)
        if handler is None:
            return self._refuse(
                frame, f"{frame.command} is not supported", "transactions are not supported"
            )
        return handler(frame)

    def _connect(self, frame: Frame) -> list[Action]:
        if self.state is State.CONNECTED:
            return self._refuse(frame, "already connected")
        version = negotiate_version(frame.headers.get("accept-version"))
        if version is None:
            return self._refuse(
                frame, "unsupported STOMP version", "this server speaks STOMP 1.0, 1.1 and 1.2"
            )
        token = self._required_token
        if token is not None and not token_matches(token, frame.headers.get("passcode")):
            return self._refuse(
                frame,
                "unauthorized",
                "this server needs its API token: give it as CONNECT's passcode, "
                "or as Authorization: Bearer (or ?access_token=) on the WebSocket handshake "
                "or the SockJS URL",
                code=POLICY_VIOLATION,
            )
        try:
            client_heartbeat = parse_heartbeat(frame.headers.get("heart-beat"))
        except StompProtocolError as error:
            return self._refuse(frame, "malformed frame", str(error))
        offer = self.limits.heartbeat_ms
        self.outgoing_ms, self.incoming_ms = negotiate_heartbeat(client_heartbeat, (offer, offer))
        self.version = self._parser.version = version
        self.state = State.CONNECTED
        self._required_token = None
        connected = {
            "version": version,
            "heart-beat": f"{offer},{offer}",
            "server": SERVER_NAME,
            "session": self.session_id,
        }
        return [SendFrame(Frame("CONNECTED", connected))]

    def _subscribe(self, frame: Frame) -> list[Action]:
        if (missing := _missing(frame, "id", "destination")) is not None:
            return self._refuse(frame, *missing)
        subscription_id, path = frame.headers["id"], frame.headers["destination"]
        if subscription_id in self._subscriptions:
            return self._refuse(
                frame,
                "duplicate subscription id",
                f"id {subscription_id!r} is already subscribed",
            )
        if len(self._subscriptions) >= self.limits.max_subscriptions:
            return self._refuse(
                frame,
                "too many subscriptions",
                f"a session may hold {self.limits.max_subscriptions} subscriptions "
                "(QUART_APP_STOMP_MAX_SUBSCRIPTIONS); unsubscribe first",
                code=POLICY_VIOLATION,
            )
        destination = Destination.parse(path)
        if destination is None:
            return self._refuse(
                frame,
                "unknown destination",
                f"{path!r}: subscribe to /topic/nl-to-sql, /topic/query-execution "
                "or /topic/requests/{requestId}",
            )
        after_id = None
        if (last_event_id := frame.headers.get("last-event-id")) is not None:
            after_id = parse_event_id(last_event_id)
            if after_id is None:
                return self._refuse(
                    frame,
                    "invalid last-event-id",
                    f"{last_event_id[:40]!r} is not an eventId "
                    f"(an integer from 0 to {MAX_EVENT_ID})",
                )
        self._subscriptions.add(subscription_id)
        head = encode_message_head(path, subscription_id, version=self.version or "1.2").decode()
        ack = frame.headers.get("ack", "auto")
        opened = OpenSubscription(subscription_id, destination, after_id, ack, head)
        return [opened, *self._receipt(frame)]

    def _unsubscribe(self, frame: Frame) -> list[Action]:
        if (missing := _missing(frame, "id")) is not None:
            return self._refuse(frame, *missing)
        subscription_id = frame.headers["id"]
        if subscription_id not in self._subscriptions:
            return self._receipt(frame)
        self._subscriptions.discard(subscription_id)
        return [CloseSubscription(subscription_id), *self._receipt(frame)]

    def _send(self, frame: Frame) -> list[Action]:
        if (missing := _missing(frame, "destination")) is not None:
            return self._refuse(frame, *missing)
        destination = frame.headers["destination"]
        operation = destination.removeprefix("/app/")
        if operation == destination or operation not in self.operations:
            return self._refuse(frame, "unknown destination", f"cannot SEND to {destination!r}")
        try:
            body: Any = parse_json_body(frame.body) if frame.body.strip() else {}
        except InvalidRequest as error:
            return self._refuse(frame, error.code, error.message)
        self._starting = frame
        return [StartOperation(operation, body)]

    def _disconnect(self, frame: Frame) -> list[Action]:
        actions = self._receipt(frame)
        return actions + self._close(None, code=NORMAL)

    def _receipt(self, frame: Frame, **headers: str) -> list[Action]:
        """A RECEIPT for ``frame`` when it asked for one."""
        if (receipt := frame.headers.get("receipt")) is None:
            return []
        return [SendFrame(Frame("RECEIPT", {"receipt-id": receipt, **headers}))]

    # The close -------------------------------------------------------------

    def _refuse(
        self, frame: Frame, message: str, detail: str = "", *, code: int = PROTOCOL_ERROR
    ) -> list[Action]:
        """ERROR for a frame the session will not take (with its receipt-id), then the close."""
        return self._close(message, detail, code=code, receipt=frame.headers.get("receipt"))

    def _close(
        self, message: str | None, detail: str = "", *, code: int, receipt: str | None = None
    ) -> list[Action]:
        """Decide the close; the first one decided is the one carried out."""
        if self.closing is not None:
            return []
        error = None
        if message is not None:
            headers = {"message": message, "content-type": "text/plain"}
            if receipt is not None:
                headers["receipt-id"] = receipt
            error = Frame("ERROR", headers, detail.encode())
        self.closing = Close(code, error)
        self.state = State.CLOSING
        self._held.clear()
        return [self.closing]


def _missing(frame: Frame, *names: str) -> tuple[str, str] | None:
    """The message and detail for the first of ``names`` that ``frame`` lacks or leaves empty."""
    for name in names:
        if not frame.headers.get(name):
            return f"missing {name} header", f"{frame.command} needs a {name} header"
    return None
