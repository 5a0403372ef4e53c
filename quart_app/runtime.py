"""The composition root: ``Service.build`` starts every part once, in order, from the
settings; ``Service.start`` is the one entry for operations, so REST and STOMP ``SEND``
share validation, requestId rules and behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from quart import current_app

from .bus import EventBus
from .config import Config
from .errors import InvalidRequest, NotFound
from .replay_rate import ReplayRate
from .schemas import ConvertBody, ExecuteBody, parse_body
from .services.jobs import Job, JobRegistry, JobStore, MemoryJobStore
from .services.nl_to_sql.engine import Engine
from .services.nl_to_sql.offline import OfflineEngine
from .services.nl_to_sql.pipeline import ConvertRequest, NlToSqlService
from .services.orphans import OrphanReaper
from .services.query_execution import ExecuteRequest, QueryExecutionService
from .storage.database import Database
from .storage.history import History
from .storage.memory import MemoryHistory
from .storage.shared import SharedStore
from .streams import StreamLimit
from .transports.pacing import WriteClock


@dataclass(slots=True)
class Service:
    config: Config
    database: Database
    bus: EventBus
    jobs: JobRegistry
    query_execution: QueryExecutionService
    nl_to_sql: NlToSqlService
    operations: Mapping[str, Callable[[Mapping[str, Any], str], Awaitable[Job]]] = field(
        default_factory=dict
    )
    write_clock: WriteClock = field(default_factory=lambda: WriteClock(0))
    streams: StreamLimit = field(default_factory=lambda: StreamLimit(0, 0))
    # Reading a kept result parses all of its rows (up to QUART_APP_MAX_RESULT_BYTES of
    # JSON) and holds a history connection meanwhile: a few at a time, so that many
    # requests for big results wait here instead of taking every history connection.
    result_reads: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    # What ``build`` started, closed in the reverse order by ``close``.
    resources: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    @classmethod
    async def build(cls, config: Config) -> Service:
        """Start every part of the service once, in order, from the settings: the user's
        database (starting the embedded server if needed), then the service's own state,
        in memory or in PostgreSQL shared with other processes, then the bus and the jobs."""
        resources = AsyncExitStack()
        try:
            database = Database(config)
            resources.push_async_callback(database.stop)
            await database.start()
            if database.history_url == "memory":
                history, store = (
                    MemoryHistory(config.history_size),
                    MemoryJobStore(config.jobs_kept),
                )
                return await cls._assemble(config, database, history, store, resources)
            return await cls._shared(config, database, resources)
        except BaseException:
            await resources.aclose()
            raise

    @classmethod
    async def _shared(
        cls, config: Config, database: Database, resources: AsyncExitStack
    ) -> Service:
        """The service keeping its state in a history database shared with other processes."""
        assert database.history_url is not None
        shared = await SharedStore.open(database.history_url, config)
        resources.push_async_callback(shared.close)
        service = await cls._assemble(config, database, shared.history, shared.jobs, resources)
        await shared.stop_jobs_with(service.jobs.cancel_local)
        orphans = OrphanReaper(
            service.bus,
            service.jobs,
            shared,
            grace=config.process_grace_seconds,
            timeout=config.history_timeout_seconds,
        )
        orphans.start()
        resources.push_async_callback(orphans.close)
        return service

    @classmethod
    async def _assemble(
        cls,
        config: Config,
        database: Database,
        history: History,
        store: JobStore,
        resources: AsyncExitStack,
    ) -> Service:
        bus = EventBus(
            history,
            queue_size=config.subscriber_queue_size,
            replay_rate=ReplayRate(config.replay_events_per_second),
            quiet_seconds=config.write_coalesce_ms / 1000,
        )
        await bus.start()
        resources.push_async_callback(bus.close)
        jobs = JobRegistry(store)
        query_execution = QueryExecutionService(config, database, bus, jobs)
        nl_to_sql = NlToSqlService(
            config, database, bus, jobs, make_engine(config), query_execution
        )
        service = cls(
            config,
            database,
            bus,
            jobs,
            query_execution,
            nl_to_sql,
            write_clock=WriteClock(config.write_coalesce_ms / 1000),
            streams=StreamLimit(config.max_streams, config.max_streams_per_client),
            resources=resources,
        )
        service.operations = {
            "query-execution/execute": service.execute,
            "nl-to-sql/convert": service.convert,
        }
        return service

    async def close(self) -> None:
        """Cancel the running jobs (their ends are published), then stop what ``build`` started."""
        await self.jobs.cancel_all()
        await self.resources.aclose()

    async def start(self, operation: str, body: Any, *, client: str = "local") -> Job:
        """Start ``operation`` (``query-execution/execute``, ...) from a decoded JSON body,
        for ``client`` (its address: statements running at once are capped per client)."""
        try:
            start = self.operations[operation]
        except KeyError:
            raise NotFound(f"no operation {operation!r}") from None
        if not isinstance(body, Mapping):
            raise InvalidRequest("the body must be a JSON object")
        return await start(body, client)

    async def execute(self, body: ExecuteBody | Mapping[str, Any], client: str = "local") -> Job:
        """Start a statement; ``body`` as validated by REST, or still to validate (STOMP)."""
        request = body if isinstance(body, ExecuteBody) else parse_body(ExecuteBody, body)
        max_rows, timeout_ms = self._limits(request.maxRows, request.timeoutMs)
        return await self.query_execution.submit(
            ExecuteRequest(request.sql, max_rows, timeout_ms, client),
            request_id=request.requestId,
        )

    async def convert(self, body: ConvertBody | Mapping[str, Any], client: str = "local") -> Job:
        """Start a conversion; ``body`` as validated by REST, or still to validate (STOMP)."""
        request = body if isinstance(body, ConvertBody) else parse_body(ConvertBody, body)
        if not request.question.strip():
            raise InvalidRequest("question must not be blank")
        max_rows, timeout_ms = self._limits(request.maxRows, request.timeoutMs)
        convert = ConvertRequest(
            request.question.strip(),
            request.execute,
            max_rows,
            timeout_ms,
            request.refreshSchema,
            client,
        )
        return await self.nl_to_sql.submit(convert, request_id=request.requestId)

    def _limits(self, max_rows: int | None, timeout_ms: int | None) -> tuple[int, int]:
        """The request's limits, or the settings' defaults; beyond the settings' bounds is
        ``InvalidRequest`` (the models cannot know the bounds: they are settings)."""
        max_rows = max_rows or self.config.default_max_rows
        timeout_ms = timeout_ms or self.config.default_timeout_ms
        if max_rows > self.config.max_rows_limit:
            raise InvalidRequest(f"maxRows may be at most {self.config.max_rows_limit}")
        if timeout_ms > self.config.max_timeout_ms:
            raise InvalidRequest(f"timeoutMs may be at most {self.config.max_timeout_ms}")
        return max_rows, timeout_ms


def make_engine(config: Config) -> Engine:
    """The OpenAI-compatible engine when a key or base URL is set, else the offline one."""
    if config.uses_openai:
        # Imported here: the openai package takes half a second to import, for nothing
        # when the offline engine answers.
        from .services.nl_to_sql.openai_engine import OpenAIEngine

        return OpenAIEngine(
            api_key=config.openai_api_key,
            base_url=config.openai_base_url,
            model=config.openai_model,
            timeout=config.llm_timeout_seconds,
        )
    return OfflineEngine()


def current_service() -> Service:
    service: Service = current_app.extensions["quart_app"]
    return service
