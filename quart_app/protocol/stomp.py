"""STOMP 1.0 to 1.2 frames: parsing and encoding over bytes, no I/O.

The frame grammar, header escaping and heart-beat rules follow the STOMP 1.2
specification. Written here rather than taken from a library because the Python
STOMP packages are clients whose codecs are tied to their own socket loops; a
server needs an incremental parser that takes arbitrary chunks (a WebSocket
message may hold part of a frame or several frames) and enforces size limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

CLIENT_COMMANDS: Final = frozenset(
    {
        "CONNECT",
        "STOMP",
        "SEND",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "ACK",
        "NACK",
        "BEGIN",
        "COMMIT",
        "ABORT",
        "DISCONNECT",
    }
)
SERVER_COMMANDS: Final = frozenset({"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"})
# CONNECT and CONNECTED headers are never escaped, so that 1.0 peers can read them.
_UNESCAPED_COMMANDS: Final = frozenset({"CONNECT", "STOMP", "CONNECTED"})
SUPPORTED_VERSIONS: Final = ("1.0", "1.1", "1.2")

_ESCAPES_12: Final = {"\\\\": "\\", "\\n": "\n", "\\c": ":", "\\r": "\r"}
_ESCAPES_11: Final = {"\\\\": "\\", "\\n": "\n", "\\c": ":"}
_ESCAPE_SEQUENCE: Final = re.compile(r"\\.?", re.DOTALL)
_MAX_COUNT: Final = 2**63 - 1  # content-length, heart-beat: what a peer's int64 can say


class StompProtocolError(Exception):
    """The peer broke the protocol; the connection must get an ERROR frame and close."""


@dataclass(frozen=True, slots=True)
class Frame:
    command: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def _unescape(text: str, version: str) -> str:
    table = _ESCAPES_12 if version == "1.2" else _ESCAPES_11

    def replace(match: re.Match[str]) -> str:
        try:
            return table[match.group()]
        except KeyError:
            raise StompProtocolError(
                f"invalid escape sequence {match.group()!r} in header"
            ) from None

    return _ESCAPE_SEQUENCE.sub(replace, text) if "\\" in text else text


def _escape(text: str, version: str) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace(":", "\\c")
    return text.replace("\r", "\\r") if version == "1.2" else text


class FrameParser:
    """Incremental parser: feed it bytes as they arrive, get complete frames back.

    Heart-beats (bare end-of-lines between frames) are consumed silently.
    ``version`` selects header unescaping and is set once CONNECT is negotiated.
    """

    def __init__(
        self,
        *,
        commands: frozenset[str] = CLIENT_COMMANDS,
        max_frame_bytes: int = 1024 * 1024,
        max_headers: int = 64,
        version: str = "1.2",
    ) -> None:
        self.commands = commands
        self.max_frame_bytes = max_frame_bytes
        self.max_headers = max_headers
        self.version = version
        self._buffer = bytearray()

    @property
    def pending(self) -> bool:
        """True while part of a frame is buffered, waiting for the rest."""
        return bool(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while (frame := self._next_frame()) is not None:
            frames.append(frame)
        return frames

    def _next_frame(self) -> Frame | None:
        buffer = self._buffer
        start = 0
        while start < len(buffer) and buffer[start] in b"\r\n":
            start += 1
        if start:
            if buffer[start - 1] == 0x0D:  # a lone CR might still be followed by its LF
                start -= 1
            del buffer[:start]
        if not buffer:
            return None

        header_end, separator = _find_blank_line(buffer)
        if header_end < 0:
            self._check_size(len(buffer))
            return None
        command, headers = self._parse_head(bytes(buffer[:header_end]))
        body_start = header_end + separator

        length_text = headers.get("content-length")
        if length_text is not None:
            length = _count(length_text)
            if length is None:
                raise StompProtocolError(f"invalid content-length {length_text[:40]!r}")
            body_end = body_start + length
            self._check_size(body_end + 1)
            if len(buffer) <= body_end:
                return None
            if buffer[body_end] != 0:
                raise StompProtocolError(
                    "frame body is not terminated by NUL after content-length octets"
                )
        else:
            body_end = buffer.find(b"\0", body_start)
            if body_end < 0:
                self._check_size(len(buffer))
                return None
            self._check_size(body_end + 1)
        body = bytes(buffer[body_start:body_end])
        del buffer[: body_end + 1]
        return Frame(command, headers, body)

    def _check_size(self, size: int) -> None:
        if size > self.max_frame_bytes:
            raise StompProtocolError(f"frame larger than {self.max_frame_bytes} bytes")

    def _parse_head(self, head: bytes) -> tuple[str, dict[str, str]]:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            raise StompProtocolError("frame command and headers must be UTF-8") from None
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        command = lines[0]
        if command not in self.commands:
            raise StompProtocolError(f"unknown command {command[:40]!r}")
        if len(lines) - 1 > self.max_headers:
            raise StompProtocolError(f"more than {self.max_headers} headers")
        escaped = command not in _UNESCAPED_COMMANDS and self.version != "1.0"
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name:
                raise StompProtocolError(f"malformed header line {line[:40]!r}")
            if escaped:
                name, value = _unescape(name, self.version), _unescape(value, self.version)
            headers.setdefault(name, value)  # repeated headers: the first one counts
        return command, headers


def _find_blank_line(buffer: bytearray) -> tuple[int, int]:
    """Index where the headers end and the length of the blank-line separator."""
    lf = buffer.find(b"\n\n")
    crlf = buffer.find(b"\n\r\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, 3
    return lf, 2 if lf >= 0 else 0


def encode_frame(frame: Frame, *, version: str = "1.2") -> bytes:
    """The frame's bytes; header values are escaped as ``version`` requires."""
    escaped = frame.command not in _UNESCAPED_COMMANDS and version != "1.0"
    lines = [frame.command]
    for name, value in frame.headers.items():
        if escaped:
            name, value = _escape(name, version), _escape(value, version)
        elif "\n" in name + value or ":" in name:
            raise ValueError(f"header {name!r} cannot be sent unescaped")
        lines.append(f"{name}:{value}")
    return ("\n".join(lines) + "\n\n").encode() + frame.body + b"\0"


def encode_message_head(destination: str, subscription: str, *, version: str = "1.2") -> bytes:
    """The start of every MESSAGE frame of one subscription: command and its fixed headers.

    Followed by :func:`encode_message_tail`; together they equal ``encode_frame``
    of the whole MESSAGE, but a subscription's head and an event's tail are each
    encoded once, however many subscribers an event goes to.
    """
    frame = encode_frame(
        Frame("MESSAGE", {"destination": destination, "subscription": subscription}),
        version=version,
    )
    return frame[: -len(b"\n\0")]  # keep the last header's end of line


def encode_message_tail(message_id: str, body: bytes, **headers: str) -> bytes:
    """The per-message rest of a MESSAGE frame: message-id, content headers, body, NUL.

    ``message_id`` and extra header values must need no escaping (eventIds do not).
    """
    lines = [
        f"message-id:{message_id}",
        "content-type:application/json",
        f"content-length:{len(body)}",
        *(f"{name}:{value}" for name, value in headers.items()),
    ]
    return ("\n".join(lines) + "\n\n").encode() + body + b"\0"


def parse_heartbeat(value: str | None) -> tuple[int, int]:
    """The ``heart-beat`` header as (can send every ms, wants to receive every ms)."""
    if value is None:
        return 0, 0
    counts = [_count(part.strip()) for part in value.split(",")]
    if len(counts) != 2 or counts[0] is None or counts[1] is None:
        raise StompProtocolError(f"invalid heart-beat header {value[:60]!r}")
    return counts[0], counts[1]


def _count(text: str) -> int | None:
    """A header's non-negative integer, at most 2^63 - 1; None when it is not one.

    ASCII digits only, and never more of them than that bound has: ``int()`` takes
    other scripts' digits, and refuses (ValueError) more than 4300 of them.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(_MAX_COUNT)) or int(digits) > _MAX_COUNT:
        return None
    return int(digits)


def negotiate_heartbeat(client: tuple[int, int], server: tuple[int, int]) -> tuple[int, int]:
    """(server sends every ms, server expects from the client every ms); 0 means never."""
    client_sends, client_wants = client
    server_sends, server_wants = server
    outgoing = max(server_sends, client_wants) if server_sends and client_wants else 0
    incoming = max(client_sends, server_wants) if client_sends and server_wants else 0
    return outgoing, incoming


def negotiate_version(accept_version: str | None) -> str | None:
    """The highest version both sides speak; STOMP 1.0 when the client names none."""
    if accept_version is None:
        return "1.0"
    offered = {part.strip() for part in accept_version.split(",")}
    for version in reversed(SUPPORTED_VERSIONS):
        if version in offered:
            return version
    return None
