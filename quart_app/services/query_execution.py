"""Runs one read-only SQL statement and reports each step as query-execution events."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from .. import charts
from ..bus import EventBus, RequestEvents
from ..config import Config
from ..errors import QueryTimeout
from ..schemas import Column, ExecuteResult
from ..storage.database import Database
from ..storage.pg_errors import DATABASE_ERRORS, database_error
from ..storage.values import CHAR_TYPES, char_text, sized_row
from .jobs import Job, JobRegistry, StageReporter, run_step
from .sql_safety import check_sql_async

log = logging.getLogger(__name__)

TOPIC: Final = "query-execution"
# Progress points of the stages; fetching moves between FETCH_START and FETCH_END.
_RECEIVED, _VALIDATING, _PLANNING, _EXECUTING, _FETCH_END = 0, 5, 10, 20, 95
_FIRST_BATCH = 100
_SLOW_BATCH = 0.2  # seconds
_ROWS_CHARTED_IN_LOOP = 10_000


@dataclass(frozen=True, slots=True)
class ExecuteRequest:
    sql: str
    max_rows: int
    timeout_ms: int
    client: str = "local"  # who asked (an address): statements at once are capped per client


class QueryExecutionService:
    """Validates, plans, runs and streams one statement per job."""

    def __init__(
        self, config: Config, database: Database, bus: EventBus, jobs: JobRegistry
    ) -> None:
        self.config = config
        self.database = database
        self.bus = bus
        self.jobs = jobs

    async def submit(self, request: ExecuteRequest, *, request_id: str | None) -> Job:
        """Create the job and start it; raises ``RequestIdInUse`` for a reused id."""
        job = await self.jobs.create(request_id, "query-execution", sql=request.sql)
        events = RequestEvents(self.bus, job.request_id)
        self.jobs.start(job, self.run(job, events, request))
        return job

    async def run(self, job: Job, events: RequestEvents, request: ExecuteRequest) -> ExecuteResult:
        """The job's work: events from ``received`` to the terminal one; returns the result."""
        execution = _Execution(self, events, request)
        result = await run_step(self.jobs, job, execution.run(job.request_id), execution.fail)
        job.result = result
        job.row_count = result.rowCount
        await self.jobs.finish(job, "success")
        await execution.succeed(result)
        return result


class _Execution(StageReporter):
    topic = TOPIC

    def __init__(
        self, service: QueryExecutionService, events: RequestEvents, request: ExecuteRequest
    ) -> None:
        super().__init__(events)
        self.config = service.config
        self.database = service.database
        self.request = request
        self.started = time.monotonic()

    async def run(self, request_id: str) -> ExecuteResult:
        self._stage("received", "Query received", _RECEIVED)
        self._stage("validating", "Checking that the SQL is one read-only statement", _VALIDATING)
        checked = await check_sql_async(self.request.sql)
        timeout = self.request.timeout_ms / 1000
        loop = asyncio.get_running_loop()
        asked = loop.time()
        deadline = asked + timeout
        waited = 0.0
        try:
            # Waiting for a connection counts against the statement's own time, and one
            # that never came is Busy (503), not a timeout of a statement that never ran.
            async with self.database.connection(self.request.client, timeout) as connection:
                waited = loop.time() - asked
                async with asyncio.timeout_at(deadline):
                    rows = await self._run_in(connection, checked.sql, checked.kind == "query")
        except TimeoutError:
            waiting = (
                f", {waited * 1000:,.0f} ms of it waiting for a free database connection"
                if waited >= 0.1
                else ""
            )
            raise QueryTimeout(
                f"the query did not finish within {self.request.timeout_ms} ms{waiting}"
            ) from None
        except DATABASE_ERRORS as error:
            raise database_error(error, timeout_ms=self.request.timeout_ms) from None
        truncated = rows.truncated_reason is not None
        chart_of = functools.partial(
            charts.for_result, rows.columns, rows.rows, truncated=truncated
        )
        # A chart looks at every row (about 1 s for a million): a big result's in a
        # thread, so that the loop goes on serving every stream meanwhile.
        big = len(rows.rows) > _ROWS_CHARTED_IN_LOOP
        chart = await asyncio.to_thread(chart_of) if big else chart_of()
        # Built from values already typed: validating would copy every row once more.
        return ExecuteResult.model_construct(
            requestId=request_id,
            sql=checked.sql,
            columns=rows.columns,
            rows=rows.rows,
            rowCount=len(rows.rows),
            truncated=truncated,
            truncatedReason=rows.truncated_reason,
            durationMs=int((time.monotonic() - self.started) * 1000),
            chart=chart,
        )

    async def succeed(self, result: ExecuteResult) -> None:
        await self.events.finish(
            TOPIC,
            "success",
            f"{_rows(result.rowCount)} in {result.durationMs} ms"
            + (" (truncated)" if result.truncated else ""),
            rowCount=result.rowCount,
            columns=[column.model_dump() for column in result.columns],
            truncated=result.truncated,
            truncatedReason=result.truncatedReason,
            durationMs=result.durationMs,
            chart=result.chart,
        )

    async def _run_in(self, connection: asyncpg.Connection, sql: str, plannable: bool) -> _Rows:
        # READ ONLY is the second guard: whatever slipped past check_sql cannot write.
        async with connection.transaction(readonly=True):
            await connection.execute(self.database.caps(self.request.timeout_ms))
            self.stage = "planning"
            estimated = None
            if plannable:
                plan = await connection.fetchval("EXPLAIN (FORMAT JSON) " + sql)
                estimated = int(plan[0]["Plan"]["Plan Rows"])
            statement = await connection.prepare(sql)
            message = f"Planned: about {_rows(estimated)}" if estimated is not None else "Planned"
            self._stage("planning", message, _PLANNING, estimatedRows=estimated)
            columns = [
                Column(name=column.name, type=column.type.name)
                for column in statement.get_attributes()
            ]
            self._stage("executing", "Executing the query", _EXECUTING)
            return await self._fetch(statement, columns, estimated)

    async def _fetch(
        self,
        statement: asyncpg.prepared_stmt.PreparedStatement,
        columns: list[Column],
        estimated: int | None,
    ) -> _Rows:
        max_rows = self.request.max_rows
        max_bytes = self.config.max_result_bytes
        size = 0
        reason: str | None = None
        expected = min(estimated, max_rows) if estimated else None
        interval = self.config.progress_interval_ms / 1000
        largest = self.config.fetch_batch_rows
        batch = min(_FIRST_BATCH, largest)
        rows: list[list[Any]] = []
        truncated = False
        last_report = 0.0
        chars = [index for index, column in enumerate(columns) if column.type in CHAR_TYPES]
        cursor = await statement.cursor()
        while True:
            # One row beyond maxRows tells whether the result was truncated.
            wanted = min(batch, max_rows + 1 - len(rows))
            fetch_started = time.monotonic()
            fetched = await cursor.fetch(wanted)
            # Batches adapt to how fast rows arrive, so that progress keeps coming
            # (at least every _SLOW_BATCH seconds) while rows flow, slow or fast.
            took = time.monotonic() - fetch_started
            if took < _SLOW_BATCH / 4:
                batch = min(batch * 2, largest)
            elif took > _SLOW_BATCH:
                batch = max(batch // 2, 1)
            for row in fetched:
                converted, row_size = sized_row(row)
                for index in chars:
                    converted[index] = char_text(row[index])
                size += row_size
                if size > max_bytes:
                    truncated, reason = True, "maxResultBytes"
                    break
                rows.append(converted)
            if len(rows) > max_rows:
                del rows[max_rows:]
                truncated, reason = True, "maxRows"
            done = truncated or len(fetched) < wanted
            now = time.monotonic()
            if fetched and (now - last_report >= interval or done):
                last_report = now
                progress = _EXECUTING
                if expected:
                    progress += int((_FETCH_END - _EXECUTING) * min(1.0, len(rows) / expected))
                self._stage(
                    "fetching", f"Fetched {_rows(len(rows))}", progress, rowsFetched=len(rows)
                )
            if done:
                break
        return _Rows(columns, rows, reason)


@dataclass(frozen=True, slots=True)
class _Rows:
    """What one statement fetched: its columns, its rows, and why rows are missing if they are."""

    columns: list[Column]
    rows: list[list[Any]]
    truncated_reason: str | None


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
