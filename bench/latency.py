"""Publish-to-receipt latency of quart_app at a fixed delivery rate, per transport.

    python bench/latency.py [--subscribers 100] [--seconds 10] [--rates 1000,10000] [--windows default,0]

One server process at a time: quart_app (memory history) with each of
``--windows`` as ``QUART_APP_WRITE_COALESCE_MS``, then the transport's peer
(sse-starlette for SSE, stomp-broker-js for STOMP). ``--subscribers``
subscribers on one transport in two load processes; the publisher paces events
so that subscribers times events per second equals each delivery rate. Every
event carries its send time; each subscriber records receipt minus send time
(same machine, same clock). Prints p50, p99 and max per transport, rate and
server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import time
from typing import Any

import httpx
from fanout import free_port, reports, servers, spawn, split, start, stop
from websockets.asyncio.client import connect

LOAD_PROCESSES = 2


def sent_times(text: str) -> list[float]:
    """The send times in the ``data:`` lines of ``text`` (whole lines, LF or CRLF)."""
    return [
        json.loads(line[5:])["metadata"]["sentAt"]
        for line in text.split("\n")
        if line.startswith("data:")
    ]


async def sse_subscriber(port: int, path: str, expected: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    buffer = ""
    received = 0
    try:
        while received < expected:
            chunk = await asyncio.wait_for(reader.read(65536), 30)
            if not chunk:
                break
            now = time.time()
            buffer += chunk.decode()
            # Line by line: sse-starlette ends lines with CRLF, and both servers send
            # chunked bodies, whose size lines are never data lines.
            complete, _, buffer = buffer.rpartition("\n")
            for sent in sent_times(complete):
                latencies.append((now - sent) * 1000)
                received += 1
    finally:
        writer.close()


async def stomp_subscriber(port: int, path: str, expected: int, latencies: list[float]) -> None:
    async with connect(
        f"ws://127.0.0.1:{port}{path}",
        subprotocols=["v12.stomp"],
        compression=None,  # type: ignore[list-item]
    ) as socket_:
        await socket_.send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\n\n\0")
        await socket_.recv()
        await socket_.send("SUBSCRIBE\nid:0\ndestination:/topic/query-execution\n\n\0")
        received = 0
        while received < expected:
            message = str(await asyncio.wait_for(socket_.recv(), 30))
            now = time.time()
            for frame in message.split("\0"):
                if frame.lstrip("\n").startswith("MESSAGE"):
                    body = frame.split("\n\n", 1)[1]
                    latencies.append((now - json.loads(body)["metadata"]["sentAt"]) * 1000)
                    received += 1


def load(
    kind: str, port: int, path: str, count: int, expected: int, ready: Any, results: Any
) -> None:
    async def run() -> None:
        latencies: list[float] = []
        make = sse_subscriber if kind == "sse" else stomp_subscriber
        tasks = [asyncio.ensure_future(make(port, path, expected, latencies)) for _ in range(count)]
        await asyncio.sleep(1.0 + count / 200)
        ready.put(kind)
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put(latencies)

    asyncio.run(run())


def measure(
    name: str, kind: str, subscribers: int, rate: int, seconds: float, coalesce: str | None
) -> list[float]:
    per_second = rate / subscribers
    events = int(per_second * seconds)
    settings = argparse.Namespace(
        database_url=os.environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        events=events,
        coalesce_ms=coalesce,
    )
    server = servers(settings)[name]
    path = server.sse_path if kind == "sse" else server.ws_path
    assert path is not None
    port = free_port()
    process = start(server, port)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    workers = []
    try:
        jobs = [
            (kind, port, path, share, events, ready, results)
            for share in split(subscribers, LOAD_PROCESSES)
        ]
        spawn(context, load, jobs, workers)
        for _ in workers:
            ready.get(timeout=120)
        method, publish = server.publish
        httpx.request(
            method, f"http://127.0.0.1:{port}{publish}{events}&rate={per_second}", timeout=30
        )
        return [latency for report in reports(results, workers) for latency in report]
    finally:
        stop(process, workers)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rates", default="1000,10000")
    parser.add_argument(
        "--windows",
        default="default,0",
        help="QUART_APP_WRITE_COALESCE_MS values to compare (default: the server's own, and 0)",
    )
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(
        f"latency: {args.subscribers} subscribers, {args.seconds:g} s per figure, "
        f"{os.cpu_count()} cores\n"
    )
    print("| transport | deliveries/s | server | received | p50 ms | p99 ms | max ms |")
    print("|---|---:|---|---:|---:|---:|---:|")
    peers = {"sse": "sse-starlette", "stomp": "stomp-broker-js"}
    for kind in ("sse", "stomp"):
        for rate in (int(rate) for rate in args.rates.split(",")):
            runs: list[tuple[str, str | None, str]] = [
                ("quart_app", None if window == "default" else window, window)
                for window in args.windows.split(",")
            ]
            runs.append((peers[kind], None, ""))
            for name, coalesce, window in runs:
                label = name
                if window:
                    label += {"default": ", pacing default", "0": ", pacing off"}.get(
                        window, f", pacing {window} ms"
                    )
                values = measure(name, kind, args.subscribers, rate, args.seconds, coalesce)
                if not values:
                    print(f"| {kind.upper()} | {rate:,} | {label} | 0 | | | |")
                    continue
                print(
                    f"| {kind.upper()} | {rate:,} | {label} | {len(values):,} "
                    f"| {percentile(values, 0.5):.1f} | {percentile(values, 0.99):.1f} "
                    f"| {max(values):.1f} |"
                )


if __name__ == "__main__":
    main()
