"""Events published, stored and delivered per second: PostgreSQL history against the in-memory one.

    python bench/durable_publish.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch database on that server (dropped at the end). Two measures:

1. Throughput in one process: 100 concurrent requests each publish progress
   events and a terminal one; a subscriber receives them all. Events per second
   from the first publish to the last delivery, for each store, same run.
2. Cross-process delivery: process A publishes 1,000 events/s for 5 s; process
   B, sharing the history database, receives them through LISTEN/NOTIFY.
   Publish-to-receipt latency p50, p99 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from quart_app.bus import Destination, EventBus, RequestEvents
from quart_app.config import Config
from quart_app.storage.history import History
from quart_app.storage.memory import MemoryHistory
from quart_app.storage.shared import SharedStore

REQUESTS, EVENTS_PER_REQUEST = 100, 200


@asynccontextmanager
async def postgres_history(url: str, **settings: Any) -> AsyncIterator[History]:
    """The history every process of the service shares, on the database at ``url``."""
    shared = await SharedStore.open(url, Config(history_url=url, **settings))
    try:
        yield shared.history
    finally:
        await shared.close()


async def throughput(history: History) -> tuple[float, int]:
    bus = EventBus(history, queue_size=1_000_000)
    await bus.start()
    total = REQUESTS * EVENTS_PER_REQUEST
    received = 0
    try:
        async with bus.subscribe(Destination(topic="query-execution")) as subscription:

            async def one_request(number: int) -> None:
                events = RequestEvents(bus, f"bench-{uuid.uuid4().hex[:8]}-{number}")
                for index in range(EVENTS_PER_REQUEST - 1):
                    events.progress("query-execution", "fetching", "rows", 50, rowsFetched=index)
                await events.finish("query-execution", "success", "done")

            started = time.perf_counter()
            publishers = asyncio.gather(*(one_request(number) for number in range(REQUESTS)))
            while received < total:
                if await subscription.get(timeout=30) is None:
                    break
                received += 1
                while subscription.pop() is not None:
                    received += 1
            await publishers
            elapsed = time.perf_counter() - started
    finally:
        await bus.close()
    return received / elapsed, received


def receiver(
    url: str, count: int, ready: multiprocessing.Event, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        latencies = []
        async with postgres_history(url) as history:
            bus = EventBus(history, queue_size=1_000_000)
            await bus.start()
            async with bus.subscribe(Destination(topic="nl-to-sql")) as subscription:
                ready.set()
                while len(latencies) < count:
                    event = await subscription.get(timeout=30)
                    if event is None:
                        break
                    latencies.append((time.time() - event.metadata["sentAt"]) * 1000)
            await bus.close()
        out.put(latencies)

    asyncio.run(run())


async def cross_process(url: str, rate: int = 1000, seconds: int = 5) -> list[float]:
    count = rate * seconds
    context = multiprocessing.get_context("spawn")
    ready, out = context.Event(), context.Queue()
    process = context.Process(target=receiver, args=(url, count, ready, out))
    process.start()
    await asyncio.to_thread(ready.wait, 30)
    async with postgres_history(url) as history:
        bus = EventBus(history, queue_size=1_000_000)
        await bus.start()
        events = RequestEvents(bus, f"latency-{uuid.uuid4().hex[:8]}")
        started = time.perf_counter()
        for index in range(count):
            events.progress("nl-to-sql", "generating", "x", 50, sentAt=time.time())
            delay = started + (index + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        latencies: list[float] = await asyncio.to_thread(out.get, True, 60)
        process.join(10)
        await bus.close()
    return latencies


async def main(admin_url: str) -> None:
    name = f"quart_app_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    try:
        memory_rate, memory_count = await throughput(MemoryHistory(REQUESTS * EVENTS_PER_REQUEST))
        async with postgres_history(url, subscriber_queue_size=4000) as history:
            postgres_rate, postgres_count = await throughput(history)
        stored = await (await asyncpg.connect(url)).fetchval(
            "SELECT count(*) FROM quart_app.status_events"
        )
        latencies = sorted(await cross_process(url))
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    print(
        f"durable publish, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, {REQUESTS} requests x {EVENTS_PER_REQUEST} events"
    )
    print(f"{'store':12} {'events/s':>10} {'delivered':>10} {'vs memory':>10}")
    print(f"{'memory':12} {memory_rate:10,.0f} {memory_count:10,} {1:10.2f}")
    print(
        f"{'postgresql':12} {postgres_rate:10,.0f} {postgres_count:10,} {postgres_rate / memory_rate:10.2f}   (stored: {stored:,})"
    )
    if latencies:
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"cross-process at 1,000 events/s: {len(latencies):,} received, "
            f"p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    asyncio.run(main(parser.parse_args().admin_url))
