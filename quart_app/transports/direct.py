"""WebSocket messages framed here and written straight to the socket, under Hypercorn.

A message sent the ASGI way passes through Quart (``send_data`` and a signal), then
Hypercorn's WebSocket stream, wsproto (which frames it), Hypercorn's HTTP/1.1 protocol
and its TCP server (a lock, a write, a drain): six coroutines and a dozen calls per
message, about half the CPU of a delivery when events come one at a time (profile in
bench/README.md). A server's frame is only a header and the payload (RFC 6455, 5.2:
the server does not mask), so when nothing else could be under way it is written here,
in one ``write``. Written by hand because no library offers it: Hypercorn keeps the
socket to itself, and ASGI has no way to hand over bytes already framed.

The direct write is used only while the message could not be told apart from one sent
the ASGI way: the stream is open on both sides, no extension (permessage-deflate) was
agreed, no other write holds Hypercorn's lock, and the socket's buffer is below the
point where Hypercorn's write would wait for it to drain. Otherwise the message goes
the ASGI way, which waits; so a client that reads slowly is treated as before. When
Hypercorn's objects are not where this expects them (another server or version), every
message goes the ASGI way.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from wsproto.connection import ConnectionState

# Buffered bytes past which a write goes the ASGI way and waits for the socket to drain:
# asyncio's default high-water mark, where Hypercorn's drain would start to wait.
_BUFFER_LIMIT = 64 * 1024
_TEXT = 0x81  # FIN, opcode 1 (text)


def frame(payload: bytes) -> bytes:
    """A final, unmasked text frame holding ``payload``."""
    size = len(payload)
    if size < 126:
        return bytes((_TEXT, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT, 126, size) + payload
    return struct.pack("!BBQ", _TEXT, 127, size) + payload


class DirectSocket:
    """Hypercorn's socket under one WebSocket, written to straight when that is safe."""

    def __init__(self, stream: Any, websocket: Any, lock: Any, transport: Any) -> None:
        self._stream = stream
        self._websocket = websocket
        self._lock = lock
        self._transport = transport

    def try_write(self, payload: bytes) -> bool:
        """Write ``payload`` as one text message now, if that is safe; False otherwise
        (the caller sends it the ASGI way, or later)."""
        transport = self._transport
        if (
            self._stream.closed
            or self._websocket.state is not ConnectionState.OPEN
            or self._lock.locked()
            or transport.is_closing()
            or transport.get_write_buffer_size() > _BUFFER_LIMIT
        ):
            return False
        transport.write(frame(payload))
        return True


def direct_socket(send: Any) -> DirectSocket | None:
    """The socket under ``send`` (Quart's, which ends in Hypercorn's ``app_send``); None
    when ``send`` does not lead to Hypercorn's objects as expected, or when the handshake
    agreed an extension (permessage-deflate), whose frames wsproto must make."""
    asgi_send = send.args[0] if isinstance(send, functools.partial) and send.args else None
    stream = getattr(asgi_send, "__self__", None)
    protocol = getattr(getattr(stream, "send", None), "__self__", None)
    server = getattr(getattr(protocol, "send", None), "__self__", None)
    websocket = getattr(stream, "connection", None)
    writer = getattr(server, "writer", None)
    lock = getattr(server, "send_lock", None)
    extensions = getattr(getattr(websocket, "_proto", None), "extensions", None)
    if writer is None or lock is None or stream is None or websocket is None:
        return None
    if extensions is None or extensions:  # agreed at the handshake, which is over
        return None
    return DirectSocket(stream, websocket, lock, writer.transport)


def direct_writer(
    send: Callable[[str], Awaitable[None]], socket: DirectSocket
) -> Callable[[str], Awaitable[None]]:
    """A send for text messages that writes the frame itself when it safely can, and
    otherwise calls ``send``, which waits."""
    try_write = socket.try_write

    async def write(text: str) -> None:
        if not try_write(text.encode()):
            await send(text)

    return write
