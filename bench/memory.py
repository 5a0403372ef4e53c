"""What one idle subscriber costs in memory, and where that memory is.

    python bench/memory.py [--subscribers 1000] [--top 12]

Starts quart_app twice as ``fanout.py`` runs it. The first time plain: opens
``--subscribers`` idle STOMP sessions, then as many idle SSE streams, and reads the
server's resident memory (VmRSS) before and after each, as ``connections.py`` does.
The second time under ``tracemalloc``: the same subscribers, with a snapshot of the
server's heap before and after each kind. The difference of two snapshots, divided
by the subscribers, is what one of them holds, by the package that allocated it
(asyncio, Quart, Hypercorn, h11, wsproto, quart_app's own modules) and by line.

tracemalloc counts Python's allocations only: the kernel's socket buffers are not
in it, and malloc's own overhead and fragmentation are not either, which is why the
RSS figure of the first run is the larger one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import httpx
from connections import rss_kib
from fanout import Server, free_port, servers, start, stop
from websockets.asyncio.client import ClientConnection, connect

BATCH = 100  # subscribers opened at once


async def open_stomp(port: int) -> ClientConnection:
    socket_ = await connect(
        f"ws://127.0.0.1:{port}/ws",
        subprotocols=["v12.stomp"],  # type: ignore[list-item]
        compression=None,
        ping_interval=None,
        open_timeout=60,
    )
    await socket_.send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\n\n\0")
    await socket_.recv()
    await socket_.send("SUBSCRIBE\nid:0\ndestination:/topic/query-execution\nreceipt:r\n\n\0")
    await socket_.recv()  # the RECEIPT: subscribed
    return socket_


async def open_sse(port: int) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /sse/topic/query-execution HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Accept: text/event-stream\r\n\r\n"
    )
    await reader.read(1024)  # the response head: subscribed
    return writer


async def open_all(kind: str, port: int, count: int, held: list[object]) -> None:
    opener = open_stomp if kind == "stomp" else open_sse
    for first in range(0, count, BATCH):
        held.extend(await asyncio.gather(*(opener(port) for _ in range(min(BATCH, count - first)))))
    await asyncio.sleep(1.0)  # let the server settle


async def close_all(held: list[object]) -> None:
    for item in held:
        if isinstance(item, ClientConnection):
            await item.close()
        elif isinstance(item, asyncio.StreamWriter):
            item.close()


def snapshot(port: int, folder: Path, name: str) -> tracemalloc.Snapshot:
    path = folder / f"{name}.snapshot"
    httpx.post(
        f"http://127.0.0.1:{port}/bench/snapshot", params={"path": str(path)}, timeout=120
    ).raise_for_status()
    return tracemalloc.Snapshot.load(str(path))


def package(filename: str, module: bool = False) -> str:
    """Who allocated: a package of site-packages, asyncio, or a module of quart_app."""
    parts = Path(filename).parts
    for root in ("quart_app", "site-packages", "asyncio"):
        if root in parts:
            start = parts.index(root) + (root == "site-packages")
            return "/".join(parts[start:] if module or root == "quart_app" else parts[start:][:1])
    return Path(filename).name


def report(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, count: int, top: int) -> None:
    by_package: dict[str, int] = defaultdict(int)
    lines = after.compare_to(before, "lineno")
    for stat in lines:
        frame = stat.traceback[0]
        by_package[package(frame.filename)] += stat.size_diff
    total = sum(by_package.values())
    print(f"traced per subscriber: {total / count:,.0f} B\n")
    print("| allocated in | B per subscriber |")
    print("|---|---:|")
    for name, size in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        print(f"| {name} | {size / count:,.0f} |")
    print("\n| line | B per subscriber |")
    print("|---|---:|")
    for stat in lines[:top]:
        frame = stat.traceback[0]
        print(
            f"| {package(frame.filename, module=True)}:{frame.lineno} | {stat.size_diff / count:,.0f} |"
        )
    print()


async def rss_run(server: Server, count: int) -> None:
    port = free_port()
    process = start(server, port)
    held: list[object] = []
    try:
        await asyncio.sleep(1.0)
        for kind in ("stomp", "sse"):
            before = rss_kib(process.pid)
            await open_all(kind, port, count, held)
            after = rss_kib(process.pid)
            print(
                f"{kind}: RSS {before / 1024:,.1f} → {after / 1024:,.1f} MiB, "
                f"{(after - before) / count:,.1f} KiB per subscriber"
            )
        print()
    finally:
        await close_all(held)
        stop(process, [])


async def traced_run(server: Server, count: int, top: int) -> None:
    port = free_port()
    process = start(server, port, {"BENCH_TRACEMALLOC": "1"})
    held: list[object] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            await asyncio.sleep(1.0)
            for kind in ("stomp", "sse"):
                before = snapshot(port, Path(folder), f"{kind}-before")
                await open_all(kind, port, count, held)
                after = snapshot(port, Path(folder), f"{kind}-after")
                print(f"### {kind}, {count:,} idle subscribers, under tracemalloc\n")
                report(before, after, count, top)
    finally:
        await close_all(held)
        stop(process, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000, help="of each kind")
    parser.add_argument("--top", type=int, default=12, help="packages and lines listed")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.events = 1000  # only sizes quart_app's queues, as in fanout.py
    args.coalesce_ms = None
    server = servers(args)["quart_app"]
    print(
        f"memory: {args.subscribers:,} idle subscribers of each kind, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}\n"
    )
    asyncio.run(rss_run(server, args.subscribers))
    asyncio.run(traced_run(server, args.subscribers, args.top))


if __name__ == "__main__":
    main()
