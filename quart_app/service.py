"""The running service: configuration, database, bus, jobs and the operations they serve.

Routes and STOMP sessions start operations through ``Service.start``, so REST
and ``SEND`` share validation, requestId rules and behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from quart import current_app

from .bus import EventBus, MemoryHistory
from .config import Config
from .errors import InvalidRequest, NotFound
from .services.jobs import Job, JobRegistry
from .services.query_execution import ExecuteRequest, QueryExecutionService
from .storage.database import Database

M = TypeVar("M", bound=BaseModel)

REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


class ExecuteBody(BaseModel):
    """Body of ``POST /api/query-execution/execute`` and ``SEND /app/query-execution/execute``."""

    model_config = ConfigDict(strict=True)

    sql: str = Field(min_length=1, max_length=1_000_000, description="One read-only statement.")
    requestId: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)
    maxRows: int | None = Field(
        default=None, ge=1, description="Rows returned at most (default 1000)."
    )
    timeoutMs: int | None = Field(
        default=None, ge=1, description="Statement timeout (default 30000)."
    )


@dataclass(slots=True)
class Service:
    config: Config
    database: Database
    bus: EventBus
    jobs: JobRegistry
    query_execution: QueryExecutionService
    operations: Mapping[str, Callable[[Mapping[str, Any]], Job]] = field(default_factory=dict)

    @classmethod
    def create(cls, config: Config) -> Service:
        database = Database(config)
        bus = EventBus(MemoryHistory(config.history_size), queue_size=config.subscriber_queue_size)
        jobs = JobRegistry(config.jobs_kept)
        service = cls(
            config, database, bus, jobs, QueryExecutionService(config, database, bus, jobs)
        )
        service.operations = {"query-execution/execute": service.execute}
        return service

    def start(self, operation: str, body: Any) -> Job:
        """Start ``operation`` (``query-execution/execute``, ...) from a decoded JSON body."""
        try:
            start = self.operations[operation]
        except KeyError:
            raise NotFound(f"no operation {operation!r}") from None
        if not isinstance(body, Mapping):
            raise InvalidRequest("the body must be a JSON object")
        return start(body)

    def execute(self, body: Mapping[str, Any]) -> Job:
        request = parse_body(ExecuteBody, body)
        max_rows = request.maxRows or self.config.default_max_rows
        timeout_ms = request.timeoutMs or self.config.default_timeout_ms
        if max_rows > self.config.max_rows_limit:
            raise InvalidRequest(f"maxRows may be at most {self.config.max_rows_limit}")
        if timeout_ms > self.config.max_timeout_ms:
            raise InvalidRequest(f"timeoutMs may be at most {self.config.max_timeout_ms}")
        return self.query_execution.submit(
            ExecuteRequest(request.sql, max_rows, timeout_ms), request_id=request.requestId
        )


def parse_body(model: type[M], body: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(dict(body))
    except ValidationError as error:
        raise InvalidRequest(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def current_service() -> Service:
    service: Service = current_app.extensions["quart_app"]
    return service
