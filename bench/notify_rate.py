"""What the shared history database takes: NOTIFYs to N listeners, and events from N processes.

    python bench/notify_rate.py notify  [--listeners 1,10,50] [--senders 4] [--rate 0]
    python bench/notify_rate.py history [--listeners 1,4,16] [--writers 1] [--concurrency 1]
                                        [--rate 1000]
    common options: [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--seconds 10]
                    [--runs 3]

Each run creates a scratch database on ``--admin-url``'s server and drops it at the end.

``notify``: PostgreSQL alone. ``--senders`` connections in one process commit
``SELECT pg_notify(...)`` (each one transaction, autocommit) as fast as they can, or
``--rate`` per second in all; each number of ``--listeners`` is that many LISTEN
connections, spread over two processes, each counting what it receives. Prints
NOTIFYs committed per second, notifications received per second (all listeners),
the CPU seconds the database's backends used per second, and the send-to-receipt
latency (first connection of each listening process).

``history``: the service's own code. ``--listeners`` processes each open the
history as a process of the service does (``SharedStore``, ``EventBus``) and
subscribe to ``/topic/nl-to-sql``; ``--writers`` more processes do the same and
publish ``nl-to-sql`` progress events of about 330 bytes of JSON (the size of the
events a question makes): ``--rate`` per second in all, published as a job's stages
are, without waiting; or, with ``--rate 0``, as fast as ``--concurrency`` tasks per
writer can, each waiting for its event to be stored and delivered before the next
(so a batch holds at most ``--concurrency`` events). Prints events
stored per second, history commits per second (NOTIFYs, counted by one more LISTEN
connection), CPU seconds per 1,000 events of a listening process and of a writer,
CPU seconds per second of the database's backends, publish-to-receipt latency at the
listeners, and the history's bytes per event (heap, TOAST and indexes).

CPU is user + system time from /proc, so the database must run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from quart_app.bus import Destination, EventBus, RequestEvents
from quart_app.config import Config
from quart_app.storage.shared import SharedStore

CHANNEL = "bench_notify"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_SECONDS = 2.0  # after the last publish, for the listeners to catch up
PARTIAL_SQL = "SELECT c.name, sum(oi.quantity * oi.unit_price) AS total_spend FROM customers c JOIN"


def cpu_seconds(pid: int) -> float:
    """User + system time of a process, 0 when it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def backend_pids(connection: asyncpg.Connection) -> list[int]:
    """Every backend connected to the scratch database, but the one asking."""
    rows = await connection.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    return [row["pid"] for row in rows]


@dataclass
class Window:
    """CPU of the database's backends and of the given processes over a window."""

    pids: dict[str, list[int]]
    started: float = 0.0
    begin: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    async def open(self, connection: asyncpg.Connection) -> None:
        self.pids["postgres"] = await backend_pids(connection)
        every = [pid for group in self.pids.values() for pid in group]
        self.begin = {pid: cpu_seconds(pid) for pid in every}
        self.started = time.perf_counter()

    async def close(self, connection: asyncpg.Connection) -> None:
        # Backends that connected meanwhile count from 0 (a connection's start is small).
        self.pids["postgres"] = sorted(
            set(self.pids["postgres"]) | set(await backend_pids(connection))
        )
        self.seconds = time.perf_counter() - self.started
        for group, pids in self.pids.items():
            self.cpu[group] = sum(cpu_seconds(pid) - self.begin.get(pid, 0.0) for pid in pids)


# -- notify: PostgreSQL alone ---------------------------------------------------------------


def notify_listener(url: str, connections: int, ready: Any, stop: Any, out: Any) -> None:
    async def run() -> None:
        counts = [0] * connections
        latencies: list[float] = []

        def on_notify(index: int) -> Callable[[Any, int, str, str], None]:
            def received(connection: Any, pid: int, channel: str, payload: str) -> None:
                counts[index] += 1
                if index == 0:
                    latencies.append((time.time() - float(payload)) * 1000)

            return received

        held = [await asyncpg.connect(url) for _ in range(connections)]
        for index, connection in enumerate(held):
            await connection.add_listener(CHANNEL, on_notify(index))
        ready.put(os.getpid())
        await asyncio.to_thread(stop.wait)
        for connection in held:
            await connection.close()
        out.put((sum(counts), latencies))

    asyncio.run(run())


async def send_notifications(
    connections: list[asyncpg.Connection], rate: float, seconds: float
) -> int:
    senders = len(connections)
    sent = 0
    deadline = time.perf_counter() + seconds

    async def sender(connection: asyncpg.Connection) -> None:
        nonlocal sent
        interval = senders / rate if rate else 0.0
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            await connection.execute(f"SELECT pg_notify('{CHANNEL}', $1)", repr(time.time()))
            sent += 1
            if interval:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    await asyncio.gather(*(sender(connection) for connection in connections))
    return sent


async def notify_run(url: str, listeners: int, args: argparse.Namespace) -> str:
    context = multiprocessing.get_context("spawn")
    ready, out, stop = context.Queue(), context.Queue(), context.Event()
    shares = [listeners - listeners // 2, listeners // 2]
    processes = [
        context.Process(target=notify_listener, args=(url, share, ready, stop, out))
        for share in shares
        if share
    ]
    for process in processes:
        process.start()
    pids = [await asyncio.to_thread(ready.get, True, 60) for _ in processes]
    admin = await asyncpg.connect(url)
    senders = [await asyncpg.connect(url) for _ in range(args.senders)]
    window = Window({"listeners": pids})
    await window.open(admin)
    sent = await send_notifications(senders, args.rate, args.seconds)
    await window.close(admin)
    for connection in senders:
        await connection.close()
    await asyncio.sleep(SETTLE_SECONDS)
    stop.set()
    results = [await asyncio.to_thread(out.get, True, 60) for _ in processes]
    for process in processes:
        process.join(10)
    await admin.close()
    received = sum(count for count, _ in results)
    latencies = [value for _, values in results for value in values]
    per_second = window.seconds
    return (
        f"{listeners:9} {sent / per_second:11,.0f} {received / per_second:12,.0f}"
        f" {window.cpu['postgres'] / per_second:8.2f} {window.cpu['listeners'] / per_second:9.2f}"
        f" {statistics.median(latencies) if latencies else float('nan'):8.1f}"
        f" {percentile(latencies, 0.99):8.1f} {os.getloadavg()[0]:5.1f}"
    )


NOTIFY_HEADER = (
    f"{'listeners':>9} {'NOTIFYs/s':>11} {'received/s':>12} {'PG CPU/s':>8}"
    f" {'lsnr CPU/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'load':>5}"
)


# -- history: the service's own code --------------------------------------------------------


async def open_bus(url: str) -> tuple[SharedStore, EventBus]:
    shared = await SharedStore.open(url, Config(history_url=url, log_level="WARNING"))
    bus = EventBus(shared.history, queue_size=1_000_000)
    await bus.start()
    return shared, bus


def history_listener(url: str, ready: Any, stop: Any, out: Any) -> None:
    async def run() -> None:
        shared, bus = await open_bus(url)
        latencies: list[float] = []
        async with bus.subscribe(Destination(topic="nl-to-sql")) as subscription:
            ready.put(os.getpid())
            while not stop.is_set():
                event = await subscription.get(timeout=0.2)
                if event is not None:
                    latencies.append((time.time() - event.metadata["sentAt"]) * 1000)
        await bus.close()
        await shared.close()
        out.put(latencies)

    asyncio.run(run())


def history_writer(url: str, settings: dict[str, float], ready: Any, go: Any, out: Any) -> None:
    async def run() -> None:
        shared, bus = await open_bus(url)
        ready.put(os.getpid())
        await asyncio.to_thread(go.wait, 60)
        published = await publish(bus, settings)
        await bus.close()
        await shared.close()
        out.put(published)

    asyncio.run(run())


async def publish(bus: EventBus, settings: dict[str, float]) -> int:
    deadline = time.perf_counter() + settings["seconds"]
    published = 0

    def one(events: RequestEvents) -> Awaitable[Any]:
        nonlocal published
        published += 1
        return events.progress(
            "nl-to-sql",
            "generating",
            "Generating SQL",
            50,
            partialSql=PARTIAL_SQL,
            sentAt=time.time(),
        )

    if settings["rate"]:  # paced, not waited for: as a job publishes its stages
        events = RequestEvents(bus, f"bench-{uuid.uuid4().hex[:12]}")
        interval, next_at = 1 / settings["rate"], time.perf_counter()
        last: Awaitable[Any] | None = None
        while time.perf_counter() < deadline:
            last = one(events)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        if last is not None:
            await last
        return published

    async def task() -> None:
        events = RequestEvents(bus, f"bench-{uuid.uuid4().hex[:12]}")
        while time.perf_counter() < deadline:
            await one(events)

    await asyncio.gather(*(task() for _ in range(int(settings["concurrency"]))))
    return published


async def count_notifications(url: str) -> tuple[asyncpg.Connection, list[int]]:
    """One more LISTEN connection on the events channel: one notification per commit."""
    counted: list[int] = []
    connection = await asyncpg.connect(url)
    await connection.add_listener(
        "quart_app_events", lambda connection, pid, channel, payload: counted.append(1)
    )
    return connection, counted


async def history_run(url: str, listeners: int, args: argparse.Namespace) -> str:
    context = multiprocessing.get_context("spawn")
    ready, out, results = context.Queue(), context.Queue(), context.Queue()
    stop, go = context.Event(), context.Event()
    settings = {
        "rate": args.rate / args.writers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
    }
    readers = [
        context.Process(target=history_listener, args=(url, ready, stop, out))
        for _ in range(listeners)
    ]
    writers = [
        context.Process(target=history_writer, args=(url, settings, ready, go, results))
        for _ in range(args.writers)
    ]
    for process in readers + writers:
        process.start()
    pids = [await asyncio.to_thread(ready.get, True, 120) for _ in readers + writers]
    counter, commits = await count_notifications(url)
    window = Window({"listeners": pids[:listeners], "writers": pids[listeners:]})
    await window.open(counter)
    go.set()
    published = sum([await asyncio.to_thread(results.get, True, 120) for _ in writers])
    await window.close(counter)
    stored_commits = len(commits)
    await asyncio.sleep(SETTLE_SECONDS)
    stop.set()
    latencies = [value for _ in readers for value in await asyncio.to_thread(out.get, True, 60)]
    for process in readers + writers:
        process.join(30)
    size = await counter.fetchrow(
        "SELECT count(*) AS events, pg_total_relation_size('quart_app.status_events') AS bytes"
        " FROM quart_app.status_events"
    )
    await counter.close()
    return history_line(listeners, published, stored_commits, window, latencies, size)


def history_line(
    listeners: int,
    published: int,
    commits: int,
    window: Window,
    latencies: list[float],
    size: asyncpg.Record,
) -> str:
    seconds, cpu = window.seconds, window.cpu
    per_thousand = 1000 / max(published, 1)
    return (
        f"{listeners:9} {published / seconds:9,.0f} {commits / seconds:9,.0f}"
        f" {cpu['listeners'] / max(listeners, 1) * per_thousand:10.3f}"
        f" {cpu['writers'] * per_thousand:10.3f}"
        f" {cpu['postgres'] / seconds:8.2f}"
        f" {statistics.median(latencies) if latencies else float('nan'):7.1f}"
        f" {percentile(latencies, 0.99):7.1f} {percentile(latencies, 1.0):7.1f}"
        f" {size['bytes'] / max(size['events'], 1):8.0f} {os.getloadavg()[0]:5.1f}"
    )


HISTORY_HEADER = (
    f"{'listeners':>9} {'events/s':>9} {'commits/s':>9} {'lsnr CPU':>10} {'wrtr CPU':>10}"
    f" {'PG CPU/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'B/event':>8} {'load':>5}"
)


Run = Callable[[str, int, argparse.Namespace], Awaitable[str]]


async def scratch(run: Run, listeners: int, args: argparse.Namespace) -> str:
    """``run`` on a database of its own, dropped afterwards."""
    name = f"quart_app_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return await run(
            urlsplit(args.admin_url)._replace(path=f"/{name}").geturl(), listeners, args
        )
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def main(args: argparse.Namespace) -> None:
    counts = [int(part) for part in args.listeners.split(",")]
    if args.mode == "notify":
        print(
            f"notify, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, {args.senders} senders,"
            f" rate {args.rate or 'unbounded'}, {args.seconds:g} s per run"
        )
        print(NOTIFY_HEADER)
        run: Run = notify_run
    else:
        print(
            f"history, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, {args.writers} writers,"
            f" rate {args.rate or 'unbounded'}, concurrency {args.concurrency},"
            f" {args.seconds:g} s per run;"
            " CPU columns: seconds per 1,000 events, a listening process and all writers"
        )
        print(HISTORY_HEADER)
        run = history_run
    for _ in range(args.runs):
        for count in counts:
            print(
                await scratch(run, count, args),
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("notify", "history"))
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--listeners", default=None)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.listeners is None:
        arguments.listeners = "1,10,50" if arguments.mode == "notify" else "1,4,16"
    if arguments.rate is None:
        arguments.rate = 0.0 if arguments.mode == "notify" else 1000.0
    asyncio.run(main(arguments))
