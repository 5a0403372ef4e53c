"""The PostgreSQL that SQL runs against: an embedded server (pgserver) or ``DATABASE_URL``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

from ..config import Config
from . import demo_data

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds; asyncpg waits 60 by default for a host that never answers


def describe_url(url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, without user or password, for logs."""
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


class Database:
    """Owns the connection pool, and the embedded server when ``DATABASE_URL`` or
    ``QUART_APP_HISTORY_URL`` is not set (history is never kept in the user's database
    unless the history URL points there).

    The pool starts empty-tolerant: a database that is down at start-up, or goes
    away later, makes requests fail with ``database_unavailable`` while the
    service keeps running, and new connections are made once it is back.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.url: str | None = config.database_url
        self.history_url: str | None = config.history_url
        self.pool: asyncpg.Pool | None = None
        self._server: Any = None

    async def start(self) -> None:
        if self.config.embedded or self.config.history_url is None:
            embedded = await asyncio.to_thread(self._start_embedded)
            self.url = self.url or embedded
            self.history_url = self.history_url or embedded
        assert self.url is not None
        self.pool = asyncpg.create_pool(
            self.url,
            min_size=0,
            max_size=self.config.pool_max_size,
            init=_init_connection,
            timeout=CONNECT_TIMEOUT,
            # Backslashes in '...' are plain characters, as the SQL checks read them.
            server_settings={"application_name": "quart_app", "standard_conforming_strings": "on"},
        )
        await self.pool
        if self.config.embedded:
            async with self.pool.acquire() as connection:
                await demo_data.ensure_loaded(connection)
        else:
            await self._check_reachable()

    async def _check_reachable(self) -> None:
        assert self.pool is not None
        try:
            async with self.pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning(
                "the database at %s is not reachable yet (%s); requests answer "
                "database_unavailable until it is",
                describe_url(self.url or ""),
                str(error).splitlines()[0] if str(error) else type(error).__name__,
            )
        else:
            log.info("using the database at %s", describe_url(self.url or ""))

    async def stop(self) -> None:
        if self.pool is not None:
            try:
                await asyncio.wait_for(self.pool.close(), timeout=5)
            except TimeoutError:
                log.warning("database connections did not close within 5 s; terminating them")
                self.pool.terminate()
            self.pool = None
        if self._server is not None:
            await asyncio.to_thread(_stop_embedded, self._server)
            self._server = None
            log.info("embedded PostgreSQL stopped")

    def _start_embedded(self) -> str:
        ensure_runtime_dir()
        import pgserver  # imported late: it reads XDG_RUNTIME_DIR when imported

        data_dir = self.config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir / "pgdata"
        log.info("starting embedded PostgreSQL in %s", pgdata)
        self._server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        uri: str = self._server.get_uri()
        return uri


def _stop_embedded(server: Any) -> None:
    # pgserver stops PostgreSQL when the last process using it lets go, and keeps those
    # processes' pids in a file. One that was killed never let go, and PostgreSQL would
    # outlive every later stop: forget the pids of processes that no longer run first.
    with server._lock:
        handles = server.global_process_id_list
        pids = handles.get()
        running = [pid for pid in pids if _running(pid)]
        if running != pids:
            handles.put(running)
            log.info(
                "embedded PostgreSQL: forgot %d pid(s) of killed processes that used it",
                len(pids) - len(running),
            )
    server.cleanup()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def ensure_runtime_dir() -> None:
    # pgserver keeps its lock file under XDG_RUNTIME_DIR and wants that folder private.
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir() and stat.S_IMODE(Path(runtime).stat().st_mode) == 0o700:
        return
    fallback = Path(f"/tmp/quart_app-runtime-{os.getuid()}")
    fallback.mkdir(mode=0o700, exist_ok=True)
    fallback.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(fallback)


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
