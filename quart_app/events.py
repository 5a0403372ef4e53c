"""The status event: one JSON object, the same bytes on every transport; and where it goes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

Topic = Literal["nl-to-sql", "query-execution"]
Status = Literal["progress", "success", "error", "cancelled"]

TOPICS: Final = ("nl-to-sql", "query-execution")
STATUSES: Final = ("progress", "success", "error", "cancelled")
TERMINAL_STAGES: Final = {"success": "completed", "error": "failed", "cancelled": "cancelled"}
STAGES: Final[Mapping[str, tuple[str, ...]]] = {
    "nl-to-sql": (
        "received",
        "introspecting-schema",
        "building-prompt",
        "generating",
        "validating",
        "correcting",
    ),
    "query-execution": ("received", "validating", "planning", "executing", "fetching"),
}


# eventIds are stored as bigint: a larger one cannot be asked for.
MAX_EVENT_ID: Final = 2**63 - 1


def parse_event_id(text: str) -> int | None:
    """``text`` as an eventId to resume after (``0``: from the first), or None when it is not
    one: ASCII digits only, at most ``MAX_EVENT_ID``, however many leading zeros."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_EVENT_ID)) or int(digits) > MAX_EVENT_ID:
        return None
    return int(digits)


_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def storable_json(text: str) -> str:
    """JSON text that PostgreSQL's jsonb can hold: a NUL character in a string (which
    jsonb refuses) becomes U+FFFD, the replacement character."""
    if "\\u0000" not in text:
        return text
    return _NUL.sub(lambda match: match[1] + "\\ufffd", text)


def utc_timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds, e.g. ``2026-11-25T18:40:00.123Z``."""
    moment = moment or datetime.now(UTC)
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


# The wire form's field names, in the order they are sent.
_WIRE_NAMES: Final = {
    "event_id": "eventId",
    "request_id": "requestId",
    "topic": "topic",
    "status": "status",
    "stage": "stage",
    "message": "message",
    "progress": "progress",
    "sequence": "sequence",
    "timestamp": "timestamp",
    "metadata": "metadata",
}


# Made once: json.dumps with options builds a new encoder on every call.
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One step of a request, as published on the bus.

    An event is published with ``event_id`` 0; the history numbers it with
    ``dataclasses.replace(event, event_id=n)``. ``json`` is the wire form of a
    numbered event, encoded once and sent unchanged by every transport.
    ``final`` marks the last event of the whole request (both topics); it is not
    part of the wire form, and tells request streams when to end.
    """

    event_id: int
    request_id: str
    topic: Topic
    status: Status
    stage: str
    message: str
    progress: int | None
    sequence: int
    timestamp: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    final: bool = False
    json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.event_id < 0:
            raise ValueError(f"eventId must be >= 1 (0: not numbered yet), got {self.event_id}")
        if self.sequence < 1:
            raise ValueError(f"sequence must be >= 1, got {self.sequence}")
        if self.topic not in TOPICS:
            raise ValueError(f"unknown topic {self.topic!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.status == "progress":
            if self.stage not in STAGES[self.topic]:
                raise ValueError(f"unknown {self.topic} stage {self.stage!r}")
        elif self.stage != TERMINAL_STAGES[self.status]:
            raise ValueError(f"a {self.status} event has stage {TERMINAL_STAGES[self.status]!r}")
        if self.progress is not None and not 0 <= self.progress <= 100:
            raise ValueError(f"progress must be within 0..100, got {self.progress}")
        if self.event_id:  # only a numbered event goes on the wire
            object.__setattr__(self, "json", storable_json(_ENCODER.encode(self.to_dict())))

    @classmethod
    def from_json(cls, text: str, *, final: bool) -> StatusEvent:
        """A stored event back from its wire form (which it then re-encodes byte for byte)."""
        data = json.loads(text)
        return cls(**{name: data[wire] for name, wire in _WIRE_NAMES.items()}, final=final)

    @property
    def terminal(self) -> bool:
        return self.status != "progress"

    def to_dict(self) -> dict[str, Any]:
        body = {wire: getattr(self, name) for name, wire in _WIRE_NAMES.items()}
        body["metadata"] = dict(self.metadata)
        return body


REQUEST_ID_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
)


def valid_request_id(value: str) -> bool:
    return 1 <= len(value) <= 64 and REQUEST_ID_CHARS.issuperset(value)


@dataclass(frozen=True, slots=True)
class Destination:
    """``/topic/nl-to-sql``, ``/topic/query-execution`` or ``/topic/requests/{requestId}``."""

    topic: Topic | None = None
    request_id: str | None = None

    @classmethod
    def parse(cls, path: str) -> Destination | None:
        """The destination a path names, or None when it names none."""
        name = path.removeprefix("/topic/")
        if name == path:
            return None
        if name in TOPICS:
            return cls(topic=name)  # type: ignore[arg-type]
        request_id = name.removeprefix("requests/")
        if request_id != name and valid_request_id(request_id):
            return cls(request_id=request_id)
        return None

    def matches(self, event: StatusEvent) -> bool:
        if self.topic is not None:
            return event.topic == self.topic
        return event.request_id == self.request_id

    def __str__(self) -> str:
        return f"/topic/{self.topic}" if self.topic else f"/topic/requests/{self.request_id}"
