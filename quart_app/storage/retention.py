"""How much history is kept, and the deleting of what is not."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from .availability import bounded


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep: events and finished jobs younger than ``days``, and
    at most ``events`` events and ``jobs`` finished jobs; checked every ``interval`` seconds."""

    days: float
    events: int
    jobs: int
    interval: float


async def prune(pool: asyncpg.Pool, retention: Retention, *, timeout: float) -> tuple[int, int]:
    """Delete what retention no longer keeps; (events deleted, jobs deleted)."""
    async with bounded(pool, timeout) as connection:
        events = await connection.execute(
            """
            DELETE FROM quart_app.status_events
             WHERE stored_at < now() - make_interval(secs => $1)
                OR event_id <= (SELECT last_id FROM quart_app.event_ids) - $2
            """,
            retention.days * 86400,
            retention.events,
        )
        jobs = await connection.execute(
            """
            DELETE FROM quart_app.jobs
             WHERE status <> 'running'
               AND (created_at < now() - make_interval(secs => $1)
                    OR request_id IN (SELECT request_id FROM quart_app.jobs
                                       WHERE status <> 'running'
                                       ORDER BY created_at DESC OFFSET $2))
            """,
            retention.days * 86400,
            retention.jobs,
        )
    return int(events.rsplit(" ", 1)[-1]), int(jobs.rsplit(" ", 1)[-1])
