"""Real parts for the tests: a PostgreSQL database of their own, server processes, a TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from httpx_sse import aconnect_sse

from quart_app.storage import sandbox
from quart_app.storage.database import ensure_runtime_dir, with_user

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")


def new_id() -> str:
    """A requestId no other test uses, naming the test module that made it."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    module = Path(current.split("::", 1)[0]).stem.removeprefix("test_").replace("_", "-")
    return f"{module[:40] or 't'}-{uuid.uuid4().hex[:12]}"


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid``, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass(frozen=True)
class TestDatabase:
    """A database that exists only for this test run, and a role of this run's own that may
    only read it (``reader_url``), as the service wants for ``DATABASE_URL``."""

    __test__ = False
    url: str
    name: str
    host: str
    port: int
    reader: str = ""

    @property
    def reader_url(self) -> str:
        return with_user(self.url, self.reader)

    @property
    def address(self) -> tuple[str, int] | str:
        """TCP (host, port), or the path of the unix socket."""
        if self.host.startswith("/"):
            return f"{self.host}/.s.PGSQL.{self.port}"
        return self.host, self.port


@contextlib.contextmanager
def scratch_database() -> Iterator[TestDatabase]:
    """A fresh database: on ``TEST_DATABASE_URL``'s server when set, else an embedded one."""
    name = f"quart_app_test_{uuid.uuid4().hex[:12]}"
    admin_url = os.environ.get("TEST_DATABASE_URL")
    server = None
    folder = None
    if not admin_url:
        ensure_runtime_dir()
        import pgserver

        folder = Path(tempfile.mkdtemp(prefix="quart_app_test_pg_"))
        server = pgserver.get_server(folder, cleanup_mode="stop")
        admin_url = server.get_uri()
    assert admin_url is not None
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(admin_url, name)
    reader = f"quart_app_test_reader_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(make_reader(url, reader))
        yield _describe(url, name, reader)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_admin(admin_url, f'DROP ROLE IF EXISTS "{reader}"'))
        if server is not None:
            server.cleanup()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def sibling_database(database: TestDatabase) -> Iterator[str]:
    """Another empty database on the same server, for processes that must share nothing else.

    The run's reader role may read it too: ``with_user(url, database.reader)``."""
    name = f"quart_app_aux_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(database.url, f'CREATE DATABASE "{name}"'))
    url = _with_database(database.url, name)
    try:
        asyncio.run(make_reader(url, database.reader))
        yield url
    finally:
        asyncio.run(_admin(database.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def make_reader(url: str, role: str) -> None:
    """Let ``role`` read the public schema of ``url``'s database, as the service does on the
    embedded server (tables made later included)."""
    connection = await asyncpg.connect(url)
    try:
        await sandbox.prepare_reader(
            connection, role=role, schemas=("public",), limits=sandbox.ReaderLimits()
        )
    finally:
        await connection.close()


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()


def _describe(url: str, name: str, reader: str) -> TestDatabase:
    parts = urlsplit(url)
    query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
    host = query.get("host") or parts.hostname or "127.0.0.1"
    return TestDatabase(
        url=url,
        name=name,
        host=host,
        port=parts.port or int(query.get("port", 5432)),
        reader=reader,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``python -m quart_app`` on a free port, as a user would start it."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        log_path: Path | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.args = args
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log_path or Path(
            tempfile.mkstemp(prefix="quart_app_server_", suffix=".log")[1]
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._final_log: str | None = None
        self._terminated = False

    def start(self, timeout: float = 60) -> ServerProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("QUART_APP_")}
        env.pop("DATABASE_URL", None)
        env.update(self.env)
        self._terminated = False
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "quart_app", "--port", str(self.port), *self.args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become healthy in {timeout} s:\n{self.log()}")

    def terminate(self) -> None:
        """SIGTERM, once, as a service manager would; ``stop()`` waits for the exit."""
        assert self.process is not None
        if self.process.poll() is None and not self._terminated:
            self._terminated = True
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a service manager would; the exit code. The log file is removed."""
        assert self.process is not None
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._final_log is None:
            self._final_log = self.log()
            self.log_path.unlink(missing_ok=True)
        return self.process.returncode

    def log(self) -> str:
        if self._final_log is not None:
            return self._final_log
        return self.log_path.read_text(errors="replace")


def stop_all(servers: list[ServerProcess]) -> None:
    """Stop every one of ``servers``: all are sent SIGTERM at once, so that they shut down
    side by side rather than one after the other."""
    for server in servers:
        if server.process is not None:
            server.terminate()
    for server in servers:
        if server.process is not None:
            server.stop()


class TcpProxy:
    """Forwards 127.0.0.1:port to a database; ``stop()`` drops every connection, like an
    outage, and ``hang()`` stalls them, like a network that stops answering."""

    def __init__(self, target: tuple[str, int] | str) -> None:
        self.target = target
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._cut_marker: bytes | None = None

    def hang(self) -> None:
        """Stop passing bytes either way, on open and new connections, like a network that
        stalls: nothing is refused or closed, nothing arrives."""
        self._flowing.clear()

    def resume(self) -> None:
        """Pass the held bytes on, and go on as before."""
        self._flowing.set()

    def cut_after(self, marker: bytes) -> None:
        """Once: pass on the next client message holding ``marker``, then drop that
        connection before any answer to it comes back (a commit that may have happened)."""
        self._cut_marker = marker

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._flowing.set()  # what hung may end now

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)  # so that stop() drops it even while it hangs
        await self._flowing.wait()
        if writer.transport.is_closing():
            return
        try:
            if isinstance(self.target, str):
                upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.target)
            else:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, upstream_writer})
        cut = asyncio.Event()
        await asyncio.gather(
            self._pipe(reader, upstream_writer, cut, upstream=True),
            self._pipe(upstream_reader, writer, cut, upstream=False),
            return_exceptions=True,
        )

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cut: asyncio.Event,
        *,
        upstream: bool,
    ) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                if cut.is_set():
                    break
                marker = self._cut_marker
                if upstream and marker is not None and marker in data:
                    self._cut_marker = None
                    cut.set()  # no answer goes back from here on
                    writer.write(data)
                    await writer.drain()
                    await asyncio.sleep(0.3)  # the database acts on it meanwhile
                    break
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
            self._writers.discard(writer)


async def wait_for_events(
    http: httpx.AsyncClient, request_id: str, until: str = "terminal", timeout: float = 30
) -> list[dict[str, object]]:
    """The request's events from ``/api/jobs/{id}/events`` once one has stage/status ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        response = await http.get(f"/api/jobs/{request_id}/events")
        events: list[dict[str, object]] = (
            response.json().get("events", []) if response.status_code == 200 else []
        )
        if any(
            event["status"] != "progress" if until == "terminal" else event["stage"] == until
            for event in events
        ):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"no {until} event for {request_id} within {timeout} s: {events}")
        await asyncio.sleep(0.02)


async def collect_sse(url: str, path: str, into: list[dict[str, Any]], **kwargs: Any) -> None:
    """Read a stream into ``into`` until it ends or the server goes away."""
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            async with aconnect_sse(client, "GET", path, **kwargs) as source:
                async for sse in source.aiter_sse():
                    if sse.data:
                        into.append(json.loads(sse.data))
    except (httpx.HTTPError, httpx.StreamError):
        pass


async def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
