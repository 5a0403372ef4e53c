"""Jobs: one per requestId, with its task, its outcome and what the jobs API shows of it."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias, TypeVar

from ..bus import RequestEvents, valid_request_id
from ..errors import (
    APIError,
    Cancelled,
    Conflict,
    DatabaseUnavailable,
    InternalError,
    InvalidRequest,
    NotFound,
    RequestIdInUse,
)
from ..events import Topic, utc_timestamp
from ..schemas import ConvertResult, ErrorDetail, ExecuteResult, JobStatus, JobView

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a job answers with when it succeeds.
Outcome: TypeAlias = ExecuteResult | ConvertResult


@dataclass(slots=True, eq=False)
class Job:
    request_id: str
    topic: Topic
    question: str | None = None
    sql: str | None = None
    status: JobStatus = "running"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    row_count: int | None = None
    error: APIError | None = None
    result: ExecuteResult | None = None  # kept for GET /api/jobs/{requestId}/result
    task: asyncio.Task[Outcome] | None = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def duration_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def finish(self, status: JobStatus, *, error: APIError | None = None) -> None:
        self.status = status
        self.error = error
        self.finished_at = datetime.now(UTC)

    async def outcome(self) -> Outcome:
        """The job's response body once it ends; raises its ``APIError`` if it failed.

        Shielded: a caller that stops waiting (a dropped HTTP request) does not
        cancel the job; only ``JobRegistry.cancel`` does.
        """
        assert self.task is not None
        return await asyncio.shield(self.task)

    def view(self) -> JobView:
        """The job as the jobs API shows it."""
        return JobView(
            requestId=self.request_id,
            topic=self.topic,
            status=self.status,
            createdAt=utc_timestamp(self.created_at),
            finishedAt=utc_timestamp(self.finished_at) if self.finished_at else None,
            durationMs=self.duration_ms
            if self.finished_at is None
            else int((self.finished_at - self.created_at).total_seconds() * 1000),
            question=self.question,
            sql=self.sql,
            rowCount=self.row_count,
            error=ErrorDetail(**self.error.to_error()) if self.error is not None else None,
        )


class JobStore(Protocol):
    """Where jobs are kept for the jobs API: this process's memory, or the history database."""

    async def insert(self, job: Job) -> None:
        """Keep a new job; ``RequestIdInUse`` when its requestId was used before."""

    async def save(self, job: Job) -> None: ...

    async def get(self, request_id: str) -> JobView | None: ...

    async def result(self, request_id: str) -> tuple[bool, ExecuteResult | None]: ...

    async def list(self, *, topic: str | None, status: str | None, limit: int) -> list[JobView]: ...

    async def request_cancel(self, request_id: str) -> None:
        """Ask the process that runs this job (not this one) to cancel it."""


class MemoryJobStore:
    """The newest ``kept`` finished jobs of this process, and all its running ones."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    async def insert(self, job: Job) -> None:
        if job.request_id in self._jobs:
            raise RequestIdInUse(job.request_id)
        self._jobs[job.request_id] = job
        excess = len(self._jobs) - self.kept
        if excess > 0:
            oldest_finished = []
            for request_id, kept in self._jobs.items():
                if kept.finished:
                    oldest_finished.append(request_id)
                    if len(oldest_finished) == excess:
                        break
            for request_id in oldest_finished:
                del self._jobs[request_id]

    async def save(self, job: Job) -> None:
        pass  # the Job object itself is what is kept

    async def get(self, request_id: str) -> JobView | None:
        job = self._jobs.get(request_id)
        return job.view() if job else None

    async def result(self, request_id: str) -> tuple[bool, ExecuteResult | None]:
        job = self._jobs.get(request_id)
        return (job is not None, job.result if job else None)

    async def list(self, *, topic: str | None, status: str | None, limit: int) -> list[JobView]:
        found = []
        for job in reversed(self._jobs.values()):
            if (topic is None or job.topic == topic) and (status is None or job.status == status):
                found.append(job.view())
                if len(found) >= limit:
                    break
        return found

    async def request_cancel(self, request_id: str) -> None:
        pass  # one process: a job not running here is not running anywhere


class JobRegistry:
    """This process's running jobs (their tasks), in front of the store the jobs API reads."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._running: dict[str, Job] = {}

    async def create(self, request_id: str | None, topic: Topic, **details: Any) -> Job:
        if request_id is None:
            request_id = str(uuid.uuid4())
        elif not valid_request_id(request_id):
            raise InvalidRequest("requestId must be 1 to 64 characters of A-Z a-z 0-9 . _ : -")
        job = Job(request_id, topic, **details)
        await self.store.insert(job)
        return job

    def running(self) -> list[str]:
        """The requestIds of the jobs running in this process that have not ended yet."""
        return [request_id for request_id, job in self._running.items() if not job.finished]

    def start(self, job: Job, work: Coroutine[Any, Any, Outcome]) -> None:
        job.task = asyncio.create_task(work, name=f"job {job.request_id}")
        self._running[job.request_id] = job
        job.task.add_done_callback(_retrieve_exception)
        job.task.add_done_callback(lambda _: self._running.pop(job.request_id, None))

    async def finish(self, job: Job, status: JobStatus, *, error: APIError | None = None) -> None:
        job.finish(status, error=error)
        await self.store.save(job)

    async def get(self, request_id: str) -> JobView:
        try:
            view = await self.store.get(request_id)
        except DatabaseUnavailable:
            if (job := self._running.get(request_id)) is None:
                raise
            view = job.view()  # running here: this process knows it best anyway
        if view is None:
            raise NotFound(f"no job with requestId {request_id!r}", request_id=request_id)
        return view

    async def result(self, request_id: str) -> ExecuteResult:
        exists, result = await self.store.result(request_id)
        if not exists:
            raise NotFound(f"no job with requestId {request_id!r}", request_id=request_id)
        if result is None:
            raise NotFound(f"job {request_id!r} has no result", request_id=request_id)
        return result

    async def list(self, *, topic: str | None, status: str | None, limit: int) -> list[JobView]:
        return await self.store.list(topic=topic, status=status, limit=limit)

    async def cancel(self, request_id: str) -> None:
        """Cancel a running job, here or in another process; ``Conflict`` when it has ended."""
        if self.cancel_local(request_id):
            return
        view = await self.get(request_id)
        if view.status != "running":
            raise Conflict(
                f"job {request_id!r} has already finished ({view.status})", request_id=request_id
            )
        await self.store.request_cancel(request_id)

    def cancel_local(self, request_id: str) -> bool:
        job = self._running.get(request_id)
        if job is None or job.task is None or job.task.done():
            return False
        job.task.cancel()
        return True

    async def cancel_all(self) -> None:
        tasks = [job.task for job in self._running.values() if job.task and not job.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class StageReporter:
    """Publishes one topic's stages of a request, remembering the current one as ``failedStage``."""

    topic: Topic

    def __init__(self, events: RequestEvents) -> None:
        self.events = events
        self.stage = "received"

    def _stage(self, stage: str, message: str, progress: int, **metadata: Any) -> None:
        self.stage = stage
        self.events.progress(self.topic, stage, message, progress, **metadata)

    async def fail(self, error: APIError, status: str) -> None:
        """The terminal ``error`` or ``cancelled`` event."""
        metadata: dict[str, Any] = {"error": error.to_error(), "failedStage": self.stage}
        message = (
            "Cancelled" if status == "cancelled" else f"Failed while {self.stage}: {error.message}"
        )
        await self.events.finish(self.topic, status, message, **metadata)  # type: ignore[arg-type]


async def run_step(
    jobs: JobRegistry,
    job: Job,
    work: Awaitable[T],
    fail: Callable[[APIError, str], Awaitable[None]],
) -> T:
    """Await one step of a job; if it fails, end the job and report it, then raise its APIError.

    The job is saved as ended before ``fail`` publishes the terminal event, so a
    client that sees that event finds the job finished in the jobs API.
    """
    try:
        return await work
    except asyncio.CancelledError:
        error: APIError = Cancelled("cancelled by request", request_id=job.request_id)
        await jobs.finish(job, "cancelled", error=error)
        await fail(error, "cancelled")
        raise error from None
    except APIError as failure:
        failure.request_id = job.request_id
        await jobs.finish(job, "error", error=failure)
        await fail(failure, "error")
        raise
    except Exception as unexpected:
        log.exception("job %s failed unexpectedly", job.request_id)
        error = InternalError(
            "unexpected server error; the server log has details", request_id=job.request_id
        )
        await jobs.finish(job, "error", error=error)
        await fail(error, "error")
        raise error from unexpected


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    # Failures are reported through events and Job.outcome(); retrieving the
    # exception here keeps asyncio from logging "exception was never retrieved".
    if not task.cancelled():
        task.exception()
