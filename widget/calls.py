"""One request from the notebook, written once as a sequence of HTTP steps.

``steps`` is a generator that yields what to do (post, get, follow the request's
events) and receives the answers; :class:`SyncDriver` and :class:`AsyncDriver`
perform those steps with httpx, so the sync methods and their async twins share
every decision and differ only in how they wait.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from httpx_sse import SSEError, aconnect_sse, connect_sse

# The server sends a ping every 15 s; a stream silent for much longer is dead.
_READ_TIMEOUT = 60.0
_RECONNECTS = 5


class RequestFailed(Exception):
    """The service refused or failed a request; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(slots=True)
class Post:
    path: str
    body: dict[str, Any] | None = None
    respond_async: bool = False


@dataclass(slots=True)
class Get:
    path: str


@dataclass(slots=True)
class Follow:
    """Read the request's events from its first one until the request is over."""

    request_id: str
    on_event: Callable[[Mapping[str, Any]], None]
    done: Callable[[], bool]


Step = Post | Get | Follow
Steps = Generator[Step, Any, dict[str, Any]]


def job_path(request_id: str, suffix: str = "") -> str:
    return f"/api/jobs/{quote(request_id, safe='')}{suffix}"


@dataclass(slots=True)
class Outcome:
    """What the events of one request said about how it ended."""

    request_id: str
    kind: str  # run, ask or convert
    executes: bool = True
    failure: dict[str, Any] | None = None
    converted: dict[str, Any] | None = None
    ended: bool = False

    def take(self, event: Mapping[str, Any]) -> None:
        status, metadata = event["status"], event.get("metadata") or {}
        if status == "progress":
            return
        if status != "success":
            self.failure = metadata.get("error") or {"code": status, "message": status}
            self.ended = True
        elif event["topic"] == "nl-to-sql":
            self.converted = dict(metadata)
            self.ended = not self.executes
        else:
            self.ended = True

    def steps(self) -> Steps:
        """The response body the blocking call would have given, from the events and the job."""
        if not self.ended:  # the stream ended first: the job knows how it went
            job = yield Get(job_path(self.request_id))
            if job.get("status") == "running":
                raise RequestFailed("internal", "the event stream ended before the request did")
            if job.get("error"):
                self.failure = job["error"]
        if self.failure is not None:
            raise RequestFailed(
                self.failure.get("code", "internal"),
                self.failure.get("message", ""),
                self.request_id,
            )
        result = None
        if self.kind == "run" or self.executes:
            result = yield Get(job_path(self.request_id, "/result"))
            if self.kind == "run":
                return dict(result)
        converted = self.converted or {}
        body = {
            "requestId": self.request_id,
            "sql": converted.get("sql") or (result or {}).get("sql"),
        }
        body.update({key: converted.get(key) for key in ("engine", "model", "durationMs")})
        if result is not None:
            body["result"] = result
        return body


@dataclass(slots=True)
class _Reader:
    """Reconnect bookkeeping shared by both drivers' event loops."""

    follow: Follow
    last_event_id: int = 0
    failures: int = 0

    def url(self, base: str) -> str:
        return f"{base}/sse/topic/requests/{quote(self.follow.request_id, safe='')}"

    def headers(self) -> dict[str, str]:
        return {"Last-Event-ID": str(self.last_event_id)}

    def opened(self, response: httpx.Response) -> bool:
        """False when there is nothing to read: the request is over (204)."""
        if response.status_code == 204:
            return False
        if not response.is_success:
            response.read()
            raise _failure(response)
        return True

    def take(self, event_name: str, data: str) -> bool:
        """Take one SSE message; True once the request is over."""
        if event_name == "status":
            event = json.loads(data)
            if event["eventId"] > self.last_event_id:
                self.last_event_id = event["eventId"]
                self.failures = 0
                self.follow.on_event(event)
        return self.follow.done()

    def lost(self, base: str, error: Exception) -> float:
        """Seconds to wait before reconnecting; raises after too many failures in a row."""
        self.failures += 1
        if self.failures > _RECONNECTS:
            raise RequestFailed(
                "unreachable", f"lost the event stream from {base}: {error}"
            ) from None
        return min(0.2 * 2.0**self.failures, 3.0)


class _Driver:
    def __init__(self, base: str, timeout: float, token: str | None = None) -> None:
        self.base = base
        self.timeout = timeout
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, step: Post | Get) -> dict[str, Any]:
        """The arguments of ``httpx.request`` for one step."""
        if isinstance(step, Get):
            return {"method": "GET", "url": self.base + step.path, "headers": self.auth}
        headers = {"Prefer": "respond-async", **self.auth} if step.respond_async else self.auth
        return {
            "method": "POST",
            "url": self.base + step.path,
            "json": step.body,
            "headers": headers,
        }


class SyncDriver(_Driver):
    def drive(self, steps: Steps) -> dict[str, Any]:
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply = self.perform(step)

    def perform(self, step: Step) -> Any:
        if isinstance(step, Follow):
            return self._follow(step)
        try:
            response = httpx.request(**self.request(step), timeout=self.timeout)
        except httpx.HTTPError as error:
            raise _unreachable(self.base, error) from None
        return answer(response)

    def _follow(self, step: Follow) -> None:
        reader = _Reader(step)
        timeout = httpx.Timeout(self.timeout, read=_READ_TIMEOUT)
        with httpx.Client(timeout=timeout) as http:
            while True:
                try:
                    with connect_sse(
                        http,
                        "GET",
                        reader.url(self.base),
                        headers={**reader.headers(), **self.auth},
                    ) as source:
                        if not reader.opened(source.response):
                            return
                        for sse in source.iter_sse():
                            if reader.take(sse.event, sse.data):
                                return
                except (httpx.TransportError, SSEError) as error:
                    time.sleep(reader.lost(self.base, error))


class AsyncDriver(_Driver):
    async def drive(self, steps: Steps) -> dict[str, Any]:
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply = await self.perform(step)

    async def perform(self, step: Step) -> Any:
        read = _READ_TIMEOUT if isinstance(step, Follow) else self.timeout
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout, read=read)) as http:
            if isinstance(step, Follow):
                return await self._follow(http, step)
            try:
                response = await http.request(**self.request(step))
            except httpx.HTTPError as error:
                raise _unreachable(self.base, error) from None
            return answer(response)

    async def _follow(self, http: httpx.AsyncClient, step: Follow) -> None:
        reader = _Reader(step)
        while True:
            try:
                async with aconnect_sse(
                    http, "GET", reader.url(self.base), headers={**reader.headers(), **self.auth}
                ) as source:
                    if not reader.opened(source.response):
                        return
                    async for sse in source.aiter_sse():
                        if reader.take(sse.event, sse.data):
                            return
            except (httpx.TransportError, SSEError) as error:
                await asyncio.sleep(reader.lost(self.base, error))


def answer(response: httpx.Response) -> dict[str, Any]:
    """A response's JSON body, or :class:`RequestFailed` with the service's error code."""
    if response.is_success:
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise _failure(response) from None
        return body
    raise _failure(response)


def _failure(response: httpx.Response) -> RequestFailed:
    try:
        body = response.json()
        error = body.get("error") or {}
    except (ValueError, AttributeError):
        return RequestFailed("internal", f"HTTP {response.status_code}: {response.text[:200]}")
    return RequestFailed(
        error.get("code", "internal"),
        error.get("message", f"HTTP {response.status_code}"),
        body.get("requestId"),
    )


def _unreachable(base: str, error: Exception) -> RequestFailed:
    if isinstance(error, httpx.ConnectError):  # nothing listens there, or no such host
        port = httpx.URL(base).port
        command = ".venv/bin/python -m quart_app" + (f" --port {port}" if port else "")
        return RequestFailed(
            "unreachable",
            f"no quart_app service answers at {base} ({error}); start one with "
            f"`{command}` in the project's folder, or give its address "
            "as Client(url=...) or QUART_APP_URL",
        )
    return RequestFailed("unreachable", f"cannot reach {base}: {error}")
