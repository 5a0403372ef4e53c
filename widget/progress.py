"""The live panel shown in a cell: one request's stages, progress, SQL, rows and outcome.

Its browser side (``static/widget.js``) follows the request over SSE, or STOMP over
``/ws``, by itself, so it stays live while the kernel is busy, and writes what it
sees back to these traits. In kernel mode the client feeds it events from the
running cell instead (:meth:`ProgressWidget.apply`). Either way the traits end up
holding the outcome, which a saved notebook keeps.

``apply`` mirrors ``reduce`` in ``widget.js``; the two must stay in step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import anywidget
import pandas as pd
import traitlets

Mode = Literal["browser", "kernel"]
Transport = Literal["sse", "stomp"]
TERMINAL = frozenset({"success", "error", "cancelled"})
_FINAL_TRAITS = ("status", "stage", "progress", "message")
PREVIEW_ROWS = 10
# Share of the bar given to writing the SQL when the SQL is then run.
_CONVERT_SHARE = 30

_STATIC = Path(__file__).parent / "static"


class ProgressWidget(anywidget.AnyWidget):
    """One request followed live: ``status`` ends as success, error or cancelled."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    # What is followed, and how.
    url = traitlets.Unicode("").tag(sync=True)
    request_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("ask").tag(sync=True)  # ask, convert, run or watch
    executes = traitlets.Bool(True).tag(sync=True)  # an nl-to-sql success is not the end
    mode = traitlets.Unicode("browser").tag(sync=True)
    transport = traitlets.Unicode("sse").tag(sync=True)

    # What has happened so far.
    status = traitlets.Unicode("waiting").tag(sync=True)
    stage = traitlets.Unicode("").tag(sync=True)
    topic = traitlets.Unicode("").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Int(None, allow_none=True).tag(sync=True)
    timeline = traitlets.List(traitlets.Dict()).tag(sync=True)
    sql = traitlets.Unicode("").tag(sync=True)
    interpretation = traitlets.Unicode("").tag(sync=True)  # the offline engine's reading
    estimated_rows = traitlets.Int(None, allow_none=True).tag(sync=True)
    rows_fetched = traitlets.Int(None, allow_none=True).tag(sync=True)
    row_count = traitlets.Int(None, allow_none=True).tag(sync=True)
    truncated = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Dict().tag(sync=True)
    started_at = traitlets.Unicode("").tag(sync=True)
    finished_at = traitlets.Unicode("").tag(sync=True)
    duration_ms = traitlets.Int(None, allow_none=True).tag(sync=True)
    last_event_id = traitlets.Int(0).tag(sync=True)
    preview = traitlets.Dict().tag(sync=True)
    connection = traitlets.Unicode("").tag(sync=True)  # the browser's link to the server
    # The charts the result may be drawn as (the suggested one first, "table" last), and
    # the one shown under the panel; the panel's buttons set it, the kernel draws it.
    chart_kinds = traitlets.List(traitlets.Unicode()).tag(sync=True)
    chart_kind = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_cancel: Callable[[], object] | None = None, **kwargs: Any) -> None:
        self._final: dict[str, Any] | None = None
        super().__init__(**kwargs)
        self._on_cancel = on_cancel
        self._on_chart_kind: Callable[[str], object] | None = None
        self.on_msg(self._message)

    def __repr__(self) -> str:
        outcome = self.status
        if self.status == "success" and self.row_count is not None:
            outcome += f", {self.row_count:,} rows"
        elif self.error:
            outcome += f", {self.error.get('code')}: {self.error.get('message')}"
        if self.duration_ms is not None:
            outcome += f", {self.duration_ms:,} ms"
        return f"<ProgressWidget {self.request_id or '-'}: {outcome}>"

    # The kernel and the browser both write these traits. A browser's update sent just
    # before it learnt of the end must not take the panel back to running: once the
    # status is final, these four are put back as they were, which also sends them to
    # the front ends again (ipywidgets has already echoed the stale values).
    @traitlets.observe("status", "stage", "progress", "message")
    def _keep_final(self, change: Any) -> None:
        name, value = change["name"], change["new"]
        if self._final is None:
            if name == "status" and value in TERMINAL:
                self._final = {key: getattr(self, key) for key in _FINAL_TRAITS}
        elif value != self._final[name]:
            setattr(self, name, self._final[name])

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def apply(self, event: Mapping[str, Any]) -> None:
        """Take one status event into the panel (events already seen are skipped)."""
        if event["eventId"] <= self.last_event_id:
            return
        metadata = event.get("metadata") or {}
        topic, stage, status = event["topic"], event["stage"], event["status"]
        with self.hold_sync():
            self.last_event_id = event["eventId"]
            if not self.started_at:
                self.started_at = event["timestamp"]
            self.timeline = _with_stage(self.timeline, event)
            sql = metadata.get("partialSql") or metadata.get("sql")
            if sql and (topic == "nl-to-sql" or not self.sql):
                self.sql = sql
            if topic == "nl-to-sql" and metadata.get("interpretation"):
                self.interpretation = metadata["interpretation"]
            if "estimatedRows" in metadata:
                self.estimated_rows = metadata["estimatedRows"]
            if "rowsFetched" in metadata:
                self.rows_fetched = metadata["rowsFetched"]
            if "rowCount" in metadata:
                self.row_count = metadata["rowCount"]
                self.truncated = bool(metadata.get("truncated"))
            if self.finished:
                return  # the outcome is known (the kernel may set it first); keep it
            self.topic, self.stage, self.message = topic, stage, event["message"]
            if event["progress"] is not None:
                self.progress = _overall(topic, event["progress"], self.executes)
            ends = status != "progress" and (
                status != "success" or topic == "query-execution" or not self.executes
            )
            if not ends:
                self.status = "running"
                return
            self.status = status
            self.finished_at = event["timestamp"]
            self.duration_ms = _milliseconds_between(self.started_at, self.finished_at)
            if status != "success":
                self.error = dict(metadata.get("error") or {"code": status, "message": ""})

    def succeed(self, result: Mapping[str, Any] | None, frame: pd.DataFrame | None) -> None:
        """The outcome as the kernel received it: final even if no event reached the panel."""
        with self.hold_sync():
            if result is not None:
                self.sql = result.get("sql") or self.sql
                if "rowCount" in result:
                    self.row_count = result["rowCount"]
                    self.truncated = bool(result.get("truncated"))
                if self.duration_ms is None and "durationMs" in result:
                    self.duration_ms = result["durationMs"]
            if frame is not None:
                self.preview = preview(frame, self.row_count, self.truncated)
            if not self.finished:  # the status last: once final, the rest stays as it is
                self.stage, self.progress = "completed", 100
                self.message = _success_message(result or {})
                self.status = "success"

    def fail(self, code: str, message: str) -> None:
        """The request failed or was interrupted, as the kernel saw it."""
        if self.finished:
            return
        with self.hold_sync():
            self.stage = "cancelled" if code == "cancelled" else "failed"
            self.error = {"code": code, "message": message}
            self.status = "cancelled" if code == "cancelled" else "error"

    def on_chart_kind(self, switch: Callable[[str], object]) -> None:
        """Call ``switch(kind)`` whenever the chart shown is to change."""
        self._on_chart_kind = switch

    @traitlets.observe("chart_kind")
    def _chart_kind_changed(self, change: Any) -> None:
        if self._on_chart_kind is not None and change["new"] in self.chart_kinds:
            self._on_chart_kind(change["new"])

    def _message(self, _widget: object, content: Any, _buffers: object) -> None:
        # The browser asks the kernel to cancel when it cannot reach the server itself.
        if isinstance(content, dict) and content.get("type") == "cancel" and self._on_cancel:
            self._on_cancel()


def _success_message(result: Mapping[str, Any]) -> str:
    """What the server's last event says on success, from the response body alone."""
    took = f" in {result['durationMs']} ms" if "durationMs" in result else ""
    if "rowCount" not in result:
        return f"SQL ready{took}"
    count = result["rowCount"]
    truncated = " (truncated)" if result.get("truncated") else ""
    return f"{count:,} row{'' if count == 1 else 's'}{took}{truncated}"


def _with_stage(timeline: list[dict[str, Any]], event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per stage in order; a repeated stage (generating, fetching) updates its entry."""
    entry = {
        "topic": event["topic"],
        "stage": event["stage"],
        "status": event["status"],
        "message": event["message"],
        "at": event["timestamp"],
    }
    for position, seen in enumerate(timeline):
        if seen["topic"] == entry["topic"] and seen["stage"] == entry["stage"]:
            updated = list(timeline)
            updated[position] = {**entry, "at": seen["at"]}
            return updated
    return [*timeline, entry]


def _overall(topic: str, progress: int, executes: bool) -> int:
    """One bar for the whole request: writing the SQL, then running it."""
    if not executes:
        return progress
    if topic == "nl-to-sql":
        return progress * _CONVERT_SHARE // 100
    return _CONVERT_SHARE + progress * (100 - _CONVERT_SHARE) // 100


def _milliseconds_between(start: str, end: str) -> int | None:
    try:
        begun = datetime.fromisoformat(start.replace("Z", "+00:00"))
        ended = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (ended - begun) // timedelta(milliseconds=1)  # exact, as Date.parse differences are


def preview(frame: pd.DataFrame, row_count: int | None, truncated: bool) -> dict[str, Any]:
    """The first rows of a result as text, for the panel's table."""
    head = frame.head(PREVIEW_ROWS)
    columns = [_column_text(head.iloc[:, position]) for position in range(head.shape[1])]
    return {
        "columns": [str(name) for name in head.columns],
        "numeric": [pd.api.types.is_numeric_dtype(dtype) for dtype in head.dtypes],
        "rows": [list(row) for row in zip(*columns, strict=True)] if columns else [],
        "rowCount": len(frame) if row_count is None else row_count,
        "truncated": truncated,
    }


def _column_text(series: pd.Series) -> list[str]:
    """Cells as text; a float column gets two decimals unless all its values are whole."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = all(math.isnan(value) or value.is_integer() for value in series)
        return ["" if math.isnan(value) else f"{value:.{0 if whole else 2}f}" for value in series]
    return [_cell_text(value) for value in series]


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
