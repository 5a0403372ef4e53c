"""How many SSE streams and STOMP sessions are held, and which one makes room when full.

At most ``QUART_APP_MAX_STREAMS`` in all and ``QUART_APP_MAX_STREAMS_PER_CLIENT`` per
address but loopback (where every local program shares one address). When full, a new
stream closes the oldest of the address holding the most, rather than being refused:
the closed one reconnects with its last eventId and misses nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TooManyStreams

log = logging.getLogger(__name__)

# A program opening streams without end makes room with each: say so at most this often.
_LOG_EVERY_SECONDS = 10.0
# Open files the process keeps for everything but streams: database pools, the history
# listener, REST requests in flight, and the connections that arrive while the streams
# closed to make room for them are still closing. Streams beyond the open-file limit less
# these would fail every connection, REST included: a tenth of the limit, at least this.
_RESERVED_FILES = 128


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (also as ::ffff:127.x.x.x); false for anything else."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def client_of(peer: tuple[str, int] | list[Any] | None) -> str:
    """Who asked, for the cap on statements running at once: the peer's address, or on
    loopback (where every local program shares one address) its connection."""
    if not peer:
        return "unknown"
    address, port = str(peer[0]), peer[1]
    return f"{address}:{port}" if is_loopback(address) else address


def make_room(held: Mapping[str, int], address: str, *, total: int, per_address: int) -> str | None:
    """The address whose oldest stream closes so that one from ``address`` fits; None if it fits.

    ``held`` counts the streams of each address; 0 turns either bound off. Raises
    ``TooManyStreams`` when ``address`` is not loopback and holds ``per_address`` already.
    """
    own = held.get(address, 0)
    if per_address and own >= per_address and not is_loopback(address):
        raise TooManyStreams(
            f"{address} holds {own} streams already, the most one client may "
            "(QUART_APP_MAX_STREAMS_PER_CLIENT); close some first"
        )
    if not total or sum(held.values()) < total:
        return None
    return max(held, key=lambda holder: (held[holder], holder == address))


@dataclass(eq=False, slots=True)
class Stream:
    """One SSE stream or STOMP session that was let in."""

    address: str
    task: asyncio.Task[Any] | None  # serving it: cancelled if it has not ended in time
    end: Callable[[], None] | None = None  # asks it to end; set by its transport
    closed_for_room: bool = False

    def on_end(self, end: Callable[[], None]) -> None:
        """How to end this stream; called at once if it was closed to make room already."""
        self.end = end
        if self.closed_for_room:
            end()


class StreamLimit:
    """The streams held, by address and oldest first; ``admit`` applies ``make_room``.

    A stream closed to make room is told to end (``Stream.end``: the rest of its
    queue, then the end of the SSE body, or STOMP's ``ERROR`` and the close), and
    its place goes to the new one at once. One that has not ended ``grace``
    seconds later (its client stopped reading, so the writes wait) has its task
    cancelled.
    """

    def __init__(self, total: int, per_address: int, *, grace: float = 5.0) -> None:
        self.total = _within_open_files(total)
        self.per_address = per_address
        self.grace = grace
        self._held: dict[str, int] = {}
        self._streams: dict[str, dict[Stream, None]] = {}  # per address, oldest first
        self._closed = 0  # closed to make room, in all
        self._logged_at = -_LOG_EVERY_SECONDS

    @property
    def count(self) -> int:
        return sum(self._held.values())

    def admit(self, address: str) -> Stream:
        """Let a stream from ``address`` in, closing another if the total is reached."""
        victim = make_room(self._held, address, total=self.total, per_address=self.per_address)
        if victim is not None:
            self._close(next(iter(self._streams[victim])))
        stream = Stream(address, asyncio.current_task())
        self._streams.setdefault(address, {})[stream] = None
        self._held[address] = self._held.get(address, 0) + 1
        return stream

    def release(self, stream: Stream) -> None:
        """The stream has ended (or is closing to make room): its place is free."""
        streams = self._streams.get(stream.address)
        if streams is None or stream not in streams:
            return
        del streams[stream]
        if streams:
            self._held[stream.address] -= 1
        else:
            del self._streams[stream.address], self._held[stream.address]

    def _close(self, stream: Stream) -> None:
        self.release(stream)
        stream.closed_for_room = True
        self._closed += 1
        if (now := time.monotonic()) - self._logged_at >= _LOG_EVERY_SECONDS:
            log.warning(
                "%d streams held, the most allowed (QUART_APP_MAX_STREAMS): closed the oldest "
                "of %s to make room (%d closed so since the start)",
                self.total,
                stream.address,
                self._closed,
            )
            self._logged_at = now
        if stream.end is not None:
            stream.end()
        if stream.task is not None:
            asyncio.get_running_loop().call_later(self.grace, stream.task.cancel)


def _within_open_files(total: int) -> int:
    """``total``, lowered to what the process's open-file limit leaves for streams."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return total
    room = max(1, soft - max(_RESERVED_FILES, soft // 10))
    if total and total <= room:
        return total
    if not total:  # no bound of its own: the open files are one
        return room
    log.warning(
        "QUART_APP_MAX_STREAMS=%d, but the open-file limit (%d) leaves room for %d streams: "
        "holding at most %d (raise it with ulimit -n)",
        total,
        soft,
        room,
        room,
    )
    return room
