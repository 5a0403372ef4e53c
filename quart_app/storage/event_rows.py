"""Events as rows of ``quart_app.status_events``: numbered writes and ordered reads.

Readers resume "after eventId N", so an event must never commit with an id
smaller than one a reader has already seen. Ids from a sequence would allow
exactly that: transaction A takes id 7, B takes id 8 and commits first, a
reader sees 8, then A commits 7 behind its back. Here ids come from a single
counter row, ``UPDATE quart_app.event_ids SET last_id = last_id + n``, in the
same transaction as the INSERT of those events. The row lock makes every other
writer wait until that transaction commits before it can take the next ids, so
transactions commit in id order: when any id N is visible, every id below N is
visible too. The lock is held only for one batched INSERT, so throughput comes
from batching, not from giving up the order.

The NOTIFY sent in the same transaction is delivered at commit, in commit
order, and carries only the id range (``feed.py`` reads what it names).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import asyncpg

from ..events import MAX_EVENT_ID, StatusEvent

CHANNEL = "quart_app_events"
_RANGE = re.compile(r"([0-9]{1,19}),([0-9]{1,19})")


async def number_and_insert(
    connection: asyncpg.Connection, events: Sequence[StatusEvent]
) -> list[StatusEvent]:
    """Number unnumbered events after the counter row and insert them; call in a transaction,
    which holds the counter row's lock until it commits."""
    last = await connection.fetchval(
        "UPDATE quart_app.event_ids SET last_id = last_id + $1 RETURNING last_id", len(events)
    )
    first = last - len(events) + 1
    numbered = [
        dataclasses.replace(event, event_id=first + offset) for offset, event in enumerate(events)
    ]
    await insert(connection, numbered)
    return numbered


async def insert(connection: asyncpg.Connection, events: Sequence[StatusEvent]) -> None:
    """Insert numbered events, and notify every process of their id range at commit."""
    await connection.execute(
        """
        INSERT INTO quart_app.status_events (event_id, request_id, topic, final, body)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::text[])
        """,
        [event.event_id for event in events],
        [event.request_id for event in events],
        [event.topic for event in events],
        [event.final for event in events],
        [event.json for event in events],
    )
    first, last = events[0].event_id, events[-1].event_id
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, f"{first},{last}")


def notified_range(payload: str) -> int | None:
    """The last eventId a notification names, or None when it names no range."""
    match = _RANGE.fullmatch(payload)
    if match is None or int(match[2]) > MAX_EVENT_ID:
        return None
    return int(match[2])


async def last_id(connection: asyncpg.Connection) -> int:
    """The newest eventId given out."""
    newest: int = await connection.fetchval("SELECT last_id FROM quart_app.event_ids")
    return newest


async def events_between(
    connection: asyncpg.Connection, after: int, upto: int
) -> list[StatusEvent]:
    """Every stored event with ``after`` < eventId <= ``upto``, in order."""
    rows = await connection.fetch(
        """
        SELECT body, final
          FROM quart_app.status_events
         WHERE event_id > $1 AND event_id <= $2
         ORDER BY event_id
        """,
        after,
        upto,
    )
    return _decoded(rows)


async def events_of(
    connection: asyncpg.Connection,
    *,
    topic: str | None = None,
    request_id: str | None = None,
    after: int = 0,
    upto: int = MAX_EVENT_ID,
    limit: int | None = None,
) -> list[StatusEvent]:
    """The stored events of a topic or of a request, ``after`` < eventId <= ``upto``, in order."""
    column, value = ("request_id", request_id) if request_id is not None else ("topic", topic)
    rows = await connection.fetch(
        f"""
        SELECT body, final
          FROM quart_app.status_events
         WHERE {column} = $1 AND event_id > $2 AND event_id <= $3
         ORDER BY event_id
         LIMIT $4
        """,
        value,
        after,
        upto,
        limit,
    )
    return _decoded(rows)


def _decoded(rows: list[asyncpg.Record]) -> list[StatusEvent]:
    return [StatusEvent.from_json(row["body"], final=row["final"]) for row in rows]
