"""Idle subscribers held by one server process, and the memory each one costs.

    python bench/connections.py [--subscribers 10000]

For each server of ``fanout.py``, ``--subscribers`` idle subscribers (quart_app:
half SSE, half STOMP; each peer: its own transport) are opened from four load
processes. The server's resident memory (VmRSS) is read before and once all are
subscribed; the difference divided by the subscribers is the cost of one. The
file limit is raised to the hard limit for every process started from here.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import time
from pathlib import Path
from typing import Any

from fanout import Server, free_port, servers, spawn, split, start, stop
from websockets.asyncio.client import connect

LOAD_PROCESSES = 4


async def idle_sse(port: int, path: str, opened: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await reader.read(1024)  # the response head (and retry line): subscribed
    opened.append(1)
    while await reader.read(65536):  # pings, until the server goes
        pass


async def idle_ws(port: int, path: str, stomp: bool, opened: list[int]) -> None:
    async with connect(
        f"ws://127.0.0.1:{port}{path}",
        subprotocols=["v12.stomp"] if stomp else None,  # type: ignore[list-item]
        compression=None,
        ping_interval=None,
        open_timeout=60,
    ) as socket_:
        if stomp:
            await socket_.send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\n\n\0")
            await socket_.recv()
            await socket_.send("SUBSCRIBE\nid:0\ndestination:/topic/query-execution\n\n\0")
        opened.append(1)
        await socket_.wait_closed()


def hold(kind: str, port: int, path: str, count: int, ready: Any, stop: Any) -> None:
    async def run() -> None:
        opened: list[int] = []
        tasks = []
        for first in range(0, count, 100):
            for _ in range(min(100, count - first)):
                if kind == "sse":
                    tasks.append(asyncio.ensure_future(idle_sse(port, path, opened)))
                else:
                    tasks.append(
                        asyncio.ensure_future(idle_ws(port, path, kind == "stomp", opened))
                    )
            await asyncio.sleep(0.1)
        deadline = time.monotonic() + 120
        while len(opened) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        ready.put(len(opened))
        while not stop.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()

    asyncio.run(run())


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def measure(server: Server, mix: dict[str, int]) -> tuple[int, int, int]:
    """(subscribers held, RSS before in KiB, RSS after in KiB)."""
    port = free_port()
    process = start(server, port)
    context = multiprocessing.get_context("spawn")
    ready, stop_holding = context.Queue(), context.Event()
    workers = []
    try:
        time.sleep(1.0)
        before = rss_kib(process.pid)
        for kind, count in mix.items():
            path = server.sse_path if kind == "sse" else server.ws_path
            jobs = [
                (kind, port, path, share, ready, stop_holding)
                for share in split(count, LOAD_PROCESSES // len(mix))
            ]
            spawn(context, hold, jobs, workers)
        held = sum(ready.get(timeout=300) for _ in workers)
        time.sleep(2.0)  # let allocations settle
        after = rss_kib(process.pid)
        return held, before, after
    finally:
        stop_holding.set()
        stop(process, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.events = 1000  # only sizes quart_app's queues, as in fanout.py
    args.coalesce_ms = None
    known = servers(args)
    n = args.subscribers
    plan = [
        ("quart_app", {"sse": n // 2, "stomp": n - n // 2}),
        ("sse-starlette", {"sse": n}),
        ("stomp-broker-js", {"stomp": n}),
        ("websockets", {"ws": n}),
    ]
    print(
        f"connections: {n} idle subscribers per server, file limit {hard}, {os.cpu_count()} cores\n"
    )
    print("| server | subscribers held | RSS before | RSS after | per subscriber |")
    print("|---|---:|---:|---:|---:|")
    for name, mix in plan:
        try:
            held, before, after = measure(known[name], mix)
        except Exception as error:  # a peer that cannot hold them all is a result too
            print(f"| {name} | failed: {error!r} | | | |")
            continue
        per = (after - before) / held if held else float("nan")
        print(
            f"| {name} | {held:,} | {before / 1024:,.1f} MiB | {after / 1024:,.1f} MiB "
            f"| {per:,.1f} KiB |"
        )


if __name__ == "__main__":
    main()
