"""Latency of live subscribers while other clients replay the whole history, and the memory.

    python bench/replay.py [--history 20000] [--subscribers 40] [--rate 50] [--seconds 10]

One quart_app server with its history in PostgreSQL (a database of the run's own on
``--database-url``'s server, dropped at the end), holding ``--history`` events
published first. Then ``--subscribers`` live subscribers (half SSE, half STOMP, in
two load processes) receive ``--rate`` events per second for ``--seconds`` seconds,
each recording receipt minus send time as in ``latency.py``, while from another
process:

- baseline: nobody replays.
- unread: one STOMP session sends 1,000 ``SUBSCRIBE`` frames to
  ``/topic/query-execution`` with ``last-event-id:0`` (sessions may hold 1,000
  subscriptions here), with a 4 KB receive buffer, and never reads.
- read: four STOMP sessions of 64 such subscriptions each (the default cap) read
  everything as fast as they can; prints how many events they were sent.

Prints, per phase, the live subscribers' p50 / p99 / max latency and the server's
resident memory before the phase's replays and at its peak.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from fanout import cpu_seconds, free_port, paced_quart_app, reports, spawn, start, stop
from latency import load, percentile
from websockets.asyncio.client import connect

SSE_PATH = "/sse/topic/query-execution"
SUBSCRIBE = "SUBSCRIBE\nid:{id}\ndestination:/topic/query-execution\nlast-event-id:0\n\n\0"
Replays = Callable[[int, dict[str, float]], Coroutine[Any, Any, None]]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def nothing(port: int, seen: dict[str, float]) -> None:
    await asyncio.Event().wait()


async def unread(port: int, seen: dict[str, float]) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    async with connect(
        f"ws://127.0.0.1:{port}/ws",
        sock=sock,
        subprotocols=["v12.stomp"],  # type: ignore[list-item]
        compression=None,
        ping_interval=None,
        max_queue=1,  # the client library reads no further ahead than one message
    ) as websocket:
        await websocket.send("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0")
        await websocket.recv()
        for first in range(0, 1000, 100):  # at most 100 frames to a message
            await websocket.send("".join(SUBSCRIBE.format(id=n) for n in range(first, first + 100)))
        seen["subscriptions"] = 1000
        await asyncio.Event().wait()  # never reads again


async def read(port: int, seen: dict[str, float]) -> None:
    seen["events replayed"] = 0

    async def session() -> None:
        async with connect(
            f"ws://127.0.0.1:{port}/ws",
            subprotocols=["v12.stomp"],  # type: ignore[list-item]
            compression=None,
            ping_interval=None,
            max_size=None,
        ) as websocket:
            await websocket.send("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0")
            await websocket.recv()
            await websocket.send("".join(SUBSCRIBE.format(id=n) for n in range(64)))
            seen["subscriptions"] = seen.get("subscriptions", 0) + 64
            while True:
                message = str(await websocket.recv())
                seen["events replayed"] += message.count("\nmessage-id:")

    await asyncio.gather(*(session() for _ in range(4)))


PHASES: dict[str, tuple[str, Replays]] = {
    "baseline": ("none", nothing),
    "unread": ("1 session, 1,000 replays, never read", unread),
    "read": ("4 sessions x 64 replays, read at full speed", read),
}


async def fill_history(port: int, history_url: str, count: int) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(f"http://127.0.0.1:{port}/bench/publish?count={count}")
    connection = await asyncpg.connect(history_url)
    try:
        deadline = time.monotonic() + 120
        while await connection.fetchval("SELECT count(*) FROM quart_app.status_events") < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the history was not filled in time")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def phase(
    server: Any, history_url: str, replays: Replays, args: argparse.Namespace
) -> tuple[dict[str, float], list[float], float, float, int]:
    port = free_port()
    process = start(
        server,
        port,
        env={"QUART_APP_HISTORY_URL": history_url, "QUART_APP_STOMP_MAX_SUBSCRIPTIONS": "1000"},
    )
    events = int(args.rate * args.seconds)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    workers: list[Any] = []
    seen: dict[str, float] = {}
    try:
        await fill_history(port, history_url, args.history)
        half = args.subscribers // 2
        jobs = [
            ("sse", port, SSE_PATH, half, events, ready, results),
            ("stomp", port, "/ws", args.subscribers - half, events, ready, results),
        ]
        spawn(context, load, jobs, workers)
        for _ in workers:
            await asyncio.to_thread(ready.get, timeout=120)
        before = peak = rss_mib(process.pid)
        replaying = asyncio.create_task(replays(port, seen))
        await asyncio.sleep(2)  # the replays start
        cpu = cpu_seconds(process.pid)
        async with httpx.AsyncClient(timeout=30) as http:
            await http.post(
                f"http://127.0.0.1:{port}/bench/publish?count={events}&rate={args.rate}"
            )
        collected = asyncio.create_task(asyncio.to_thread(lambda: list(reports(results, workers))))
        while not collected.done():
            peak = max(peak, rss_mib(process.pid))
            await asyncio.sleep(0.25)
        seen["server CPU s"] = round(cpu_seconds(process.pid) - cpu, 1)
        replaying.cancel()
        await asyncio.gather(replaying, return_exceptions=True)
        latencies = [latency for report in collected.result() for latency in report]
        return seen, latencies, before, peak, events * args.subscribers
    finally:
        await asyncio.to_thread(stop, process, workers)


async def admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=20_000, help="events kept beforehand")
    parser.add_argument("--subscribers", type=int, default=40)
    parser.add_argument("--rate", type=float, default=50, help="live events per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    server = paced_quart_app(args.database_url, args.rate, args.seconds)
    print(
        f"replay: {args.history:,} kept events; {args.subscribers} live subscribers, "
        f"{args.rate:g} events/s ({args.subscribers * args.rate:,.0f} deliveries/s) for "
        f"{args.seconds:g} s; {os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print(
        "| phase | replays | what they were sent | live received | p50 ms | p99 ms | max ms "
        "| RSS before MiB | peak RSS MiB |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.phases.split(","):
        label, replays = PHASES[name]
        database = f"quart_app_bench_{uuid.uuid4().hex[:8]}"
        history_url = urlsplit(args.database_url)._replace(path=f"/{database}").geturl()
        asyncio.run(admin(args.database_url, f'CREATE DATABASE "{database}"'))
        try:
            seen, latencies, before, peak, expected = asyncio.run(
                phase(server, history_url, replays, args)
            )
        finally:
            asyncio.run(admin(args.database_url, f'DROP DATABASE "{database}" WITH (FORCE)'))
        sent = ", ".join(f"{key}: {value:,}" for key, value in seen.items()) or "-"
        figures = (
            f"{percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} "
            f"| {max(latencies):.1f}"
            if latencies
            else " | | "
        )
        print(
            f"| {name} | {label} | {sent} | {len(latencies):,} of {expected:,} | {figures} "
            f"| {before:.0f} | {peak:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
