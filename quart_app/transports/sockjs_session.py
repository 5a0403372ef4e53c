"""A SockJS session: the application's carrier on one side, receiving requests on the other.

The application (a STOMP session) talks to a :class:`~.stomp_connection.Carrier`:
it receives the messages the client sent, sends text, closes with a code. A
SockJS session turns that into frames for whichever receiving request is
attached at the moment (a WebSocket, a streaming response, one poll), and
outlives the gaps between them: a session without a receiver for its
disconnect delay is closed, and its application cancelled, so a browser that
went away without closing leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..protocol.sockjs import (
    ANOTHER_CONNECTION,
    HEARTBEAT,
    INTERRUPTED,
    OPEN,
    close_frame,
    encode_messages,
)
from .stomp_connection import Carrier

log = logging.getLogger(__name__)

# What the application may have sent and no receiver has taken yet; beyond it, its
# sends wait, as a WebSocket's do on a client that does not read.
_OUTBOX_BYTES = 262_144
# Messages the client sent that the application has not read yet; beyond it, xhr_send
# waits.
_INBOX_MESSAGES = 256

Application = Callable[[Carrier], Awaitable[None]]


class State(enum.Enum):
    NEW = enum.auto()  # the open frame has not been sent
    OPEN = enum.auto()
    CLOSED = enum.auto()  # the close frame is decided: every receiver gets it until reaped


@dataclass(frozen=True, slots=True)
class Options:
    """How sessions behave (``QUART_APP_SOCKJS_*`` for the service's own ``/ws``)."""

    heartbeat_seconds: float = 25.0
    disconnect_delay_seconds: float = 5.0
    response_limit_bytes: int = 131_072  # a streaming response ends after this much
    websocket: bool = True
    cookie_needed: bool = False


class AnotherReceiver(Exception):
    """A receiving request came while another one is still attached."""


class SockJSSession:
    """One session and its application, fed by whichever receiver is attached.

    ``credential``: the token presented by the request that opened the session;
    later requests on it must present the same one. A session opened without one is
    held by the opener's ``address``: later requests must come from there.
    """

    def __init__(
        self,
        session_id: str,
        application: Application,
        options: Options,
        *,
        credential: str | None = None,
        address: str | None = None,
        on_gone: Callable[[SockJSSession], None] | None = None,
    ) -> None:
        self.session_id = session_id
        self.options = options
        self.credential = credential
        self.address = address
        self.state = State.NEW
        self._opened = False
        self._close_frame = ""
        self._outbox: list[str] = []
        self._outbox_bytes = 0
        self._inbox: deque[str] = deque()
        self._changed = asyncio.Event()  # something for the receiver
        self._drained = asyncio.Event()  # room in the outbox
        self._arrived = asyncio.Event()  # something for the application
        self._inbox_room = asyncio.Event()
        self._receiver: object | None = None
        self._on_gone = on_gone
        loop = asyncio.get_running_loop()
        self._expiry: asyncio.TimerHandle | None = None
        # Its own context: the application outlives the request that opened the session.
        self._task = loop.create_task(
            self._run(application), name=f"sockjs {session_id}", context=contextvars.Context()
        )

    def admits(self, presented: str | None, address: str | None = None) -> bool:
        """Whether a request presenting ``presented``, from ``address``, may use this session."""
        if self.credential is None:
            return self.address is None or address == self.address
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.credential.encode()
        )

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    # The application's side --------------------------------------------------

    @property
    def carrier(self) -> Carrier:
        return Carrier(receive=self._receive, send=self._send, close=self._close)

    async def _run(self, application: Application) -> None:
        try:
            await application(self.carrier)
        except asyncio.CancelledError:
            self.close(1001)  # cancelled from outside the session: it cannot go on
            raise
        except Exception:
            log.exception("SockJS session %r failed", self.session_id)
            self.close(1011)
        else:
            self.close(3000)  # ended without saying how: SockJS's own "Go away!"

    async def _receive(self) -> str:
        while not self._inbox:
            self._arrived.clear()
            await self._arrived.wait()
        message = self._inbox.popleft()
        self._inbox_room.set()
        return message

    async def _send(self, text: str) -> None:
        if self.closed:
            return
        self._outbox.append(text)
        self._outbox_bytes += len(text)
        self._changed.set()
        while self._outbox_bytes > _OUTBOX_BYTES and not self.closed:
            self._drained.clear()
            await self._drained.wait()

    async def _close(self, code: int) -> None:
        self.close(code)

    # The client's side ---------------------------------------------------------

    async def deliver(self, messages: list[str]) -> None:
        """Hand what the client sent to the application; waits while it is behind."""
        for message in messages:
            while len(self._inbox) >= _INBOX_MESSAGES and not self.closed:
                self._inbox_room.clear()
                await self._inbox_room.wait()
            if self.closed:
                return
            self._inbox.append(message)
            self._arrived.set()  # each time: the application must read while this waits

    def attach(self, receiver: object) -> None:
        """Hold the session for ``receiver`` until :meth:`detach`.

        Raises :class:`AnotherReceiver` when one is attached already.
        """
        if self._receiver is not None:
            raise AnotherReceiver()
        self._receiver = receiver
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def detach(self, receiver: object, *, interrupted: bool) -> None:
        """Let go of ``receiver``: the disconnect delay starts.

        ``interrupted``: the client went away in the middle of a response, so what
        was taken for it may be lost; the session closes, as the protocol asks.
        """
        if self._receiver is not receiver:
            return
        self._receiver = None
        if interrupted:
            self.close(INTERRUPTED)
        self._expire_later()

    async def next_frame(self) -> str:
        """The next frame for the attached receiver: ``o``, messages, ``h`` when idle, or ``c``."""
        if not self._opened:  # first, even for a session closed before it was sent
            self._opened = True
            if self.state is State.NEW:
                self.state = State.OPEN
            return OPEN
        while True:
            if self._outbox:
                messages, self._outbox, self._outbox_bytes = self._outbox, [], 0
                self._drained.set()
                return encode_messages(messages)
            if self.state is State.CLOSED:
                return self._close_frame
            self._changed.clear()
            try:
                async with asyncio.timeout(self.options.heartbeat_seconds or None):
                    await self._changed.wait()
            except TimeoutError:
                return HEARTBEAT

    def close(self, code: int, reason: str | None = None) -> None:
        """Close the session: receivers get what was sent, then the close frame."""
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self._close_frame = close_frame(code, reason)
        self._changed.set()
        self._drained.set()
        self._inbox_room.set()
        if self._task is not asyncio.current_task() and not self._task.done():
            # On the next turn, not now: a task cancelled before its first step never
            # enters the application, whose ``finally`` releases what it was given.
            asyncio.get_running_loop().call_soon(self._task.cancel)
        if self._receiver is None:
            self._expire_later()

    async def aclose(self) -> None:
        """Close with "going away" and wait for the application to end."""
        self.close(1001)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._gone()

    def _expire_later(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(self.options.disconnect_delay_seconds, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        if self._receiver is not None:
            return
        if self.state is not State.CLOSED:
            log.debug("SockJS session %r timed out without a receiver", self.session_id)
            self.close(INTERRUPTED, "Session timed out")
            return  # the close frame is kept for one more delay
        self._gone()

    def _gone(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if self._on_gone is not None:
            on_gone, self._on_gone = self._on_gone, None
            on_gone(self)


ANOTHER_CONNECTION_FRAME = close_frame(ANOTHER_CONNECTION)


class Sessions:
    """The sessions of one SockJS endpoint in this process, by session id."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._sessions: dict[str, SockJSSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> SockJSSession | None:
        return self._sessions.get(session_id)

    def open(
        self,
        session_id: str,
        application: Application,
        credential: str | None,
        address: str | None = None,
    ) -> SockJSSession:
        session = SockJSSession(
            session_id,
            application,
            self.options,
            credential=credential,
            address=address,
            on_gone=self._forget,
        )
        self._sessions[session_id] = session
        return session

    def _forget(self, session: SockJSSession) -> None:
        if self._sessions.get(session.session_id) is session:
            del self._sessions[session.session_id]

    async def aclose(self) -> None:
        await asyncio.gather(*(session.aclose() for session in list(self._sessions.values())))
