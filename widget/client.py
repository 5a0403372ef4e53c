"""The notebook client: sync methods for cells, async twins for ``await``.

Inside a Jupyter kernel each call shows a :class:`~widget.progress.ProgressWidget`
in the cell. In ``browser`` mode (the default) the widget's front end follows the
request from the server itself; in ``kernel`` mode, for front ends that cannot
reach the server, the client follows the events in the kernel and updates the
widget from the running cell.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Mapping
from typing import Any, Literal, get_args
from urllib.parse import urlencode

import pandas as pd

from .calls import (
    AsyncDriver,
    Follow,
    Get,
    Outcome,
    Post,
    RequestFailed,
    Steps,
    SyncDriver,
    job_path,
)
from .chart import show_under
from .progress import Mode, ProgressWidget, Transport

DEFAULT_URL = "http://127.0.0.1:8080"
Kind = Literal["run", "ask", "convert"]
_NUMERIC_TYPES = frozenset({"numeric", "money"})
_TIME_TYPES = frozenset({"timestamptz", "timestamp", "date"})
# How the service spells the numbers a float holds but text cannot be parsed into by pandas.
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_PATHS = {
    "run": "/api/query-execution/execute",
    "ask": "/api/nl-to-sql/convert",
    "convert": "/api/nl-to-sql/convert",
}


class Client:
    """A quart_app service, from a notebook.

    ``url`` defaults to ``QUART_APP_URL``, then ``http://127.0.0.1:8080``.
    ``widget`` shows the live panel (default: when running in a Jupyter kernel).
    ``mode`` is ``"browser"`` or ``"kernel"`` (default ``QUART_APP_WIDGET_MODE``,
    then browser); ``transport`` is how the browser follows, ``"sse"`` or
    ``"stomp"`` (``QUART_APP_WIDGET_TRANSPORT``); ``browser_url`` is the server as
    the browser reaches it, when that differs (``QUART_APP_BROWSER_URL``).
    ``timeout`` bounds each HTTP request in seconds; the statement timeout is
    ``timeout_ms`` on ``run`` and ``ask``. ``token`` is the server's API token
    (``QUART_APP_API_TOKEN``); with one, the panel follows in kernel mode unless
    told otherwise, since a browser would need the token too.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        widget: bool | None = None,
        mode: Mode | None = None,
        transport: Transport | None = None,
        browser_url: str | None = None,
        timeout: float = 600.0,
        token: str | None = None,
    ) -> None:
        self.url = (url or os.environ.get("QUART_APP_URL") or DEFAULT_URL).rstrip("/")
        self.widget = _in_kernel() if widget is None else widget
        # Kept in the kernel only: a token in the panel's state would be saved in the notebook.
        self.token = token or os.environ.get("QUART_APP_API_TOKEN") or None
        modes: tuple[str, ...] = get_args(Mode)
        if self.token is not None:  # only the kernel may hold it, so it follows by default
            modes = ("kernel", "browser")
        self.mode: Mode = _choice("mode", mode, "QUART_APP_WIDGET_MODE", modes)
        self.transport: Transport = _choice(
            "transport", transport, "QUART_APP_WIDGET_TRANSPORT", get_args(Transport)
        )
        self.browser_url = (
            browser_url or os.environ.get("QUART_APP_BROWSER_URL") or self.url
        ).rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r}, mode={self.mode!r})"

    # Sync, for cells -------------------------------------------------------------

    def run(
        self, sql: str, *, max_rows: int | None = None, timeout_ms: int | None = None
    ) -> pd.DataFrame:
        """Run one read-only statement; its rows as a DataFrame."""
        call = self._call("run", {"sql": sql}, max_rows, timeout_ms)
        return call.finish(self._drive(call, call.steps()))

    def convert(self, question: str) -> str:
        """The SQL for ``question``, without running it."""
        call = self._call("convert", {"question": question, "execute": False})
        return call.finish(self._drive(call, call.steps()))

    def ask(
        self,
        question: str,
        *,
        execute: bool = True,
        max_rows: int | None = None,
        timeout_ms: int | None = None,
    ) -> pd.DataFrame | str:
        """Turn ``question`` into SQL and run it: a DataFrame (the SQL alone with ``execute=False``)."""
        if not execute:
            return self.convert(question)
        call = self._call("ask", {"question": question, "execute": True}, max_rows, timeout_ms)
        return call.finish(self._drive(call, call.steps()))

    def start(
        self,
        sql: str | None = None,
        *,
        question: str | None = None,
        execute: bool = True,
        max_rows: int | None = None,
        timeout_ms: int | None = None,
    ) -> Job:
        """Start a request without waiting for it: run ``sql``, or ask ``question``.

        The widget keeps following it in browser mode while other cells run;
        ``job.wait()`` returns what ``run``/``ask`` would have, ``job.cancel()`` stops it.
        """
        if (sql is None) == (question is None):
            raise ValueError("give either sql or question")
        if sql is not None:
            call = self._call("run", {"sql": sql}, max_rows, timeout_ms)
        else:
            kind: Kind = "ask" if execute else "convert"
            call = self._call(
                kind, {"question": question, "execute": execute}, max_rows, timeout_ms
            )
        self._drive(call, call.started())
        return Job(self, call)

    def watch(self, request_id: str) -> None:
        """Show the panel for any request, replayed from its first event.

        In kernel mode this follows a running request to its end.
        """
        job = self.job(request_id)
        kind: Kind = "run" if job["topic"] == "query-execution" else "ask"
        executes = kind == "run" or job["status"] == "running" or "rowCount" in job
        call = _Call(self, kind, {"requestId": request_id}, executes=executes)
        call.title = job.get("question") or job.get("sql") or request_id
        call.show()
        # A finished request replays in an instant, so the kernel fills the panel even when
        # no browser is looking; a running one is left to the browser unless in kernel mode.
        if call.panel is not None and (call.in_kernel or job["status"] != "running"):
            self._sync().perform(call.follow(into_panel=True))
            call.refresh()

    def cancel(self, request_id: str) -> dict[str, Any]:
        """Ask the server to cancel a running request."""
        return self._sync().drive(_one(Post(job_path(request_id, "/cancel"))))

    def job(self, request_id: str) -> dict[str, Any]:
        """One request as the jobs API shows it (status, times, question, SQL, error)."""
        return self._sync().drive(_one(Get(job_path(request_id))))

    def jobs(
        self, *, topic: str | None = None, status: str | None = None, limit: int = 50
    ) -> pd.DataFrame:
        """Recent requests, newest first, as a DataFrame."""
        query = urlencode({"limit": limit, "topic": topic or "", "status": status or ""})
        body = self._sync().drive(_one(Get(f"/api/jobs?{query}")))
        frame = pd.DataFrame(body["jobs"])
        for column in ("createdAt", "finishedAt"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame

    def events(self, request_id: str) -> pd.DataFrame:
        """A request's events, in order, as they were streamed."""
        body = self._sync().drive(_one(Get(job_path(request_id, "/events"))))
        return pd.DataFrame(body["events"])

    # Async twins -----------------------------------------------------------------

    async def arun(
        self, sql: str, *, max_rows: int | None = None, timeout_ms: int | None = None
    ) -> pd.DataFrame:
        call = self._call("run", {"sql": sql}, max_rows, timeout_ms)
        return call.finish(await self._adrive(call, call.steps()))

    async def aconvert(self, question: str) -> str:
        call = self._call("convert", {"question": question, "execute": False})
        return call.finish(await self._adrive(call, call.steps()))

    async def aask(
        self,
        question: str,
        *,
        execute: bool = True,
        max_rows: int | None = None,
        timeout_ms: int | None = None,
    ) -> pd.DataFrame | str:
        if not execute:
            return await self.aconvert(question)
        call = self._call("ask", {"question": question, "execute": True}, max_rows, timeout_ms)
        return call.finish(await self._adrive(call, call.steps()))

    # Plumbing --------------------------------------------------------------------

    def _call(
        self,
        kind: Kind,
        body: dict[str, Any],
        max_rows: int | None = None,
        timeout_ms: int | None = None,
    ) -> _Call:
        body["requestId"] = str(uuid.uuid4())
        if max_rows is not None:
            body["maxRows"] = max_rows
        if timeout_ms is not None:
            body["timeoutMs"] = timeout_ms
        return _Call(self, kind, body, executes=kind != "convert")

    def _sync(self) -> SyncDriver:
        return SyncDriver(self.url, self.timeout, self.token)

    def _async(self) -> AsyncDriver:
        return AsyncDriver(self.url, self.timeout, self.token)

    def _drive(self, call: _Call, steps: Steps) -> dict[str, Any]:
        call.show()
        try:
            return self._sync().drive(steps)
        except KeyboardInterrupt:
            call.interrupted()
            raise
        except RequestFailed as error:
            call.failed(error)
            raise

    async def _adrive(self, call: _Call, steps: Steps) -> dict[str, Any]:
        call.show()
        try:
            return await self._async().drive(steps)
        except (KeyboardInterrupt, asyncio.CancelledError):
            call.interrupted()
            raise
        except RequestFailed as error:
            call.failed(error)
            raise


class Job:
    """A request started with :meth:`Client.start`."""

    def __init__(self, client: Client, call: _Call) -> None:
        self._client = client
        self._call = call
        self.request_id = call.request_id

    def __repr__(self) -> str:
        return f"<Job {self.request_id} ({self._call.kind})>"

    @property
    def widget(self) -> ProgressWidget | None:
        return self._call.panel

    def status(self) -> str:
        """``running``, ``success``, ``error`` or ``cancelled``, as the server has it now."""
        status: str = self._client.job(self.request_id)["status"]
        return status

    def cancel(self) -> dict[str, Any]:
        return self._client.cancel(self.request_id)

    def wait(self) -> pd.DataFrame | str:
        """Wait for the end: the DataFrame (or SQL), or :class:`RequestFailed`."""
        return self._call.finish(self._client._drive(self._call, self._call.awaited()))


class _Call:
    """One request: its body, its panel, and how its answer becomes a return value."""

    def __init__(
        self,
        client: Client,
        kind: Kind,
        body: dict[str, Any],
        *,
        executes: bool,
    ) -> None:
        self.client = client
        self.kind = kind
        self.body = body
        self.request_id: str = body["requestId"]
        self.title = body.get("question") or body.get("sql") or ""
        self.outcome = Outcome(self.request_id, kind, executes)
        self.panel: ProgressWidget | None = None
        self._display: Any = None

    @property
    def in_kernel(self) -> bool:
        return self.panel is not None and self.client.mode == "kernel"

    def show(self) -> None:
        if self.panel is not None or not self.client.widget:
            return
        from IPython.display import display

        self.panel = ProgressWidget(
            on_cancel=self._cancel_quietly,
            url=self.client.browser_url,
            request_id=self.request_id,
            title=" ".join(self.title.split()),
            kind=self.kind,
            executes=self.outcome.executes,
            mode=self.client.mode,
            transport=self.client.transport,
        )
        self._display = display(self.panel, display_id=True)  # type: ignore[no-untyped-call]

    def refresh(self) -> None:
        """Show the outcome in the output's plain-text form too, for viewers without widgets."""
        if self._display is not None:
            self._display.update(self.panel)

    def steps(self) -> Steps:
        """The request from start to end: one blocking POST, or in kernel mode an
        asynchronous start followed by the request's events in this cell."""
        if not self.in_kernel:
            body: dict[str, Any] = yield Post(_PATHS[self.kind], self.body)
            return body
        yield from self.started()
        return (yield from self.awaited())

    def started(self) -> Steps:
        accepted: dict[str, Any] = yield Post(_PATHS[self.kind], self.body, respond_async=True)
        return accepted

    def awaited(self) -> Steps:
        """Follow the events (into the panel in kernel mode), then fetch the answer."""
        yield self.follow()
        return (yield from self.outcome.steps())

    def follow(self, *, into_panel: bool = False) -> Follow:
        into_panel = into_panel or self.in_kernel

        def take(event: Mapping[str, Any]) -> None:
            self.outcome.take(event)
            if into_panel and self.panel is not None:
                self.panel.apply(event)

        return Follow(self.request_id, take, lambda: self.outcome.ended)

    def finish(self, body: Mapping[str, Any]) -> pd.DataFrame | str:
        if self.kind == "convert":
            if self.panel is not None:
                self.panel.succeed(body, None)
                self.refresh()
            sql: str = body["sql"]
            return sql
        result = body if self.kind == "run" else body["result"]
        frame = to_dataframe(result, question=self.body.get("question"))
        if self.panel is not None:
            self.panel.succeed(result, frame)
            self.refresh()
            show_under(self.panel, frame)
        return frame

    def failed(self, error: RequestFailed) -> None:
        if self.panel is not None:
            self.panel.fail(error.code, error.message)
            self.refresh()

    def interrupted(self) -> None:
        """The kernel was interrupted: the request must not go on without anyone waiting."""
        self._cancel_quietly()
        if self.panel is not None:
            self.panel.fail("cancelled", "interrupted in the kernel")
            self.refresh()

    def _cancel_quietly(self) -> None:
        try:
            self.client.cancel(self.request_id)
        except RequestFailed:
            pass  # already over, or the server is gone: nothing left to stop


def _one(step: Post | Get) -> Steps:
    body: dict[str, Any] = yield step
    return body


def _choice(name: str, value: str | None, variable: str, allowed: tuple[str, ...]) -> Any:
    chosen = value or os.environ.get(variable) or allowed[0]
    if chosen not in allowed:
        source = name if value else variable
        raise ValueError(f"{source} must be one of {', '.join(allowed)}; got {chosen!r}")
    return chosen


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def to_dataframe(result: Mapping[str, Any], *, question: str | None = None) -> pd.DataFrame:
    """An execute result as a DataFrame: decimals become numbers and timestamps datetimes again."""
    names = [column["name"] for column in result["columns"]]
    frame = pd.DataFrame(result["rows"], columns=names)
    for position, column in enumerate(result["columns"]):
        series = frame.iloc[:, position]
        # A column pandas cannot hold (money's "$", a date past 2262 or 'infinity') stays text.
        try:
            if column["type"] in _NUMERIC_TYPES:
                frame.isetitem(position, pd.to_numeric(series.replace(_NON_FINITE)))
            elif column["type"] in _TIME_TYPES:
                frame.isetitem(
                    position,
                    pd.to_datetime(series, utc=column["type"] == "timestamptz", format="ISO8601"),
                )
        except (ValueError, OverflowError):
            pass
    frame.attrs.update(
        {
            "requestId": result["requestId"],
            "sql": result["sql"],
            "truncated": result["truncated"],
            "truncatedReason": result.get("truncatedReason"),
            "chart": result.get("chart"),
        }
    )
    if question is not None:
        frame.attrs["question"] = question
    return frame
