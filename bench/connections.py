"""Idle subscribers held by one server process, the memory each one costs, and delivery to them.

    python bench/connections.py [--subscribers 10000] [--servers quart_app,websockets]
                                [--deliver 3] [--open-timeout SECONDS]

For each server of ``fanout.py``, ``--subscribers`` idle subscribers (quart_app: half
SSE, half STOMP; each peer: its own transport) are opened from load processes (four,
or more so that none needs more than its file limit), from loopback source addresses
127.0.0.2 and up, ``PER_SOURCE`` at most from each (one address cannot open more than
the ephemeral port range to one server port). The server's VmRSS is read before and
once all are subscribed; the difference divided by the subscribers held is one's cost.
``--deliver N`` then publishes N events through the server, as ``fanout.py`` does, and
counts for each the subscribers that received it, and when the last one arrived.

The file limit of every process started from here is raised to what the server needs
(raising the hard limit needs CAP_SYS_RESOURCE), or else to the hard limit, saying how
many streams that leaves quart_app (the open-file limit less a tenth, at least 128;
when full, a new stream closes the oldest).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import multiprocessing
import os
import queue
import re
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fanout
import httpx
from fanout import Server, split
from websockets.asyncio.client import connect

LOAD_PROCESSES = 4
# Connections from one source address: the ephemeral range (32768-60999 here) holds 28,232.
PER_SOURCE = 10_000
# Handshakes in flight per load process: more only fills the server's accept backlog (100).
OPENING = 25
# quart_app keeps a tenth of its open files, at least this many, for other than streams
# (quart_app/streams.py); also the margin of a load process.
RESERVED_FILES = 128
# Delivery ends when every held subscriber has every event, or nothing arrived for this long.
SETTLE_SECONDS = 20.0
# Every publisher puts the event's index there (quart_app's bench publisher and the peers).
EVENT_INDEX = re.compile(rb'"rowsFetched":(\d+)')
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


@dataclass(frozen=True)
class Job:
    """What one load process holds: ``count`` subscribers of ``kind`` from ``sources``."""

    kind: str  # sse, stomp or ws
    port: int
    path: str
    count: int
    sources: tuple[str, ...]
    events: int  # to be published once all are open (0: none)
    open_timeout: float


class Tally:
    """One load process's subscribers: opened, failed, closed, and the events they heard."""

    def __init__(self, events: int) -> None:
        self.opening = asyncio.Semaphore(OPENING)
        self.opened = self.failed = self.closed = 0  # closed: by the server, once open
        self.error = ""  # the first failure
        self.opened_at = 0.0  # when the last one opened (epoch seconds)
        self.counts = [0] * events  # per event: the subscribers that got it
        self.last = [0.0] * events  # per event: its latest arrival (epoch seconds)

    @property
    def held(self) -> int:
        return self.opened - self.closed

    def heard(self, data: bytes) -> None:
        now = time.time()
        for match in EVENT_INDEX.finditer(data):
            index = int(match[1])
            if index < len(self.counts):
                self.counts[index] += 1
                self.last[index] = now

    def delivered(self) -> bool:
        return all(count >= self.held for count in self.counts)


async def source_socket(source: str, port: int) -> socket.socket:
    """A socket from ``source`` connected to 127.0.0.1:``port``; IP_BIND_ADDRESS_NO_PORT leaves
    the port to ``connect``, unique for this server only, not among all bound to ``source``."""
    sock = socket.socket()
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.setblocking(False)
        sock.bind((source, 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return sock


async def idle_sse(
    job: Job, source: str, opened: Callable[[], None], heard: Callable[[bytes], None]
) -> None:
    sock = await source_socket(source, job.port)
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(f"GET {job.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n")[0].decode("latin-1"))
        opened()
        pending = b""
        while chunk := await reader.read(65536):  # events and pings, until the server goes
            pending += chunk
            end = pending.rfind(b"\n") + 1  # whole lines only (a data line is an event)
            if end:
                heard(pending[:end])
                pending = pending[end:]
    finally:
        writer.close()


async def idle_ws(
    job: Job, source: str, opened: Callable[[], None], heard: Callable[[bytes], None]
) -> None:
    stomp = job.kind == "stomp"
    async with connect(
        f"ws://127.0.0.1:{job.port}{job.path}",
        sock=await source_socket(source, job.port),
        subprotocols=["v12.stomp"] if stomp else None,  # type: ignore[list-item]
        compression=None,
        ping_interval=None,
        max_size=None,
        open_timeout=job.open_timeout,
    ) as socket_:
        if stomp:
            await socket_.send(fanout.STOMP_CONNECT)
            if not str(answer := await socket_.recv()).startswith("CONNECTED"):
                raise RuntimeError(f"STOMP CONNECT answered {str(answer)[:200]!r}")
            await socket_.send(fanout.STOMP_SUBSCRIBE)
        opened()
        async for message in socket_:  # until the server goes
            heard(message.encode() if isinstance(message, str) else message)


async def subscriber(job: Job, source: str, tally: Tally) -> None:
    """One idle subscriber, counted in ``tally`` as it opens, fails or is closed."""
    is_open = False

    def opened() -> None:
        nonlocal is_open
        is_open = True
        tally.opened += 1
        tally.opened_at = time.time()
        tally.opening.release()

    await tally.opening.acquire()
    try:
        await (idle_sse if job.kind == "sse" else idle_ws)(job, source, opened, tally.heard)
    except Exception as error:
        tally.error = tally.error or f"{job.kind} from {source}: {error!r}"
    finally:
        if is_open:
            tally.closed += 1
        else:
            tally.failed += 1
            tally.opening.release()


async def wait_set(flag: Any, stop_holding: Any) -> None:
    while not flag.is_set() and not stop_holding.is_set():  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def holding(job: Job, ready: Any, reports: Any, published: Any, stop_holding: Any) -> None:
    tally = Tally(job.events)
    tasks = [
        asyncio.ensure_future(subscriber(job, job.sources[index // PER_SOURCE], tally))
        for index in range(job.count)
    ]
    deadline = time.monotonic() + job.open_timeout
    while tally.opened + tally.failed < job.count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    waiting = job.count - tally.opened - tally.failed  # still opening at the deadline
    ready.put((tally.held, tally.failed, tally.closed, tally.error, tally.opened_at, waiting))
    if job.events:
        await wait_set(published, stop_holding)
        quiet_since = time.time()
        while not tally.delivered() and time.time() - quiet_since < SETTLE_SECONDS:
            await asyncio.sleep(0.05)
            quiet_since = max([quiet_since, *tally.last])
        reports.put((tally.counts, tally.last, tally.held, tally.closed, tally.error))
    await wait_set(stop_holding, stop_holding)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def hold(job: Job, ready: Any, reports: Any, published: Any, stop_holding: Any) -> None:
    asyncio.run(holding(job, ready, reports, published, stop_holding))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def jobs_for(mix: dict[str, int], server: Server, port: int, args: argparse.Namespace) -> list[Job]:
    """The load processes' jobs: enough processes that none needs more than its file limit,
    and each subscriber's source address used by ``PER_SOURCE`` subscribers at most."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    first = int(ipaddress.IPv4Address("127.0.0.2"))
    jobs = []
    for kind, count in mix.items():
        parts = max(LOAD_PROCESSES // len(mix), -(-count // (soft - RESERVED_FILES)))
        path = server.sse_path if kind == "sse" else server.ws_path
        assert path is not None
        for share in split(count, parts):
            addresses = range(first, first - (-share // PER_SOURCE))
            first = addresses.stop
            sources = tuple(str(ipaddress.IPv4Address(address)) for address in addresses)
            jobs.append(Job(kind, port, path, share, sources, args.deliver, args.open_timeout))
    return jobs


def collect(results: Any, workers: list[Any], timeout: float) -> list[Any]:
    """One report per load process; raises if they stop before all have reported."""
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < len(workers):
        try:
            got.append(results.get(timeout=2))
        except queue.Empty:
            if time.monotonic() > deadline or not all(worker.is_alive() for worker in workers):
                raise RuntimeError(f"{len(workers) - len(got)} load processes silent") from None
    return got


def deliver(
    server: Server, port: int, events: int, reports: Any, workers: list[Any]
) -> dict[str, Any]:
    """Publish ``events`` events: each one's receipts, and the last arrival after the publish."""
    method, path = server.publish
    published_at = time.time()
    httpx.request(method, f"http://127.0.0.1:{port}{path}{events}", timeout=60).raise_for_status()
    got = collect(reports, workers, SETTLE_SECONDS * 3 + 600)
    counts = [sum(report[0][index] for report in got) for index in range(events)]
    last = max(max(report[1]) for report in got)
    return {
        "received": counts,
        "expected": sum(report[2] for report in got),
        "last_s": last - published_at if last else float("nan"),
        "closed": sum(report[3] for report in got),
        "errors": [report[4] for report in got if report[4]],
    }


def measure(server: Server, mix: dict[str, int], args: argparse.Namespace) -> dict[str, Any]:
    port = fanout.free_port()
    process = fanout.start(server, port)
    context = multiprocessing.get_context("spawn")
    ready, reports = context.Queue(), context.Queue()
    published, stop_holding = context.Event(), context.Event()
    workers: list[Any] = []
    try:
        time.sleep(1.0)
        result: dict[str, Any] = {"before": rss_kib(process.pid)}
        started = time.time()
        jobs = jobs_for(mix, server, port, args)
        fanout.spawn(
            context, hold, [(job, ready, reports, published, stop_holding) for job in jobs], workers
        )
        got = collect(ready, workers, args.open_timeout + 120)
        result.update(
            held=sum(report[0] for report in got),
            failed=sum(report[1] for report in got),
            closed=sum(report[2] for report in got),
            waiting=sum(report[5] for report in got),
            errors=[report[3] for report in got if report[3]],
            open_s=max(report[4] for report in got) - started,
            load_processes=len(workers),
            sources=sum(len(job.sources) for job in jobs),
        )
        time.sleep(2.0)  # let allocations settle
        result.update(after=rss_kib(process.pid), files=len(os.listdir(f"/proc/{process.pid}/fd")))
        if args.deliver:
            published.set()
            result["delivery"] = deliver(server, port, args.deliver, reports, workers)
            result["after_delivery"] = rss_kib(process.pid)
        return result
    finally:
        published.set()
        stop_holding.set()
        fanout.stop(process, workers)


def raise_file_limit(subscribers: int) -> int:
    """Raise this process's file limit (inherited by the server and the load processes) to what
    a server holding ``subscribers`` needs, or as near as allowed; the soft limit reached."""
    need = max(subscribers + RESERVED_FILES, -(-subscribers * 10 // 9)) + 100
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return need
        except (ValueError, OSError):
            print(
                f"file limit: {subscribers:,} subscribers need about {need:,} open files in the "
                f"server, but the hard limit, {hard:,}, cannot be raised (that needs "
                "CAP_SYS_RESOURCE). One quart_app process holds at most "
                f"{hard - max(RESERVED_FILES, hard // 10):,} streams (the limit less a tenth; "
                "past it each new one closes the oldest); a peer's accept() fails past it.\n"
            )
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# Each server's subscribers, split evenly among these transports.
KINDS = {"quart_app": ("sse", "stomp"), "sse-starlette": ("sse",), "stomp-broker-js": ("stomp",)}
KINDS["websockets"] = ("ws",)
COLUMNS = "server|held|failed / closed / unopened|opened in|RSS before|RSS after|per subscriber"
COLUMNS += "|server fds"
DELIVERY_COLUMNS = "received, per event|last arrival|RSS after delivery"


def row(name: str, mix: dict[str, int], result: dict[str, Any]) -> str:
    held, before, after = result["held"], result["before"], result["after"]
    kinds = " + ".join(f"{count:,} {kind.upper()}" for kind, count in mix.items())
    ends = " / ".join(f"{result[key]:,}" for key in ("failed", "closed", "waiting"))
    cells = [f"{name} ({kinds})", f"{held:,}", ends]
    cells += [f"{result['open_s']:,.1f} s", f"{before / 1024:,.1f} MiB", f"{after / 1024:,.1f} MiB"]
    per = (after - before) / held if held else float("nan")
    cells += [f"{per:,.1f} KiB", f"{result['files']:,}"]
    if delivery := result.get("delivery"):
        received = ", ".join(f"{count:,}" for count in delivery["received"])
        cells += [f"{received} of {delivery['expected']:,}", f"{delivery['last_s']:,.2f} s"]
        cells += [f"{result['after_delivery'] / 1024:,.1f} MiB"]
    return f"| {' | '.join(cells)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--servers", default=",".join(KINDS), help="comma-separated (default: all)")
    parser.add_argument("--deliver", type=int, default=0, help="events published once all open")
    parser.add_argument("--open-timeout", type=float, help="seconds to open (default 120 + n/200)")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    n = args.subscribers
    if args.open_timeout is None:
        args.open_timeout = 120 + n / 200
    limit = raise_file_limit(n)
    args.events = 1000  # only sizes quart_app's queues, as in fanout.py
    args.coalesce_ms = None
    known = fanout.servers(args)
    mixes = {
        name: dict(zip(kinds, split(n, len(kinds)), strict=True)) for name, kinds in KINDS.items()
    }
    names = args.servers.split(",")
    if unknown := set(names) - set(mixes):
        parser.error(f"--servers: unknown {', '.join(sorted(unknown))}; known: {', '.join(mixes)}")
    print(
        f"connections: {n:,} idle subscribers per server, file limit {limit:,}, "
        f"{os.cpu_count()} cores{f', {args.deliver} events delivered' if args.deliver else ''}\n"
    )
    columns = COLUMNS.split("|") + (DELIVERY_COLUMNS.split("|") if args.deliver else [])
    rule = "|---" + "|---:" * (len(columns) - 1) + "|"
    print(f"| {' | '.join(columns)} |\n{rule}")
    notes = []
    for name in names:
        try:
            result = measure(known[name], mixes[name], args)
        except Exception as error:  # a peer that cannot hold them all is a result too
            print(f"| {name} | failed: {error!r} |")
            continue
        print(row(name, mixes[name], result), flush=True)
        errors = result["errors"] + result.get("delivery", {}).get("errors", [])
        notes.append(
            f"{name}: {result['load_processes']} load processes, {result['sources']} source "
            f"addresses{f'; first errors: {errors[:4]}' if errors else ''}"
        )
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
