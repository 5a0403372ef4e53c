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
from ..events import utc_timestamp
from ..schemas import ErrorDetail, ExecuteResult, JobView
from .availability import FAILURES, bounded, unavailable
from .listener import Listener
from .results import LARGE_RESULT_CHARS, dumps, result_json, storable, write_allowance

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


async def save_job(connection: asyncpg.Connection, job: Job, result: str | None) -> None:
    """Keep how the job ended, with ``result`` (its JSON text, ``results.result_json``),
    unless it had ended already: another process ended it, or this one's earlier write of
    it went through although its answer never came."""
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
        storable(dumps(job.error.to_error())) if job.error else None,
        result,
    )
    if status != "UPDATE 0":
        return
    kept = await connection.fetchrow(
        "SELECT status, finished_at FROM quart_app.jobs WHERE request_id = $1", job.request_id
    )
    # finished_at is this process's clock to the microsecond; another process ending the
    # job writes its database's now().
    if kept is not None and (kept["status"], kept["finished_at"]) == (job.status, job.finished_at):
        log.warning(
            "job %s had been saved already, by a write whose answer never came", job.request_id
        )
        return
    log.warning(
        "job %s had been ended by another process, which took this one for gone: "
        "its %s outcome is not kept",
        job.request_id,
        job.status,
    )


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


async def fetch_result(connection: asyncpg.Connection, request_id: str) -> tuple[bool, str | None]:
    """(whether the job exists, its kept result as JSON text)."""
    row = await connection.fetchrow(
        "SELECT result::text AS result FROM quart_app.jobs WHERE request_id = $1", request_id
    )
    if row is None:
        return False, None
    return True, row["result"] or None


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
        self._large = asyncio.Semaphore(1)  # large results are written one at a time

    async def insert(self, job: Job) -> None:
        with unavailable():
            async with bounded(self.pool, self.timeout) as connection:
                await insert_job(connection, job, self.owner)

    async def save(self, job: Job) -> None:
        try:
            await self._write(job)
        except FAILURES as error:
            log.warning(
                "job %s will be saved once the history database is back: %s", job.request_id, error
            )
            self._unsaved[job.request_id] = job
            if self._saving is None:
                self._saving = asyncio.create_task(self._save_later(), name="saving jobs")

    async def _write(self, job: Job) -> None:
        """Save ``job``, its result encoded before any connection is taken and its write
        given time in proportion to the result's size (``results.py``)."""
        result = await result_json(job.result) if job.result is not None else None
        large = result is not None and len(result) >= LARGE_RESULT_CHARS
        async with self._large if large else contextlib.nullcontext():
            async with bounded(self.pool, write_allowance(self.timeout, result)) as connection:
                try:
                    await save_job(connection, job, result)
                except UNSTORABLE as error:
                    # The database is here and refuses the value: keep the job without it.
                    log.error(
                        "job %s is kept without its result, which the history database "
                        "cannot hold: %s",
                        job.request_id,
                        error,
                    )
                    await save_job(connection, job, None)

    async def _save_later(self) -> None:
        delay = self.retry_seconds
        try:
            while self._unsaved:
                await asyncio.sleep(delay)
                try:
                    for request_id, job in list(self._unsaved.items()):
                        await self._write(job)
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
        try:
            for request_id, job in list(self._unsaved.items()):
                await self._write(job)
                del self._unsaved[request_id]
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
                exists, text = await fetch_result(connection, request_id)
        # Parsed once the connection is let go: a large result takes a while, which is not
        # the database's.
        return exists, ExecuteResult.model_validate(json.loads(text)) if text else None

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
