"""The service's own state in PostgreSQL: events, jobs and processes, shared by every process.

One pool of four connections and one listening connection serve the history,
the job store and this process's row among the processes sharing the database.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import asyncpg

from ..config import Config
from .availability import FAILURES, bounded
from .fence import Fence
from .jobs import PostgresJobStore
from .listener import Listener
from .migrations import migrate
from .postgres import PostgresHistory
from .processes import forget, register
from .retention import Pruner, Retention

log = logging.getLogger(__name__)


class SharedStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        listener: Listener,
        history: PostgresHistory,
        jobs: PostgresJobStore,
        pruner: Pruner,
        *,
        process_id: str,
        timeout: float,
    ) -> None:
        self.pool = pool
        self.listener = listener
        self.history = history
        self.jobs = jobs
        self.pruner = pruner
        self.fence = history.fence
        self.process_id = process_id  # this process's row in quart_app.processes
        self.timeout = timeout

    @classmethod
    async def open(cls, url: str, config: Config) -> SharedStore:
        """Connect, migrate and sign this process on; the bus starts the history."""
        timeout = config.history_timeout_seconds
        # Without waiting for the WAL flush, a commit takes well under a millisecond
        # instead of an fsync: what a crash of PostgreSQL itself (not of this
        # process) can then lose is its last fraction of a second of events.
        commit = "on" if config.history_synchronous_commit else "off"
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=4, timeout=10, server_settings={"synchronous_commit": commit}
        )
        async with pool.acquire() as connection:
            await migrate(connection)
        listener = Listener(url, timeout=timeout)
        await listener.start()
        history = PostgresHistory(
            pool,
            listener,
            Fence(),
            # A batch is delivered at once: keep it well under what a subscriber may fall
            # behind, or a burst would cut off subscribers that keep up fine.
            batch_size=max(1, min(2000, config.subscriber_queue_size // 2)),
            outage_events=config.history_outage_events,
            timeout=timeout,
        )
        process_id = uuid.uuid4().hex
        jobs = PostgresJobStore(pool, listener, timeout=timeout, owner=process_id)
        async with bounded(pool, timeout) as connection:
            await register(connection, process_id)
        retention = Retention(
            config.retention_days,
            config.retention_events,
            config.jobs_kept,
            config.retention_interval_seconds,
        )
        pruner = Pruner(pool, retention, timeout=timeout)
        pruner.start()
        return cls(pool, listener, history, jobs, pruner, process_id=process_id, timeout=timeout)

    async def stop_jobs_with(self, cancel: Callable[[str], object]) -> None:
        """Call ``cancel`` for a job of this process that is to stop: asked by any process,
        or ended by another that took this one for gone."""
        self.fence.on_end(cancel)
        await self.jobs.listen_for_cancel(cancel)

    async def close(self) -> None:
        """Save what jobs are kept, sign off and disconnect; after the bus closed the history."""
        await self.jobs.close()
        try:
            async with bounded(self.pool, self.timeout) as connection:
                await forget(connection, self.process_id)
        except FAILURES as error:
            log.warning("could not sign this process off in the history database: %s", error)
        await self.pruner.close()
        await self.listener.close()
        try:
            await asyncio.wait_for(self.pool.close(), self.timeout)
        except TimeoutError:
            self.pool.terminate()  # the database stopped answering: do not wait for it
