"""How much history is kept, and the deleting of what is not."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import asyncpg

from .availability import FAILURES, bounded

log = logging.getLogger(__name__)


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


class Pruner:
    """Deletes, every ``retention.interval`` seconds, what retention no longer keeps."""

    def __init__(self, pool: asyncpg.Pool, retention: Retention, *, timeout: float) -> None:
        self.pool = pool
        self.retention = retention
        # Deleting many rows may take a while: more time than other statements get.
        self.timeout = max(60.0, timeout)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._prune_loop(), name="history pruner")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _prune_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retention.interval)
            try:
                await prune(self.pool, self.retention, timeout=self.timeout)
            except FAILURES as error:
                log.warning("history pruning failed: %s", error)
