"""Server-Sent Events encoding (WHATWG HTML, "Server-sent events"); pure, no I/O."""

from __future__ import annotations


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
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()


def encode_comment(text: str) -> bytes:
    return "".join(f": {line}\n" for line in text.splitlines() or [""]).encode() + b"\n"
