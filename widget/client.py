"""The notebook client: sync methods for cells, async twins for ``await``."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pandas as pd

DEFAULT_URL = "http://127.0.0.1:8080"
_NUMERIC_TYPES = frozenset({"numeric", "money"})
_TIME_TYPES = frozenset({"timestamptz", "timestamp", "date"})


class RequestFailed(Exception):
    """The service refused or failed a request; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


class Client:
    """A quart_app service, from a notebook.

    ``timeout`` bounds each HTTP request in seconds (the statement timeout is
    separate: ``timeout_ms`` on ``run`` and ``ask``).
    """

    def __init__(self, url: str | None = None, *, timeout: float = 600.0) -> None:
        self.url = (url or os.environ.get("QUART_APP_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # Sync, for cells -------------------------------------------------------------

    def run(
        self, sql: str, *, max_rows: int | None = None, timeout_ms: int | None = None
    ) -> pd.DataFrame:
        """Run one read-only statement; its rows as a DataFrame."""
        body = self._post("/api/query-execution/execute", _execute_body(sql, max_rows, timeout_ms))
        return to_dataframe(body)

    def convert(self, question: str) -> str:
        """The SQL for ``question``, without running it."""
        body = self._post("/api/nl-to-sql/convert", {"question": question, "execute": False})
        sql: str = body["sql"]
        return sql

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
        body = self._post("/api/nl-to-sql/convert", _convert_body(question, max_rows, timeout_ms))
        return to_dataframe(body["result"], question=question)

    # Async twins -----------------------------------------------------------------

    async def arun(
        self, sql: str, *, max_rows: int | None = None, timeout_ms: int | None = None
    ) -> pd.DataFrame:
        body = await self._apost(
            "/api/query-execution/execute", _execute_body(sql, max_rows, timeout_ms)
        )
        return to_dataframe(body)

    async def aconvert(self, question: str) -> str:
        body = await self._apost("/api/nl-to-sql/convert", {"question": question, "execute": False})
        sql: str = body["sql"]
        return sql

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
        body = await self._apost(
            "/api/nl-to-sql/convert", _convert_body(question, max_rows, timeout_ms)
        )
        return to_dataframe(body["result"], question=question)

    # HTTP ------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = httpx.post(self.url + path, json=body, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise RequestFailed("unreachable", f"cannot reach {self.url}: {error}") from None
        return _answer(response)

    async def _apost(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.post(self.url + path, json=body)
        except httpx.HTTPError as error:
            raise RequestFailed("unreachable", f"cannot reach {self.url}: {error}") from None
        return _answer(response)


def _execute_body(sql: str, max_rows: int | None, timeout_ms: int | None) -> dict[str, Any]:
    return _with_limits({"sql": sql}, max_rows, timeout_ms)


def _convert_body(question: str, max_rows: int | None, timeout_ms: int | None) -> dict[str, Any]:
    return _with_limits({"question": question, "execute": True}, max_rows, timeout_ms)


def _with_limits(
    body: dict[str, Any], max_rows: int | None, timeout_ms: int | None
) -> dict[str, Any]:
    if max_rows is not None:
        body["maxRows"] = max_rows
    if timeout_ms is not None:
        body["timeoutMs"] = timeout_ms
    return body


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        raise RequestFailed(
            "internal", f"HTTP {response.status_code}: {response.text[:200]}"
        ) from None
    if response.is_success:
        return body
    error = body.get("error") or {}
    raise RequestFailed(
        error.get("code", "internal"),
        error.get("message", f"HTTP {response.status_code}"),
        body.get("requestId"),
    )


def to_dataframe(result: dict[str, Any], *, question: str | None = None) -> pd.DataFrame:
    """An execute result as a DataFrame: decimals become numbers and timestamps datetimes again."""
    names = [column["name"] for column in result["columns"]]
    frame = pd.DataFrame(result["rows"], columns=names)
    for position, column in enumerate(result["columns"]):
        series = frame.iloc[:, position]
        if column["type"] in _NUMERIC_TYPES:
            frame.isetitem(position, pd.to_numeric(series))
        elif column["type"] in _TIME_TYPES:
            frame.isetitem(
                position,
                pd.to_datetime(series, utc=column["type"] == "timestamptz", format="ISO8601"),
            )
    frame.attrs.update(
        {"requestId": result["requestId"], "sql": result["sql"], "truncated": result["truncated"]}
    )
    if question is not None:
        frame.attrs["question"] = question
    return frame
