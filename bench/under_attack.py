"""Latency of well-behaved subscribers while other clients misbehave, and the server's memory.

    python bench/under_attack.py [--subscribers 80] [--rate 125] [--seconds 12]

One quart_app server (memory history, its default limits but for three: STOMP
heart-beats offered at 2 s and subscriber queues of 200 events, so that silent
and stalled clients are found within a phase rather than after a minute, and at
most 500 streams in all, so that the flood reaches it). In
every phase ``--subscribers`` good subscribers (half SSE, half STOMP, from
127.0.0.1, in two load processes) receive ``--rate`` events per second for
``--seconds`` seconds, each recording receipt minus send time as in
``latency.py``. Meanwhile, from addresses of their own (127.0.0.2 and up):

- baseline: nobody else; the figure the others are compared with, in the same run.
- stalled: 50 SSE and 50 STOMP clients subscribe with a 4 KB receive buffer and
  never read.
- silent: 100 STOMP clients promise a heart-beat every second and never send one.
- flood: one address opens 1,000 SSE streams at once (to a request that never
  comes, so that what it holds adds no deliveries) and holds what it gets; a
  stream the server closes to make room (the body ends) is counted, not reopened.
- trickle: 100 HTTP requests sent one byte a second (slowloris) and 100 STOMP
  CONNECT frames sent one byte per WebSocket message every 200 ms.

Prints, per phase, what became of the attackers, what the good subscribers
received, their p50 / p99 / max latency, and the server's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fanout import free_port, paced_quart_app, reports, spawn, start, stop
from latency import load, percentile
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request, TextMessage

HEARTBEAT_MS = 2000
SSE_PATH = "/sse/topic/query-execution"
Attack = Callable[[int, dict[str, int]], Awaitable[None]]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def tcp(port: int, source: str, rcvbuf: int | None = None) -> socket.socket:
    """A connected non-blocking socket from ``source`` (another loopback address)."""
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return sock


def stomp_socket(sock: socket.socket, port: int) -> Any:
    """A STOMP WebSocket client over ``sock`` (to use with ``async with``)."""
    return connect(
        f"ws://127.0.0.1:{port}/ws",
        sock=sock,
        subprotocols=["v12.stomp"],  # type: ignore[list-item]
        compression=None,
        ping_interval=None,
    )


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """Read what is left; True when the server has closed the connection."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
        return True
    except (TimeoutError, ConnectionError):
        return False


# Attacks: each runs until cancelled, counting into ``seen`` -------------------------


async def nothing(port: int, seen: dict[str, int]) -> None:
    await asyncio.Event().wait()


async def stalled(port: int, seen: dict[str, int]) -> None:
    readers: list[asyncio.StreamReader] = []
    sockets: list[asyncio.StreamReader] = []
    for _ in range(50):
        sock = await tcp(port, "127.0.0.2", rcvbuf=4096)
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(f"GET {SSE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        readers.append(reader)
    for _ in range(50):
        sock = await tcp(port, "127.0.0.2", rcvbuf=4096)
        # The WebSocket by hand (wsproto), so that nothing reads the socket after the handshake.
        reader, writer = await asyncio.open_connection(sock=sock)
        client = WSConnection(ConnectionType.CLIENT)
        writer.write(
            client.send(Request(host="127.0.0.1", target="/ws", subprotocols=["v12.stomp"]))
        )
        client.receive_data(await reader.readuntil(b"\r\n\r\n"))
        list(client.events())  # the server accepted
        for frame in (
            "CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0",
            "SUBSCRIBE\nid:0\ndestination:/topic/query-execution\n\n\0",
        ):
            writer.write(client.send(TextMessage(data=frame)))
        sockets.append(reader)
    seen["connected"] = len(readers) + len(sockets)
    try:
        await asyncio.Event().wait()
    finally:
        # Did the server cut them off? Drain what the kernel kept; a cut-off one ends.
        results = await asyncio.gather(*(closed_by_server(r, 5) for r in readers))
        seen["SSE cut off"] = sum(results)
        closed = await asyncio.gather(*(closed_by_server(r, 5) for r in sockets))
        seen["STOMP cut off"] = sum(closed)


async def silent(port: int, seen: dict[str, int]) -> None:
    async def one() -> None:
        async with stomp_socket(await tcp(port, "127.0.0.3"), port) as websocket:
            await websocket.send("CONNECT\naccept-version:1.2\nheart-beat:1000,0\n\n\0")
            await websocket.send("SUBSCRIBE\nid:0\ndestination:/topic/query-execution\n\n\0")
            seen["connected"] += 1
            try:
                while True:
                    await websocket.recv()
            except WebSocketException:
                seen["cut off"] += 1

    seen["connected"] = seen["cut off"] = 0
    await asyncio.gather(*(one() for _ in range(100)), return_exceptions=True)
    await asyncio.Event().wait()


async def flood(port: int, seen: dict[str, int]) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def one() -> None:
        sock = await tcp(port, "127.0.0.4")
        reader, writer = await asyncio.open_connection(sock=sock)
        writers.append(writer)
        # A request that never comes: the streams are held, but add no deliveries.
        writer.write(b"GET /sse/topic/requests/flood HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status = (await reader.readline()).split(b" ")[1:2]
        key = {b"200": "let in", b"429": "refused 429"}.get(status[0] if status else b"", "other")
        seen[key] = seen.get(key, 0) + 1
        received = b""
        while chunk := await reader.read(65536):  # held streams are read, as a browser would
            received = received[-16:] + chunk
            if b"\r\n0\r\n\r\n" in received:  # the last chunk: the server ended the body
                seen["closed to make room"] = seen.get("closed to make room", 0) + 1
                break

    try:
        await asyncio.gather(*(one() for _ in range(1000)), return_exceptions=True)
        await asyncio.Event().wait()
    finally:
        for writer in writers:
            writer.close()


async def trickle(port: int, seen: dict[str, int]) -> None:
    async def slowloris() -> None:
        sock = await tcp(port, "127.0.0.5")
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        try:
            while True:
                writer.write(b"X")
                await writer.drain()
                if await closed_by_server(reader, 1.0):
                    break
        except ConnectionError:
            pass
        seen["http closed"] += 1
        seen["http longest s"] = max(seen["http longest s"], round(time.monotonic() - started))

    async def stomp_bytes() -> None:
        started = time.monotonic()
        async with stomp_socket(await tcp(port, "127.0.0.6"), port) as websocket:
            try:
                for byte in "CONNECT\naccept-version:1.2\nheart-beat:0,0\n" * 1000:
                    await websocket.send(byte)
                    await asyncio.sleep(0.2)
            except WebSocketException:
                pass
        seen["stomp closed"] += 1
        seen["stomp longest s"] = max(seen["stomp longest s"], round(time.monotonic() - started))

    for key in ("http closed", "http longest s", "stomp closed", "stomp longest s"):
        seen[key] = 0
    await asyncio.gather(
        *(slowloris() for _ in range(100)),
        *(stomp_bytes() for _ in range(100)),
        return_exceptions=True,
    )
    await asyncio.Event().wait()


PHASES: dict[str, tuple[str, Attack]] = {
    "baseline": ("none", nothing),
    "stalled": ("50 SSE + 50 STOMP never read", stalled),
    "silent": ("100 STOMP, no heart-beats", silent),
    "flood": ("1,000 SSE from one address", flood),
    "trickle": ("100 slowloris + 100 byte-a-message STOMP", trickle),
}


async def phase(
    server: Any, name: str, attack: Attack, args: argparse.Namespace
) -> tuple[dict[str, int], list[float], float, int]:
    port = free_port()
    process = start(server, port, env={"QUART_APP_STOMP_HEARTBEAT_MS": str(HEARTBEAT_MS)})
    events = int(args.rate * args.seconds)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    workers: list[Any] = []
    seen: dict[str, int] = {}
    peak = rss_mib(process.pid)
    try:
        half = args.subscribers // 2
        jobs = [
            ("sse", port, SSE_PATH, half, events, ready, results),
            ("stomp", port, "/ws", args.subscribers - half, events, ready, results),
        ]
        spawn(context, load, jobs, workers)
        for _ in workers:
            await asyncio.to_thread(ready.get, timeout=120)
        attacking = asyncio.create_task(attack(port, seen))
        await asyncio.sleep(3)  # the attackers connect
        async with httpx.AsyncClient(timeout=30) as http:
            await http.post(
                f"http://127.0.0.1:{port}/bench/publish?count={events}&rate={args.rate}"
            )
        collected = asyncio.create_task(asyncio.to_thread(lambda: list(reports(results, workers))))
        while not collected.done():
            peak = max(peak, rss_mib(process.pid))
            await asyncio.sleep(0.25)
        attacking.cancel()
        await asyncio.gather(attacking, return_exceptions=True)
        latencies = [latency for report in collected.result() for latency in report]
        return seen, latencies, peak, events * args.subscribers
    finally:
        await asyncio.to_thread(stop, process, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=80)
    parser.add_argument("--rate", type=float, default=125, help="events per second")
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    server = paced_quart_app(args.database_url, args.rate, args.seconds)
    # The benchmark's own load comes from one address; here the limit is what is tested.
    server.env.pop("QUART_APP_MAX_STREAMS_PER_CLIENT")  # type: ignore[union-attr]
    server.env["QUART_APP_MAX_STREAMS"] = "500"  # type: ignore[index]
    server.env["QUART_APP_SUBSCRIBER_QUEUE_SIZE"] = "200"  # type: ignore[index]
    print(
        f"under attack: {args.subscribers} good subscribers, {args.rate:g} events/s "
        f"({args.subscribers * args.rate:,.0f} deliveries/s) for {args.seconds:g} s, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print(
        "| phase | attackers | what became of them | good received | p50 ms | p99 ms | max ms | peak RSS MiB |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name in args.phases.split(","):
        label, attack = PHASES[name]
        seen, latencies, peak, expected = asyncio.run(phase(server, name, attack, args))
        outcome = ", ".join(f"{key} {value:,}" for key, value in seen.items()) or "-"
        if latencies:
            figures = (
                f"{percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} "
                f"| {max(latencies):.1f}"
            )
        else:
            figures = " | | "
        print(
            f"| {name} | {label} | {outcome} | {len(latencies):,} of {expected:,} | {figures} "
            f"| {peak:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
