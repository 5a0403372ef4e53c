"""Pipeline overhead of NL to SQL, outside the engine.

Runs the whole conversion pipeline (events for every stage, schema from the
cache, prompt, streamed pieces, safety check, EXPLAIN in a read-only
transaction) with an engine that answers instantly, and beside it the floor
any such tool pays: the same safety check and EXPLAIN on a pooled connection.
The difference is what the pipeline itself costs.

    DATABASE_URL=postgresql://... python bench/nl_to_sql_overhead.py [--runs 500]

Without DATABASE_URL it uses the embedded database in QUART_APP_DATA_DIR (or
the default data folder), loading the demo data set if needed. DATABASE_URL must
log in as a role that can only read, as for the service itself (README, "What
SQL may run"), or set QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE=on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import AsyncIterator

from quart_app.bus import RequestEvents
from quart_app.config import Config
from quart_app.runtime import Service
from quart_app.services.nl_to_sql.engine import GenerationRequest
from quart_app.services.nl_to_sql.pipeline import ConvertRequest
from quart_app.services.sql_safety import check_sql

SQL = (
    "SELECT c.country, count(DISTINCT o.id) AS orders FROM customers AS c "
    "JOIN orders AS o ON c.id = o.customer_id WHERE o.status = 'shipped' GROUP BY c.country"
)


class InstantEngine:
    name = "instant"
    model = None

    async def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        for piece in SQL.split(" JOIN "):
            yield piece if piece.startswith("SELECT") else " JOIN " + piece


async def main(runs: int) -> None:
    config = Config.from_env()
    service = await Service.build(config)
    offline = service.nl_to_sql.engine
    assert service.database.pool is not None
    try:
        pipeline, floor, with_offline = [], [], []
        for number in range(runs + 20):  # the first 20 warm caches and connections
            service.nl_to_sql.engine = offline
            offline_ms = await convert(service, "How many orders were shipped in 2024 per country?")
            service.nl_to_sql.engine = InstantEngine()
            pipeline_ms = await convert(service, "bench")
            started = time.perf_counter()
            checked = check_sql(SQL)
            async with (
                service.database.pool.acquire() as connection,
                connection.transaction(readonly=True),
            ):
                await connection.execute("SET LOCAL statement_timeout = 10000")
                await connection.execute("EXPLAIN " + checked.sql)
            floor_ms = (time.perf_counter() - started) * 1000
            if number >= 20:
                pipeline.append(pipeline_ms)
                floor.append(floor_ms)
                with_offline.append(offline_ms)
    finally:
        await service.close()
    overhead = [p - f for p, f in zip(pipeline, floor, strict=True)]
    print(
        f"NL to SQL pipeline overhead, {runs} runs, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print(f"{'':34} {'median':>8} {'p95':>8}")
    for name, values in (
        ("pipeline, instant engine (ms)", pipeline),
        ("floor: check + EXPLAIN (ms)", floor),
        ("overhead = pipeline - floor (ms)", overhead),
        ("pipeline, offline engine (ms)", with_offline),
    ):
        ordered = sorted(values)
        print(
            f"{name:34} {statistics.median(values):8.2f} {ordered[int(len(ordered) * 0.95)]:8.2f}"
        )
    print(f"ratio pipeline/floor: {statistics.median(pipeline) / statistics.median(floor):.2f}x")


async def convert(service: Service, question: str) -> float:
    job = await service.jobs.create(None, "nl-to-sql", question=question)
    started = time.perf_counter()
    await service.nl_to_sql.run(
        job,
        RequestEvents(service.bus, job.request_id),
        ConvertRequest(question, False, 1000, 30000),
    )
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=500)
    asyncio.run(main(parser.parse_args().runs))
