"""Jobs kept in the history database: plain async functions over SQL, and the store built on them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

from ..errors import RequestIdInUse
from ..events import storable_json, utc_timestamp
from ..schemas import ErrorDetail, ExecuteResult, JobView
from .availability import FAILURES, bounded, unavailable
from .listener import Listener

if TYPE_CHECKING:
    from ..services.jobs import Job

log = logging.getLogger(__name__)

CANCEL_CHANNEL = "quart_app_cancel"
# A value the history database refuses to hold (too large, malformed): a data error, not
# the database being away.
UNSTORABLE = (asyncpg.DataError, asyncpg.ProgramLimitExceededError)


async def insert_job(connection: asyncpg.Connection, job: Job, owner: str | None = None) -> None:
    try:
        await connection.execute(
            """
            INSERT INTO quart_app.jobs (request_id, topic, status, created_at, question, sql, owner)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            job.request_id,
            job.topic,
            job.status,
            job.created_at,
            job.question,
            job.sql,
            owner,
        )
    except asyncpg.UniqueViolationError:
        raise RequestIdInUse(job.request_id) from None


async def save_job(connection: asyncpg.Connection, job: Job, *, with_result: bool = True) -> None:
    """Keep how the job ended, unless it had ended already (another process ended it)."""
    status = await connection.execute(
        """
        UPDATE quart_app.jobs
           SET status = $2, finished_at = $3, duration_ms = $4, sql = $5,
               row_count = $6, error = $7::jsonb, result = $8::jsonb
         WHERE request_id = $1 AND status = 'running'
        """,
        job.request_id,
        job.status,
        job.finished_at,
        job.view().durationMs,
        job.sql,
        job.row_count,
        storable_json(json.dumps(job.error.to_error())) if job.error else None,
        _stored_result(job.result) if with_result else None,
    )
    if status == "UPDATE 0":
        log.warning(
            "job %s had been ended by another process, which took this one for gone: "
            "its %s outcome is not kept",
            job.request_id,
            job.status,
        )


def _stored_result(result: ExecuteResult | None) -> str | None:
    if result is None:
        return None
    return storable_json(json.dumps(result.model_dump()))


async def fetch_job(connection: asyncpg.Connection, request_id: str) -> JobView | None:
    row = await connection.fetchrow(
        """
        SELECT request_id, topic, status, created_at, finished_at, duration_ms,
               question, sql, row_count, error::text AS error
          FROM quart_app.jobs
         WHERE request_id = $1
        """,
        request_id,
    )
    return _view(row) if row else None


async def fetch_result(
    connection: asyncpg.Connection, request_id: str
) -> tuple[bool, ExecuteResult | None]:
    """(whether the job exists, its kept result)."""
    row = await connection.fetchrow(
        "SELECT result::text AS result FROM quart_app.jobs WHERE request_id = $1", request_id
    )
    if row is None:
        return False, None
    if not row["result"]:
        return True, None
    return True, ExecuteResult.model_validate(json.loads(row["result"]))


async def list_jobs(
    connection: asyncpg.Connection, *, topic: str | None, status: str | None, limit: int
) -> list[JobView]:
    rows = await connection.fetch(
        """
        SELECT request_id, topic, status, created_at, finished_at, duration_ms,
               question, sql, row_count, error::text AS error
          FROM quart_app.jobs
         WHERE ($1::text IS NULL OR topic = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY created_at DESC, request_id
         LIMIT $3
        """,
        topic,
        status,
        limit,
    )
    return [_view(row) for row in rows]


def _view(row: asyncpg.Record) -> JobView:
    return JobView(
        requestId=row["request_id"],
        topic=row["topic"],
        status=row["status"],
        createdAt=utc_timestamp(row["created_at"]),
        finishedAt=utc_timestamp(row["finished_at"]) if row["finished_at"] else None,
        durationMs=row["duration_ms"]
        if row["duration_ms"] is not None
        else _running_ms(row["created_at"]),
        question=row["question"],
        sql=row["sql"],
        rowCount=row["row_count"],
        error=ErrorDetail.model_validate_json(row["error"]) if row["error"] else None,
    )


def _running_ms(created_at: datetime) -> int:
    return int((datetime.now(created_at.tzinfo) - created_at).total_seconds() * 1000)


class PostgresJobStore:
    """Jobs in ``quart_app.jobs``, visible to every process sharing the history database.

    While that database cannot be reached, new jobs are refused (503
    ``database_unavailable``: their requestId cannot be checked against other
    processes), and a job that ends meanwhile is kept here and saved once it is back.
    A job is cancelled from any process by a notification on ``CANCEL_CHANNEL``.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        listener: Listener,
        *,
        timeout: float = 5.0,
        retry_seconds: float = 0.5,
        owner: str | None = None,
    ) -> None:
        self.pool = pool
        self.listener = listener
        self.owner = owner  # the process whose jobs these are (storage/processes.py)
        self.timeout = timeout  # for one operation, before the database counts as away
        self.retry_seconds = retry_seconds
        self._unsaved: dict[str, Job] = {}
        self._saving: asyncio.Task[None] | None = None

    async def insert(self, job: Job) -> None:
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                await insert_job(connection, job, self.owner)

    async def save(self, job: Job) -> None:
        try:
            async with bounded(self.pool, self.timeout) as connection:
                try:
                    await save_job(connection, job)
                except UNSTORABLE as error:
                    # The database is here and refuses the value: keep the job without it.
                    log.error(
                        "job %s is kept without its result, which the history database "
                        "cannot hold: %s",
                        job.request_id,
                        error,
                    )
                    await save_job(connection, job, with_result=False)
        except FAILURES as error:
            log.warning(
                "job %s will be saved once the history database is back: %s", job.request_id, error
            )
            self._unsaved[job.request_id] = job
            if self._saving is None:
                self._saving = asyncio.create_task(self._save_later(), name="saving jobs")

    async def _save_later(self) -> None:
        delay = self.retry_seconds
        try:
            while self._unsaved:
                await asyncio.sleep(delay)
                try:
                    async with bounded(self.pool, self.timeout) as connection:
                        for request_id, job in list(self._unsaved.items()):
                            await save_job(connection, job)
                            if self._unsaved.get(request_id) is job:
                                del self._unsaved[request_id]
                except FAILURES:
                    delay = min(delay * 2, 10.0)
            log.info("the jobs that ended during the outage are saved")
        finally:
            self._saving = None

    async def close(self) -> None:
        """One last try to save what is kept, then stop trying."""
        if self._saving is not None:
            self._saving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saving
        if self._unsaved:
            try:
                async with bounded(self.pool, self.timeout) as connection:
                    for job in self._unsaved.values():
                        await save_job(connection, job)
                self._unsaved.clear()
            except FAILURES as error:
                log.error("stopping with %d jobs not saved: %s", len(self._unsaved), error)

    async def get(self, request_id: str) -> JobView | None:
        if (job := self._unsaved.get(request_id)) is not None:
            return job.view()
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                return await fetch_job(connection, request_id)

    async def result(self, request_id: str) -> tuple[bool, ExecuteResult | None]:
        if (job := self._unsaved.get(request_id)) is not None:
            return True, job.result
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                return await fetch_result(connection, request_id)

    async def list(self, *, topic: str | None, status: str | None, limit: int) -> list[JobView]:
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                return await list_jobs(connection, topic=topic, status=status, limit=limit)

    async def listen_for_cancel(self, cancel: Callable[[str], object]) -> None:
        """Call ``cancel`` with the requestId of each job any process is asked to cancel."""
        await self.listener.add(CANCEL_CHANNEL, cancel)

    async def request_cancel(self, request_id: str) -> None:
        """Ask whichever process runs the job to cancel it."""
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                await connection.execute("SELECT pg_notify($1, $2)", CANCEL_CHANNEL, request_id)
