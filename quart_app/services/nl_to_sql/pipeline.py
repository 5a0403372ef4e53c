"""NL to SQL as a job: introspect, prompt, generate (streamed), validate, correct once, and
optionally run the result, reporting each step as nl-to-sql events."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Final

from ...bus import EventBus, RequestEvents
from ...config import Config
from ...errors import APIError, ConversionFailed, bounded_message
from ...schemas import ConvertResult
from ...storage.database import Database
from ...storage.pg_errors import DATABASE_ERRORS, connection_lost, database_error, postgres_message
from ..jobs import Job, JobRegistry, StageReporter, run_step
from ..query_execution import ExecuteRequest, QueryExecutionService
from ..sql_safety import check_sql_async
from .engine import Attempt, Engine, GenerationRequest, extract_sql
from .prompt import build_messages
from .schema import Schema, SchemaCache, introspect

log = logging.getLogger(__name__)

TOPIC: Final = "nl-to-sql"
_VALIDATE_TIMEOUT_MS = 10_000


@dataclass(frozen=True, slots=True)
class ConvertRequest:
    question: str
    execute: bool
    max_rows: int
    timeout_ms: int
    refresh_schema: bool = False
    client: str = "local"


class NlToSqlService:
    def __init__(
        self,
        config: Config,
        database: Database,
        bus: EventBus,
        jobs: JobRegistry,
        engine: Engine,
        query_execution: QueryExecutionService,
    ) -> None:
        self.config = config
        self.database = database
        self.bus = bus
        self.jobs = jobs
        self.engine = engine
        self.query_execution = query_execution
        self.schemas = SchemaCache()

    async def submit(self, request: ConvertRequest, *, request_id: str | None) -> Job:
        job = await self.jobs.create(request_id, "nl-to-sql", question=request.question)
        events = RequestEvents(self.bus, job.request_id)
        self.jobs.start(job, self.run(job, events, request))
        return job

    async def run(self, job: Job, events: RequestEvents, request: ConvertRequest) -> ConvertResult:
        conversion = _Conversion(self, events, request)
        converted = await run_step(self.jobs, job, conversion.run(job.request_id), conversion.fail)
        job.sql = converted.sql
        if not request.execute:
            await self.jobs.finish(job, "success")
        await conversion.succeed(converted)
        if not request.execute:
            return converted
        executed = await self.query_execution.run(
            job,
            events,
            ExecuteRequest(converted.sql, request.max_rows, request.timeout_ms, request.client),
        )
        return converted.model_copy(update={"result": executed})


class _Conversion(StageReporter):
    topic = TOPIC

    def __init__(
        self, service: NlToSqlService, events: RequestEvents, request: ConvertRequest
    ) -> None:
        super().__init__(events)
        self.service = service
        self.engine = service.engine
        self.request = request
        self.started = time.monotonic()
        self.interpretation: str | None = None

    async def run(self, request_id: str) -> ConvertResult:
        self._stage("received", "Question received", 0)
        self._stage("introspecting-schema", "Reading the database schema", 10)
        schema, cached = await self._schema()
        self._stage(
            "introspecting-schema",
            f"Schema: {len(schema.tables)} tables" + (" (cached)" if cached else ""),
            15,
            tables=len(schema.tables),
            cached=cached,
        )
        self._stage("building-prompt", "Building the prompt", 20)
        previous: Attempt | None = None
        for attempt in (1, 2):
            messages = build_messages(schema, self.request.question, previous)
            generation = GenerationRequest(self.request.question, schema, messages, previous)
            sql = await self._generate(generation)
            self.interpretation = generation.notes.get("interpretation")
            self._stage("validating", "Checking the SQL against the database", 80, sql=sql)
            problem = await self._validate(sql)
            if problem is None:
                break
            if attempt == 2:
                raise ConversionFailed(
                    f"the generated SQL was rejected twice; last time: {problem}"
                )
            previous = Attempt(sql, problem)
            self._stage(
                "correcting",
                f"The database rejected the SQL ({problem}); asking for a correction",
                85,
                error=problem,
            )
        return ConvertResult(
            requestId=request_id,
            sql=sql,
            engine=self.engine.name,
            model=self.engine.model,
            durationMs=int((time.monotonic() - self.started) * 1000),
        )

    async def succeed(self, converted: ConvertResult) -> None:
        await self.events.finish(
            TOPIC,
            "success",
            f"SQL ready in {converted.durationMs} ms",
            final=not self.request.execute,
            sql=converted.sql,
            engine=converted.engine,
            model=converted.model,
            durationMs=converted.durationMs,
            interpretation=self.interpretation,
        )

    async def _schema(self) -> tuple[Schema, bool]:
        database = self.service.database
        wait = self.request.timeout_ms / 1000

        async def read() -> Schema:
            async with database.connection(self.request.client, wait) as connection:
                return await introspect(connection)

        try:
            return await self.service.schemas.get(read, refresh=self.request.refresh_schema)
        except DATABASE_ERRORS as error:
            if not connection_lost(error):
                raise  # not the database being away: a fault of this service, said as such
            raise database_error(error) from None

    async def _generate(self, request: GenerationRequest) -> str:
        self.stage = "generating"
        reply = ""
        progress = 30
        self._stage(
            "generating",
            f"Generating SQL with the {self.engine.name} engine",
            progress,
            partialSql="",
        )
        async for piece in self.engine.generate(request):
            reply += piece
            progress = min(75, progress + 3)
            self._stage("generating", "Generating SQL", progress, partialSql=extract_sql(reply))
        sql = extract_sql(reply).rstrip().rstrip(";").rstrip()
        if not sql:
            raise ConversionFailed("the engine's reply held no SQL")
        return sql

    async def _validate(self, sql: str) -> str | None:
        """None when the SQL is safe and the database accepts it; else what is wrong."""
        try:
            checked = await check_sql_async(sql)
        except APIError as error:  # unsafe, or empty
            return error.message
        if checked.kind != "query":
            return None
        database = self.service.database
        wait = self.request.timeout_ms / 1000
        try:
            async with (
                database.connection(self.request.client, wait) as connection,
                connection.transaction(readonly=True),
            ):
                await connection.execute(database.caps(_VALIDATE_TIMEOUT_MS))
                # fetch, not execute: the extended protocol runs one statement at most.
                await connection.fetch("EXPLAIN " + checked.sql)
        except DATABASE_ERRORS as error:
            if connection_lost(error):
                raise database_error(error) from None
            # The database refused the SQL (or ran out of time planning it): the engine
            # is told why and asked for a correction.
            return bounded_message(postgres_message(error))
        return None
