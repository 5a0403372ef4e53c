"""Keeping a job's result in the history database: a large one is no outage, and one holding
what jsonb cannot (a lone surrogate, NUL) is kept all the same."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import httpx
import pytest

from quart_app.schemas import ExecuteResult
from quart_app.storage.results import RESULT_CHARS_PER_SECOND, ROWS_PER_SLICE, result_json
from tests.servers import ServerProcess, new_id

# A disk that writes a result at half the rate a write is given time for
# (RESULT_CHARS_PER_SECOND), and a write that stalls, each for the requests named so.
SLOW_DISK = f"""
CREATE FUNCTION public.slow_disk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.request_id LIKE 'slow-disk-%' AND NEW.result IS NOT NULL THEN
        PERFORM pg_sleep(octet_length(NEW.result::text) / {RESULT_CHARS_PER_SECOND * 2}.0);
    ELSIF NEW.request_id LIKE 'stalled-%' THEN
        PERFORM pg_sleep(1.5);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER slow_disk BEFORE UPDATE ON quart_app.jobs
    FOR EACH ROW EXECUTE FUNCTION public.slow_disk();
"""
# 256 rows of 32,000 characters: about 8 MB of JSON, 2 s on the slow disk.
LARGE = "SELECT g, repeat(md5(g::text), 1000) AS text FROM generate_series(1, 256) AS g"
# What is logged when the history database is taken for away, or this process for gone.
OUTAGE = (
    "will be saved once the history database is back",
    "ended by another process",
    "cannot store events",
    "heart-beat to the history database failed",
    "went unseen",
)


async def slow_disk(history_url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(history_url)
    await connection.execute(SLOW_DISK)
    return connection


async def kept(connection: asyncpg.Connection, request_id: str) -> tuple[str, bool]:
    row = await connection.fetchrow(
        "SELECT status, result IS NOT NULL AS has_result FROM quart_app.jobs WHERE request_id = $1",
        request_id,
    )
    return row["status"], row["has_result"]


async def test_a_large_result_is_written_without_an_outage(servers: Any, history_url: str) -> None:
    """Its write takes twice the history's timeout: it is given time for its size, and
    meanwhile other requests, events and heart-beats go on."""
    server: ServerProcess = servers(
        QUART_APP_HISTORY_TIMEOUT_SECONDS="1", QUART_APP_PROCESS_GRACE_SECONDS="2"
    )
    history = await slow_disk(history_url)
    rid = f"slow-disk-{new_id()}"
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            large = asyncio.create_task(
                http.post("/api/query-execution/execute", json={"sql": LARGE, "requestId": rid})
            )
            while not large.done():  # another client meanwhile
                began = time.monotonic()
                small = await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
                assert small.status_code == 200, small.text
                assert time.monotonic() - began < 2.0
                await asyncio.sleep(0.1)
            response = await large
            assert response.status_code == 200, response.text
            assert response.json()["rowCount"] == 256
            # Answered once kept, as a job is: not left to a retry.
            assert await kept(history, rid) == ("success", True)
            result = await http.get(f"/api/jobs/{rid}/result")
            assert result.status_code == 200
            assert result.json()["rows"] == response.json()["rows"]
            await asyncio.sleep(1.0)  # heart-beats, and any retry, come in
        assert not [line for line in server.log().splitlines() if any(s in line for s in OUTAGE)]
        seen = await history.fetchval(
            "SELECT extract(epoch FROM now() - max(seen_at)) FROM quart_app.processes"
        )
        assert seen < 2
    finally:
        await history.close()


async def test_a_save_whose_answer_never_came_is_not_taken_for_another_process(
    servers: Any, history_url: str
) -> None:
    """The write outlives the timeout and commits after it: the retry finds the job saved
    by it, not ended by another process (there is none)."""
    server: ServerProcess = servers(QUART_APP_HISTORY_TIMEOUT_SECONDS="1")
    history = await slow_disk(history_url)
    rid = f"stalled-{new_id()}"
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            response = await http.post(
                "/api/query-execution/execute", json={"sql": "SELECT 42", "requestId": rid}
            )
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 10
            while f"job {rid} had been" not in server.log():  # the retry has run
                assert time.monotonic() < deadline, server.log()
                await asyncio.sleep(0.1)
            assert await kept(history, rid) == ("success", True)
            assert (await http.get(f"/api/jobs/{rid}/result")).json()["rows"] == [[42]]
        log = server.log()
        assert "ended by another process" not in log
        assert f"job {rid} will be saved once the history database is back" in log
        assert f"job {rid} had been saved already, by a write whose answer never came" in log
    finally:
        await history.close()


@pytest.mark.parametrize(
    ("sql", "row"),
    [
        ("SELECT '\"\\ud800\"'::json", ['"\\ud800"']),  # as the \u0000 rule: its text
        ("SELECT '\"\\uDFFF\"'::json", ['"\\uDFFF"']),
        (
            'SELECT \'{"\\udc00": ["\\ud83d\\ude00", 1]}\'::json',
            ['{"\\udc00": ["\\ud83d\\ude00", 1]}'],
        ),
        ("SELECT '\"\\ude00\\ud83d\"'::json", ['"\\ude00\\ud83d"']),  # a pair the wrong way
        ("SELECT ARRAY['\"\\ud800\"'::json, '1']", [['"\\ud800"', 1]]),
        ("SELECT '[\"\\ud83d\\ude00\"]'::json", [["\U0001f600"]]),  # a pair: one character
        ("SELECT '\"\\ud800\"'::json::text", ['"\\ud800"']),  # text holds the six characters
    ],
)
async def test_json_holding_a_lone_surrogate_is_answered_and_kept(
    http: httpx.AsyncClient, server: ServerProcess, sql: str, row: list[Any]
) -> None:
    rid = new_id()
    response = await http.post("/api/query-execution/execute", json={"sql": sql, "requestId": rid})
    assert response.status_code == 200, response.text
    result = await http.get(f"/api/jobs/{rid}/result")
    assert result.status_code == 200, result.text
    assert response.json()["rows"] == result.json()["rows"] == [row]
    assert f"job {rid} is kept without its result" not in server.log()


async def test_text_or_jsonb_cannot_hold_a_lone_surrogate(http: httpx.AsyncClient) -> None:
    """PostgreSQL refuses to make one of the json value: the client's SQL error, as any."""
    for sql in ("SELECT '\"\\ud800\"'::jsonb", "SELECT '[\"\\ud800\"]'::json ->> 0"):
        response = await http.post("/api/query-execution/execute", json={"sql": sql})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["sqlstate"] == "22P02"


async def test_what_jsonb_cannot_hold_is_kept_as_the_replacement_character() -> None:
    rows: list[list[Any]] = [[n, f"row {n}"] for n in range(ROWS_PER_SLICE * 2 + 1)]
    rows[5] = ["\ud800", "a\x00b", {"\udfff": "\U0001f600 \\ud800 \\u0000"}]
    result = ExecuteResult(
        requestId="r",
        sql="SELECT",
        columns=[],
        rows=rows,
        rowCount=len(rows),
        truncated=False,
        durationMs=1,
    )
    kept = json.loads(await result_json(result))
    rows[5] = ["\ufffd", "a\ufffdb", {"\ufffd": "\U0001f600 \\ud800 \\u0000"}]
    assert kept == {**result.model_dump(), "rows": rows}
