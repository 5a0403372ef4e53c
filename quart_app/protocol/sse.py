"""Server-Sent Events encoding (WHATWG HTML, "Server-sent events"); pure, no I/O."""

from __future__ import annotations

import re

# The only line ends of an event stream. str.splitlines would also split at U+2028,
# U+0085, \v, \f and others, which JSON leaves as they are inside its strings: an event
# would arrive as two data lines joined by a newline, and no longer parse.
_LINE_END = re.compile(r"\r\n|\r|\n")


def encode_retry(milliseconds: int) -> bytes:
    return f"retry: {milliseconds}\n\n".encode()


def encode_event(
    data: str, *, event_id: int | str | None = None, event: str | None = None
) -> bytes:
    """One event block; every line of ``data`` becomes its own ``data:`` field."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in _LINE_END.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def encode_comment(text: str) -> bytes:
    return "".join(f": {line}\n" for line in _LINE_END.split(text)).encode() + b"\n"
