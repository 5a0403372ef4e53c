"""What one request costs the history database: events, NOTIFYs, rows, bytes and reads.

    python bench/request_events.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                   [--runs 30]

Starts ``python -m quart_app`` on its embedded defaults in a new data folder (the
demo data set), with its history in a scratch database on ``--admin-url``'s server
(dropped at the end), twice: once with the offline engine, once with
``OPENAI_BASE_URL`` on a stand-in endpoint in this script that streams a fixed
reply (a 215-character SQL statement in a fenced block) in chunks of 4
characters, about one token each as OpenAI's API streams them, one every 12.5 ms
(80 tokens/s). Each kind of request runs ``--runs`` times, one at a time, each
followed as the dashboard and the notebook panel follow one: an SSE stream on
``/sse/topic/requests/{id}?lastEventId=0`` opened first, then the POST, read
until the stream ends.

Prints per request, for each kind: events stored, NOTIFYs on the events channel
(one per history commit of events, counted by a LISTEN connection of this script),
bytes of event JSON, the kept job row, the growth of the history's tables
(``pg_total_relation_size``: heap, TOAST and indexes), and the index scans and rows
the service read from ``quart_app.status_events`` (``pg_stat_user_tables``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from startup import healthy

ROOT = Path(__file__).resolve().parent.parent
LLM_SQL = (
    "SELECT c.name, sum(oi.quantity * oi.unit_price) AS total_spend\n"
    "FROM customers c\nJOIN orders o ON o.customer_id = c.id\n"
    "JOIN order_items oi ON oi.order_id = o.id\nGROUP BY c.id, c.name\n"
    "ORDER BY total_spend DESC\nLIMIT 5"
)
LLM_REPLY = f"```sql\n{LLM_SQL}\n```"
CHUNK_CHARS = 4
CHUNK_SECONDS = 0.0125
QUESTION = "top 5 customers by total spend"


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    body: dict[str, Any]


OFFLINE_KINDS = (
    Kind("sql, 1 row", "/api/query-execution/execute", {"sql": "SELECT count(*) FROM orders"}),
    Kind("sql, 1,000 rows", "/api/query-execution/execute", {"sql": "SELECT * FROM customers"}),
    Kind(
        "sql, 200,000 of 2,000,000 rows",
        "/api/query-execution/execute",
        {"sql": "SELECT * FROM page_views", "maxRows": 200000},
    ),
    Kind(
        "question, offline engine",
        "/api/nl-to-sql/convert",
        {"question": QUESTION, "execute": True},
    ),
)
LLM_KINDS = (
    Kind(
        "question, streamed LLM", "/api/nl-to-sql/convert", {"question": QUESTION, "execute": True}
    ),
)


class StandInLLM:
    """An OpenAI-compatible endpoint that streams ``LLM_REPLY`` in ``CHUNK_CHARS`` pieces."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = [LLM_REPLY[i : i + CHUNK_CHARS] for i in range(0, len(LLM_REPLY), CHUNK_CHARS)]
        self._chunk(body["model"], {"role": "assistant", "content": ""}, None)
        for piece in pieces:
            time.sleep(CHUNK_SECONDS)
            self._chunk(body["model"], {"content": piece}, None)
        self._chunk(body["model"], {}, "stop")
        self._write(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, model: str, delta: dict[str, str], finish: str | None) -> None:
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        self._write(f"data: {json.dumps(chunk)}\n\n".encode())

    def _write(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def service(history_url: str, data_dir: Path, port: int, **env: str) -> Iterator[None]:
    settings = {**os.environ, "QUART_APP_DATA_DIR": str(data_dir), **env}
    settings["QUART_APP_HISTORY_URL"] = history_url
    for name in ("DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        if name not in env:
            settings.pop(name, None)
    log = data_dir / f"service-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "quart_app", "--port", str(port)],
            cwd=ROOT,
            env=settings,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while not healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


async def follow(http: httpx.AsyncClient, kind: Kind) -> int:
    """Run one request of ``kind`` followed over SSE; the events the stream carried."""
    request_id = f"bench-{uuid.uuid4().hex[:12]}"
    received = 0
    opened = asyncio.Event()

    async def stream() -> None:
        nonlocal received
        url = f"/sse/topic/requests/{request_id}?lastEventId=0"
        async with http.stream("GET", url) as response:
            opened.set()
            async for line in response.aiter_lines():
                received += line.startswith("data:")

    reader = asyncio.create_task(stream())
    await opened.wait()
    answer = await http.post(kind.path, json={**kind.body, "requestId": request_id})
    answer.raise_for_status()
    await asyncio.wait_for(reader, 60)
    return received


TABLE_STATS = """
SELECT coalesce(sum(idx_scan) FILTER (WHERE relname = 'status_events'), 0) AS scans,
       coalesce(sum(idx_tup_fetch) FILTER (WHERE relname = 'status_events'), 0) AS rows_read,
       pg_total_relation_size('quart_app.status_events') AS events_bytes,
       pg_total_relation_size('quart_app.jobs') AS jobs_bytes,
       (SELECT count(*) FROM quart_app.status_events) AS events,
       (SELECT coalesce(sum(octet_length(body)), 0) FROM quart_app.status_events) AS json_bytes,
       (SELECT coalesce(sum(pg_column_size(j.*)), 0) FROM quart_app.jobs j) AS job_row_bytes,
       (SELECT count(*) FROM quart_app.jobs) AS jobs
  FROM pg_stat_user_tables WHERE schemaname = 'quart_app'
"""


async def table_stats(connection: asyncpg.Connection) -> dict[str, int]:
    await asyncio.sleep(1.2)  # backends report their table counts at most once a second
    await connection.execute("SELECT pg_stat_clear_snapshot()")
    row = await connection.fetchrow(TABLE_STATS)
    return {name: int(value) for name, value in row.items()}


async def measure(history_url: str, port: int, kinds: tuple[Kind, ...], runs: int) -> None:
    notified: list[int] = []

    def on_notify(connection: Any, pid: int, channel: str, payload: str) -> None:
        first, last = (int(part) for part in payload.split(","))
        notified.append(last - first + 1)

    connection = await asyncpg.connect(history_url)
    await connection.add_listener("quart_app_events", on_notify)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for kind in kinds:
            await follow(http, kind)  # the schema cache, the prepared statements
            before, notified[:] = await table_stats(connection), []
            received = [await follow(http, kind) for _ in range(runs)]
            after = await table_stats(connection)
            report(kind, runs, received, notified, before, after)
    await connection.close()


def report(
    kind: Kind,
    runs: int,
    received: list[int],
    notified: list[int],
    before: dict[str, int],
    after: dict[str, int],
) -> None:
    d = {name: (after[name] - before[name]) / runs for name in after}
    growth = d["events_bytes"] + d["jobs_bytes"]
    print(
        f"{kind.name:32} {d['events']:7.1f} {sum(received) / runs:8.1f} {len(notified) / runs:8.1f}"
        f" {d['json_bytes'] / max(d['events'], 1):8.0f} {d['json_bytes']:9.0f}"
        f" {d['job_row_bytes']:9.0f} {growth:10.0f} {d['scans']:6.1f} {d['rows_read']:7.1f}"
    )


HEADER = (
    f"{'per request':32} {'events':>7} {'received':>8} {'NOTIFYs':>8} {'B/event':>8}"
    f" {'event B':>9} {'job row B':>9} {'tables B':>10} {'scans':>6} {'rows rd':>7}"
)


async def main(admin_url: str, runs: int) -> None:
    name = f"quart_app_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    history_url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    data_dir = Path(tempfile.mkdtemp(prefix="quart_app_bench_"))
    print(f"request events, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, {runs} runs each")
    print(HEADER)
    try:
        port = free_port()
        with service(history_url, data_dir, port):
            await measure(history_url, port, OFFLINE_KINDS, runs)
        port = free_port()
        with (
            StandInLLM() as llm,
            service(
                history_url, data_dir, port, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="bench"
            ),
        ):
            await measure(history_url, port, LLM_KINDS, runs)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--runs", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.admin_url, arguments.runs))
