"""Fan-out: one publisher at full rate, many subscribers each receiving every event.

    python bench/fanout.py [--subscribers 1000] [--events 1000] [--runs 3]
                           [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Each server runs in a process of its own; subscribers are held by two load
processes on loopback. A scenario publishes ``--events`` events and waits until
every subscriber has them all. For each it prints deliveries per second (first
publish to last receipt), deliveries per server CPU second (user + system time of
the server process over that window) and what did not arrive; the figure is the
median of ``--runs`` runs, with the ratio to the peer measured in the same run.

Servers: quart_app (the real app with its memory history; the publisher goes
through RequestEvents and the EventBus, subscribers through the real ``/ws`` and
``/sse`` transports, and SockJS's ``xhr_streaming`` under ``/ws``); sse-starlette
on uvicorn (SSE); stomp-broker-js under Node (STOMP over WebSocket, and over
sockjs-node for SockJS; ``cd bench/js && npm ci`` first); a bare ``websockets``
``broadcast()`` server, the floor of what Python does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

HERE = Path(__file__).parent
LOAD_PROCESSES = 2
IDLE_TIMEOUT = 30.0  # a subscriber that hears nothing this long stops counting
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# BENCH_PROFILE=/tmp/fanout runs quart_app under py-spy, writing /tmp/fanout-<mix>.txt.
PROFILE = os.environ.get("BENCH_PROFILE")
# py-spy from the same environment, found even when that environment is not activated
PY_SPY = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]
    publish: tuple[str, str]  # method, path (count is appended)
    sse_path: str | None = None
    ws_path: str | None = None
    env: dict[str, str] | None = None


def paced_quart_app(database_url: str, rate: float, seconds: float) -> Server:
    """quart_app as a paced run measures it, with the open-file limit raised for its load."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    settings = argparse.Namespace(
        database_url=database_url, events=int(rate * seconds), coalesce_ms=None
    )
    return servers(settings)["quart_app"]


def servers(args: argparse.Namespace) -> dict[str, Server]:
    python = sys.executable
    return {
        "quart_app": Server(
            "quart_app",
            [python, str(HERE / "peers/quart_app_fanout.py"), "--port", "{port}"],
            ("POST", "/bench/publish?count="),
            sse_path="/sse/topic/query-execution",
            ws_path="/ws",
            env={
                "DATABASE_URL": args.database_url,
                # The benchmark measures delivery, and runs no user SQL: any role will do.
                "QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE": "on",
                "QUART_APP_HISTORY_URL": "memory",
                "QUART_APP_HISTORY_SIZE": str(args.events * 2),
                # Deep enough that no subscriber is cut off as a slow consumer.
                "QUART_APP_SUBSCRIBER_QUEUE_SIZE": str(args.events + 100),
                "QUART_APP_LOG_LEVEL": "WARNING",
                # The load comes from one address, far past the per-client default.
                "QUART_APP_MAX_STREAMS_PER_CLIENT": "0",
                # And may hold more than the default total: the open-file limit bounds it.
                "QUART_APP_MAX_STREAMS": "0",
                **({"QUART_APP_WRITE_COALESCE_MS": args.coalesce_ms} if args.coalesce_ms else {}),
            },
        ),
        "sse-starlette": Server(
            "sse-starlette",
            [python, str(HERE / "peers/sse_starlette_fanout.py"), "--port", "{port}"],
            ("POST", "/publish?count="),
            sse_path="/sse",
        ),
        "stomp-broker-js": Server(
            "stomp-broker-js",
            ["node", str(HERE / "js/stomp_broker.js"), "{port}"],
            ("GET", "/publish?count="),
            ws_path="/ws",
        ),
        "stomp-broker-js/sockjs": Server(
            "stomp-broker-js/sockjs",
            ["node", str(HERE / "js/stomp_broker.js"), "{port}", "sockjs"],
            ("GET", "/publish?count="),
            ws_path="/ws",
        ),
        "websockets": Server(
            "websockets",
            [python, str(HERE / "peers/websockets_fanout.py"), "--port", "{port}"],
            ("GET", "/publish?count="),
            ws_path="/",
        ),
    }


# Load processes ------------------------------------------------------------------


async def sse_subscriber(port: int, path: str, expected: int, done: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    received, tail = 0, b""
    ready = False
    try:
        while received < expected:
            chunk = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT)
            if not chunk:
                break
            if not ready:
                ready = True
                done.append(-1.0)  # subscribed
            data = tail + chunk
            received += data.count(b"data:") - tail.count(b"data:")
            tail = data[-5:]
    finally:
        done.append(time.time())
        writer.close()
    return received


async def ws_subscriber(port: int, path: str, stomp: bool, expected: int, done: list[float]) -> int:
    received = 0
    async with connect(
        f"ws://127.0.0.1:{port}{path}",
        subprotocols=["v12.stomp"] if stomp else None,  # type: ignore[list-item]
        max_size=None,
        ping_interval=None,
        # No permessage-deflate: stomp-broker-js refuses it, and zlib is not what is measured.
        compression=None,
    ) as socket_:
        if stomp:
            await socket_.send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\n\n\0")
            await socket_.recv()
            await socket_.send(
                "SUBSCRIBE\nid:0\ndestination:/topic/query-execution\nack:auto\n\n\0"
            )
        done.append(-1.0)
        try:
            while received < expected:
                message = await asyncio.wait_for(socket_.recv(), IDLE_TIMEOUT)
                # A WebSocket message may carry several STOMP frames.
                received += str(message).count("MESSAGE\n") if stomp else 1
        finally:
            done.append(time.time())
    return received


STOMP_CONNECT = "CONNECT\naccept-version:1.2\nhost:127.0.0.1\nheart-beat:0,0\n\n\0"
STOMP_SUBSCRIBE = "SUBSCRIBE\nid:0\ndestination:/topic/query-execution\nack:auto\n\n\0"


async def http_post(
    port: int, path: str, body: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, dict[str, str]]:
    """POST ``body`` on a new connection: its reader and writer, and the response's headers.

    A connection for each request: a server closes a kept-alive one that has been idle
    for its keep-alive timeout (5 s on both), counted from when it ended the previous
    response, which a load process that is seconds behind has not read yet.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
        status, *lines = head.decode("latin-1").split("\r\n")
        if status.split()[1] not in ("200", "204"):
            raise RuntimeError(f"POST {path}: {status}")
    except BaseException:
        writer.close()
        raise
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines if line)
    }
    return reader, writer, headers


async def sockjs_send(port: int, session: str, frame: str) -> None:
    _, writer, _ = await http_post(port, f"{session}/xhr_send", json.dumps([frame]).encode())
    writer.close()


async def sockjs_stream(
    port: int, session: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer, headers = await http_post(port, f"{session}/xhr_streaming", b"")
    if headers.get("transfer-encoding") != "chunked":
        writer.close()
        raise RuntimeError(f"xhr_streaming not chunked: {headers}")
    return reader, writer


async def sockjs_subscriber(port: int, path: str, expected: int, done: list[float]) -> int:
    """STOMP over SockJS: frames from ``xhr_streaming``, CONNECT and SUBSCRIBE by ``xhr_send``.

    Until CONNECTED, the body is read a chunk at a time, a frame a line; then in
    blocks, counting ``MESSAGE`` in the raw bytes as the SSE subscriber counts
    ``data:`` (both servers write a frame per chunk, so no chunk header splits one).
    A streaming response ends after the server's response limit (128 KiB on
    both) and closes the connection; the client then opens the next one on the
    same session, as sockjs-client does.
    """
    session = f"{path}/000/{secrets.token_hex(8)}"
    received = 0
    reader, writer = await sockjs_stream(port, session)
    try:
        lines = b""
        while b"CONNECTED" not in lines:
            size = int(await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT), 16)
            lines += (await asyncio.wait_for(reader.readexactly(size + 2), IDLE_TIMEOUT))[:-2]
            if size == 0 or lines.startswith(b"c") or b"\nc[" in lines:
                raise RuntimeError(f"session closed while opening: {lines[-200:]!r}")
            if lines.endswith(b"\no\n"):
                await sockjs_send(port, session, STOMP_CONNECT)
        await sockjs_send(port, session, STOMP_SUBSCRIBE)
        done.append(-1.0)
        tail = b""
        while received < expected:
            data = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT)
            if not data:  # the response limit: open the next response
                writer.close()
                reader, writer = await sockjs_stream(port, session)
                tail = b""
                continue
            data = tail + data
            if (closed := data.find(b"\r\nc[")) >= 0:
                raise RuntimeError(f"session closed: {data[closed + 2 : closed + 80]!r}")
            if b"\r\no\n" in data:
                # The session expired between two responses (its disconnect delay, 5 s on
                # both servers: the load process was that far behind) and a new one opened.
                raise RuntimeError("session expired and reopened")
            # Newlines are escaped in the JSON strings: ``MESSAGE\n`` is ten bytes.
            received += data.count(b"MESSAGE\\n") - tail.count(b"MESSAGE\\n")
            tail = data[-9:]
    finally:
        writer.close()
        done.append(time.time())
    return received


def load(
    kind: str, port: int, path: str, count: int, expected: int, ready: Any, results: Any
) -> None:
    async def run() -> None:
        done: list[float] = []
        subscribers = []
        for first in range(0, count, 50):  # connect in small waves
            for _ in range(min(50, count - first)):
                if kind == "sse":
                    coroutine = sse_subscriber(port, path, expected, done)
                elif kind == "sockjs":
                    coroutine = sockjs_subscriber(port, path, expected, done)
                else:
                    coroutine = ws_subscriber(port, path, kind == "stomp", expected, done)
                subscribers.append(asyncio.ensure_future(coroutine))
            await asyncio.sleep(0.05)
        while done.count(-1.0) < count and not all(task.done() for task in subscribers):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        ready.put(kind)
        outcomes = await asyncio.gather(*subscribers, return_exceptions=True)
        received = [outcome if isinstance(outcome, int) else 0 for outcome in outcomes]
        failures = [repr(outcome) for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            print(
                f"{len(failures)} {kind} subscribers failed, first: {failures[0]}", file=sys.stderr
            )
        results.put((sum(received), max([t for t in done if t > 0], default=time.time())))

    asyncio.run(run())


# One scenario ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def start(server: Server, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``server`` listening on ``port`` (quart_app: healthy), with ``env`` on top of its own."""
    command = [part.replace("{port}", str(port)) for part in server.command]
    process = subprocess.Popen(
        command, env={**os.environ, **(server.env or {}), **(env or {})}, stdout=subprocess.DEVNULL
    )
    try:
        wait_listening(port, process)
        if server.name == "quart_app":
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).raise_for_status()
    except BaseException:
        stop(process, [])
        raise
    return process


def stop(process: subprocess.Popen[bytes], workers: list[Any]) -> None:
    """Join (or kill) the load processes, then stop the server."""
    for worker in workers:
        worker.join(timeout=20)
        if worker.is_alive():
            worker.kill()
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def spawn(context: Any, target: Any, jobs: Iterable[tuple[Any, ...]], workers: list[Any]) -> None:
    """Start a load process per argument tuple, each added to ``workers`` as it starts."""
    for args in jobs:
        worker = context.Process(target=target, args=args)
        worker.start()
        workers.append(worker)


def reports(results: Any, workers: list[Any]) -> Iterator[Any]:
    """One report per load process, as each arrives; ends early if they all died."""
    received = 0
    while received < len(workers):
        try:
            report = results.get(timeout=5)
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                raise RuntimeError("a load process died without reporting") from None
            continue
        received += 1
        yield report


def scenario(server: Server, mix: dict[str, int], events: int, rate: float = 0) -> dict[str, float]:
    """One run: ``mix`` maps sse/stomp/sockjs/ws to a subscriber count."""
    port = free_port()
    process = start(server, port)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    workers = []
    try:
        for kind, count in mix.items():
            path = server.sse_path if kind == "sse" else server.ws_path
            jobs = [
                (kind, port, path, share, events, ready, results)
                for share in split(count, LOAD_PROCESSES)
            ]
            spawn(context, load, jobs, workers)
        for _ in workers:
            ready.get(timeout=120)
        time.sleep(1.0)  # let the last SUBSCRIBE frames land
        profiler = None
        if PROFILE and server.name == "quart_app":  # collapsed stacks, for a flame graph
            profiler = subprocess.Popen(
                [PY_SPY, "record", "--pid", str(process.pid), "--format", "raw",
                 "--rate", "250", "--nonblocking", "-o", f"{PROFILE}-{'-'.join(mix)}.txt"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)
        cpu_before = cpu_seconds(process.pid)
        started = time.time()
        method, path = server.publish
        paced = f"&rate={rate}" if rate else ""
        httpx.request(method, f"http://127.0.0.1:{port}{path}{events}{paced}", timeout=30)
        received, last = 0, started
        for count, finished in reports(results, workers):
            received += count
            last = max(last, finished)
        cpu = cpu_seconds(process.pid) - cpu_before
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
    finally:
        stop(process, workers)
    expected = sum(mix.values()) * events
    elapsed = last - started
    return {
        "per_second": received / elapsed,
        "per_cpu_second": received / cpu if cpu else float("nan"),
        "missing": expected - received,
        "elapsed": elapsed,
    }


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--coalesce-ms", help="QUART_APP_WRITE_COALESCE_MS for quart_app (default: its own)"
    )
    parser.add_argument("--only", help="run only the scenarios whose title contains this")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="events per second, paced, instead of as fast as the publisher can",
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    # Every process started from here (servers, load) inherits the raised file limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    known = servers(args)
    n = args.subscribers
    plan = [
        ("SSE", "quart_app", {"sse": n}, "sse-starlette", {"sse": n}),
        ("STOMP", "quart_app", {"stomp": n}, "stomp-broker-js", {"stomp": n}),
        ("half SSE, half STOMP", "quart_app", {"sse": n // 2, "stomp": n - n // 2}, None, None),
        ("SockJS xhr-streaming", "quart_app", {"sockjs": n}, "stomp-broker-js/sockjs", None),
        ("WebSocket floor", "websockets", {"ws": n}, None, None),
    ]
    if args.only:
        plan = [row for row in plan if args.only.lower() in row[0].lower()]
    if shutil.which("node") is None or not (HERE / "js/node_modules").exists():
        print("stomp-broker-js skipped: needs node and `cd bench/js && npm ci`")
        plan = [row for row in plan if row[3] != "stomp-broker-js"]
        # SockJS is still measured on quart_app, without its peer.
        plan = [
            (*row[:3], None, None) if row[3] == "stomp-broker-js/sockjs" else row for row in plan
        ]
    print(
        f"fan-out: {n} subscribers, {args.events} events each"
        f"{f' at {args.rate:g}/s' if args.rate else ''}, {args.runs} runs, "
        f"{os.cpu_count()} cores, {LOAD_PROCESSES} load processes; medians\n"
    )
    print(
        f"| {'scenario':22} | {'server':22} | {'deliveries/s':>12} | {'per CPU s':>10} "
        f"| {'missing':>7} | {'vs peer (/s, /CPU s)':>20} |"
    )
    print(f"|{'-' * 24}|{'-' * 24}|{'-' * 14}:|{'-' * 11}:|{'-' * 8}:|{'-' * 22}:|")
    for title, ours, mix, peer, peer_mix in plan:
        measured: dict[str, list[dict[str, float]]] = {ours: []}
        if peer:
            measured[peer] = []
        for _ in range(args.runs):  # alternate, so drift on the machine hits both
            measured[ours].append(scenario(known[ours], mix, args.events, args.rate))
            if peer:
                measured[peer].append(
                    scenario(known[peer], peer_mix or mix, args.events, args.rate)
                )
        medians = {name: median_of(runs) for name, runs in measured.items()}
        for name, result in medians.items():
            ratio = ""
            if peer and name == ours and medians[peer]["per_second"]:
                other = medians[peer]
                ratio = (
                    f"{result['per_second'] / other['per_second']:.2f}x, "
                    f"{result['per_cpu_second'] / other['per_cpu_second']:.2f}x"
                )
            print(
                f"| {title:22} | {name:22} | {result['per_second']:12,.0f} "
                f"| {result['per_cpu_second']:10,.0f} | {result['missing']:7,.0f} | {ratio:>20} |"
            )


if __name__ == "__main__":
    main()
