"""What the progress machinery costs on a large scan: execute against a bare asyncpg cursor.

    python bench/query_streaming.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                    [--runs 5] [--rows 2000000]

Creates a scratch database with the demo data set (dropped at the end), then
alternates, in one process:

- **bare**: a READ ONLY transaction, a server-side cursor over the same query,
  fetched in batches of ``QUART_APP_FETCH_BATCH_ROWS`` (5,000), rows turned into
  lists of JSON-ready values (what any API serving them must do);
- **bare, fetched as execute does**: the same, but from a prepared statement with
  execute's batches (100 rows, doubling up to 5,000), so that against execute
  only the progress machinery differs;
- **execute**: ``Service.start("query-execution/execute")`` as REST and STOMP SEND
  use it: validation, ``EXPLAIN`` for the estimate, prepare, the same cursor,
  adaptive batches, value conversion, a progress event at least every 100 ms
  (``QUART_APP_PROGRESS_INTERVAL_MS``) into the bus with one subscriber draining
  them, the terminal event, the job record.

Prints the median seconds of each, and execute against both baselines.
Goal: progress costs under 10%, i.e. execute against the second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from quart_app.bus import Destination
from quart_app.config import Config
from quart_app.runtime import Service
from quart_app.storage import demo_data, sandbox
from quart_app.storage.database import with_user
from quart_app.storage.values import jsonable_row

SQL = "SELECT id, customer_id, url, viewed_at FROM page_views"
FIRST_BATCH = 100  # execute's first batch, which doubles while rows arrive fast


async def bare(url: str, rows: int, batch: int, *, like_execute: bool = False) -> float:
    """The bare cursor; ``like_execute`` fetches as execute does, without its events."""
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        fetched: list[list[object]] = []
        async with connection.transaction(readonly=True):
            if like_execute:  # a prepared statement, and batches doubling from 100
                statement = await connection.prepare(f"{SQL} LIMIT {rows}")
                cursor = await statement.cursor()
                size = min(FIRST_BATCH, batch)
            else:
                cursor = await connection.cursor(f"{SQL} LIMIT {rows}")
                size = batch
            while records := await cursor.fetch(size):
                fetched.extend(jsonable_row(record) for record in records)
                if like_execute:
                    size = min(size * 2, batch)
        elapsed = time.perf_counter() - started
        assert len(fetched) == rows, len(fetched)
        return elapsed
    finally:
        await connection.close()


async def execute(service: Service, rows: int) -> tuple[float, int]:
    events = 0
    request_id = f"bench-{uuid.uuid4().hex[:12]}"
    async with service.bus.subscribe(Destination(request_id=request_id)) as subscription:
        started = time.perf_counter()
        job = await service.start(
            "query-execution/execute",
            {"sql": f"{SQL} LIMIT {rows}", "maxRows": rows, "requestId": request_id},
        )
        result = await job.outcome()
        elapsed = time.perf_counter() - started
        while subscription.pop() is not None:
            events += 1
    assert result.rowCount == rows, result.rowCount
    return elapsed, events


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    name = f"bench_stream_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(args.admin_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    # User SQL runs as a role that may only read, as the service insists; the bare paths too.
    reader = f"bench_reader_{uuid.uuid4().hex[:8]}"
    reader_url = with_user(url, reader)
    try:
        connection = await asyncpg.connect(url)
        await demo_data.load(connection)
        await sandbox.prepare_reader(
            connection,
            role=reader,
            schemas=("public",),
            limits=sandbox.ReaderLimits(),
        )
        await connection.close()
        url = reader_url
        config = Config(
            database_url=url,
            history_url="memory",
            max_rows_limit=args.rows,
            max_result_bytes=2**40,  # the whole scan, past the default cap on a result's size
            subscriber_queue_size=100_000,
            default_timeout_ms=600_000,
            max_timeout_ms=600_000,
        )
        service = await Service.build(config)
        try:
            times: dict[str, list[float]] = {"bare": [], "like": [], "execute": []}
            events = 0
            batch = config.fetch_batch_rows
            for _ in range(args.runs):  # alternate, so drift on the machine hits all
                times["bare"].append(await bare(url, args.rows, batch))
                times["like"].append(await bare(url, args.rows, batch, like_execute=True))
                elapsed, events = await execute(service, args.rows)
                times["execute"].append(elapsed)
        finally:
            await service.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{reader}"')
        await admin.close()
    bare_s = statistics.median(times["bare"])
    like_s = statistics.median(times["like"])
    execute_s = statistics.median(times["execute"])
    print(f"query streaming: {args.rows:,} rows of page_views, {args.runs} runs, medians\n")
    print("| path | seconds | rows/s | events |")
    print("|---|---:|---:|---:|")
    print(
        f"| bare asyncpg cursor, {batch:,}-row batches | {bare_s:.2f} | {args.rows / bare_s:,.0f} | |"
    )
    print(
        f"| bare, fetched as execute does (prepared, batches doubling from {FIRST_BATCH}) "
        f"| {like_s:.2f} | {args.rows / like_s:,.0f} | |"
    )
    print(f"| execute, with progress | {execute_s:.2f} | {args.rows / execute_s:,.0f} | {events} |")
    print(f"\nexecute against the bare cursor: {(execute_s / bare_s - 1) * 100:+.1f}%")
    print(
        f"execute against the same fetching without events (the cost of progress): "
        f"{(execute_s / like_s - 1) * 100:+.1f}% (goal: under 10%)"
    )


if __name__ == "__main__":
    asyncio.run(main())
