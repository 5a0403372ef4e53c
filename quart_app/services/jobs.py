"""Jobs: one per requestId, with its task, its outcome and what the jobs API shows of it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ..bus import valid_request_id
from ..errors import APIError, Conflict, InvalidRequest, NotFound, RequestIdInUse
from ..events import Topic, utc_timestamp

JobStatus = Literal["running", "success", "error", "cancelled"]


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
    result: dict[str, Any] | None = None
    task: asyncio.Task[dict[str, Any]] | None = None
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

    async def outcome(self) -> dict[str, Any]:
        """The job's response body once it ends; raises its ``APIError`` if it failed.

        Shielded: a caller that stops waiting (a dropped HTTP request) does not
        cancel the job; only ``JobRegistry.cancel`` does.
        """
        assert self.task is not None
        return await asyncio.shield(self.task)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "requestId": self.request_id,
            "topic": self.topic,
            "status": self.status,
            "createdAt": utc_timestamp(self.created_at),
            "finishedAt": utc_timestamp(self.finished_at) if self.finished_at else None,
            "durationMs": self.duration_ms
            if self.finished_at is None
            else int((self.finished_at - self.created_at).total_seconds() * 1000),
        }
        if self.question is not None:
            body["question"] = self.question
        if self.sql is not None:
            body["sql"] = self.sql
        if self.row_count is not None:
            body["rowCount"] = self.row_count
        if self.error is not None:
            body["error"] = self.error.to_error()
        return body


class JobRegistry:
    """Jobs by requestId; keeps at most ``kept`` finished jobs, dropping the oldest first."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def create(self, request_id: str | None, topic: Topic, **details: Any) -> Job:
        if request_id is None:
            request_id = str(uuid.uuid4())
        elif not valid_request_id(request_id):
            raise InvalidRequest("requestId must be 1 to 64 characters of A-Z a-z 0-9 . _ : -")
        if request_id in self._jobs:
            raise RequestIdInUse(request_id)
        job = Job(request_id, topic, **details)
        self._jobs[request_id] = job
        self._evict()
        return job

    def start(self, job: Job, work: Coroutine[Any, Any, dict[str, Any]]) -> None:
        job.task = asyncio.create_task(work, name=f"job {job.request_id}")
        job.task.add_done_callback(_retrieve_exception)

    def get(self, request_id: str) -> Job:
        try:
            return self._jobs[request_id]
        except KeyError:
            raise NotFound(f"no job with requestId {request_id!r}", request_id=request_id) from None

    def list(self, *, topic: str | None, status: str | None, limit: int) -> list[Job]:
        found = []
        for job in reversed(self._jobs.values()):
            if (topic is None or job.topic == topic) and (status is None or job.status == status):
                found.append(job)
                if len(found) >= limit:
                    break
        return found

    def cancel(self, request_id: str) -> Job:
        job = self.get(request_id)
        if job.finished or job.task is None or job.task.done():
            raise Conflict(
                f"job {request_id!r} has already finished ({job.status})", request_id=request_id
            )
        job.task.cancel()
        return job

    async def cancel_all(self) -> None:
        tasks = [job.task for job in self._jobs.values() if job.task and not job.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _evict(self) -> None:
        excess = len(self._jobs) - self.kept
        if excess <= 0:
            return
        oldest_finished = []
        for request_id, job in self._jobs.items():
            if job.finished:
                oldest_finished.append(request_id)
                if len(oldest_finished) == excess:
                    break
        for request_id in oldest_finished:
            del self._jobs[request_id]


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    # Failures are reported through events and Job.outcome(); retrieving the
    # exception here keeps asyncio from logging "exception was never retrieved".
    if not task.cancelled():
        task.exception()
