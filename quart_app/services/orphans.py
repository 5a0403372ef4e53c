"""Ending the jobs of a process that is gone, so that no request streams for ever.

A running job whose process has not beaten (``storage/processes.py``) for
``QUART_APP_PROCESS_GRACE_SECONDS`` is ended by exactly one other process (the
update succeeds only while the job is still running and still that process's),
which publishes the ``error`` events its owner never did; a job whose terminal
event was stored takes that outcome instead. Only a process that has itself beaten
for the whole grace period looks, so an outage of the history database for every
process ends nothing. An owner that was only cut off, and comes back, is fenced
(``storage/fence.py``): its held and later events for the job are dropped and its
outcome is not saved. Not fenced: a process whose event loop stood still for the
whole grace period while its connections stayed up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from ..bus import EventBus, RequestEvents
from ..errors import DatabaseUnavailable, InternalError
from ..events import TOPICS, StatusEvent, Topic
from ..storage.availability import FAILURES, bounded
from ..storage.processes import end_orphan, ended_jobs, forget_gone, heartbeat, orphans
from ..storage.shared import SharedStore
from .jobs import JobRegistry

log = logging.getLogger(__name__)

GONE = "the server process running this request stopped before it finished"


class OrphanReaper:
    def __init__(
        self,
        bus: EventBus,
        jobs: JobRegistry,
        shared: SharedStore,
        *,
        grace: float,
        timeout: float,
    ) -> None:
        self.bus = bus
        self.jobs = jobs
        self.shared = shared
        self.pool: asyncpg.Pool = shared.pool
        self.process_id = shared.process_id
        self.grace = grace
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        # Since when this process has beaten without a miss (None: its last beat failed).
        # Only a process present for the whole grace period may take another for gone:
        # after an outage of the history database for everyone, every heart-beat is
        # late, and the first process back must not end the jobs of the others.
        self._present_since: float | None = None

    def start(self) -> None:
        """Begin beating (the process signed on as ``shared`` opened)."""
        self._present_since = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="orphan reaper")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        interval = self.grace / 5
        while True:
            await asyncio.sleep(interval)
            try:
                await self.beat()
            except FAILURES as error:
                if self._present_since is not None:
                    log.warning("heart-beat to the history database failed: %s", error)
                self._present_since = None
                continue
            present_since = self._present_since
            if present_since is None or time.monotonic() - present_since < self.grace:
                continue
            try:
                await self.reap()
            except (*FAILURES, DatabaseUnavailable) as error:
                log.warning("could not end the jobs of processes that are gone: %s", error)
            except Exception:  # this loop must outlive anything one orphan does to it
                log.exception("ending the jobs of processes that are gone failed")

    async def beat(self) -> None:
        async with bounded(self.pool, self.timeout) as connection:
            unseen = await heartbeat(connection, self.process_id)
            if unseen is None or unseen > self.grace:
                log.warning(
                    "this process went unseen by the history database for %s, longer than "
                    "the grace period: other processes may have ended its jobs",
                    "a long time" if unseen is None else f"{unseen:.1f} s",
                )
                ended = await ended_jobs(connection, self.jobs.running())
                # A job that ended here while the query ran was saved by this process.
                self.shared.fence.end(ended.intersection(self.jobs.running()))
        if self._present_since is None:
            log.info("heart-beat to the history database restored")
            self._present_since = time.monotonic()

    async def reap(self) -> None:
        """End the orphans found now (those another process ends first are skipped)."""
        async with bounded(self.pool, self.timeout) as connection:
            found = await orphans(connection, self.process_id, self.grace)
            await forget_gone(connection, self.grace)
        for row in found:
            await self._end(row["request_id"], row["topic"], row["owner"])

    async def _end(self, request_id: str, topic: Topic, owner: str) -> None:
        events = await self.shared.history.request_events(request_id)
        last = next((event for event in reversed(events) if event.final), None)
        if last is not None:  # it had ended; only the job was not saved
            status, error = last.status, last.metadata.get("error")
        else:
            status, error = "error", InternalError(GONE).to_error()
        async with bounded(self.pool, self.timeout) as connection:
            if not await end_orphan(connection, request_id, owner, status, error):
                return  # ended meanwhile, by its owner or another process
        if last is not None:
            log.warning(
                "job %s of a process that is gone had ended; saved as %s", request_id, status
            )
            return
        publisher = RequestEvents.continuing(self.bus, request_id, events)
        open_topics = _open_topics(events, topic, publisher)
        for index, open_topic in enumerate(open_topics):
            stage = next(
                (event.stage for event in reversed(events) if event.topic == open_topic),
                "received",
            )
            await publisher.finish(
                open_topic,
                "error",
                f"Failed while {stage}: {GONE}",
                final=index == len(open_topics) - 1,
                error=error,
                failedStage=stage,
            )
        log.warning(
            "job %s was left running by a process that is gone: ended as failed", request_id
        )


def _open_topics(events: list[StatusEvent], topic: Topic, publisher: RequestEvents) -> list[Topic]:
    """The topics of the request that need a terminal event, in the order they run."""
    started = {event.topic for event in events}
    open_topics: list[Topic] = [t for t in TOPICS if t in started and not publisher.ended(t)]
    if open_topics:
        return open_topics
    # Nothing open: the job's own topic has not started yet, or (NL → SQL then execute)
    # the conversion ended and the execution had not published yet.
    waiting: list[Topic] = [t for t in TOPICS if not publisher.ended(t)]
    return [topic] if topic in waiting else waiting[:1]
