"""The PostgreSQL that SQL runs against: an embedded server (pgserver) or ``DATABASE_URL``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg

from ..config import Config
from ..errors import Busy, DatabaseUnavailable
from . import demo_data, sandbox
from .codecs import install_codecs
from .pg_errors import DATABASE_ERRORS, one_line

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds; asyncpg waits 60 by default for a host that never answers


def describe_url(url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, without user or password, for logs."""
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


class Database:
    """Owns the pool user SQL runs on, and the embedded server when ``DATABASE_URL`` or
    ``QUART_APP_HISTORY_URL`` is not set (history is never kept in the user's database
    unless the history URL points there).

    User SQL logs in as a role that can only read. On the embedded server the service
    makes that role itself (storage/sandbox.py) and keeps its history in a database of
    its own that the role cannot connect to; with ``DATABASE_URL`` the role is checked
    at start, and one that could write, create or signal is refused.

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
        self._role_checked = config.database_url is None  # the embedded role is made right
        # A superuser given on purpose can also cap temp files per statement.
        self._sets_temp_file_limit = False
        self._running: dict[str, int] = {}  # statements running, per client
        limit = config.max_statements_per_client
        self.per_client = limit or max(1, config.pool_max_size - 2)

    async def start(self) -> None:
        if self.config.embedded or self.config.history_url is None:
            await self._prepare_embedded(await asyncio.to_thread(self._start_embedded))
        assert self.url is not None
        self.pool = asyncpg.create_pool(
            self.url,
            min_size=0,
            max_size=self.config.pool_max_size,
            init=self._init_connection,
            timeout=CONNECT_TIMEOUT,
            # Backslashes in '...' are plain characters, as PostgreSQL's parser reads them.
            server_settings={"application_name": "quart_app", "standard_conforming_strings": "on"},
        )
        await self.pool
        if not self.config.embedded:
            await self._check_reachable()

    async def _prepare_embedded(self, url: str) -> None:
        connect = functools.partial(asyncpg.connect, url, timeout=CONNECT_TIMEOUT)
        admin = await connect()
        try:
            # Processes sharing the data folder may start at once: one prepares at a time
            # (the demo data is loaded once; two CREATE DATABASE at once fail, as both need
            # template1 to themselves).
            await admin.execute(f"SELECT pg_advisory_lock({_PREPARE_LOCK})")
            # The history database is made on a connection of its own while the demo data
            # loads; both end before the lock is let go, and the first error is raised.
            done = await asyncio.gather(
                self._prepare_user_database(admin, url, connect),
                self._prepare_history(url, connect),
                return_exceptions=True,
            )
            for result in done:
                if isinstance(result, BaseException):
                    raise result
        finally:
            await admin.close()  # and with it the lock

    async def _prepare_user_database(
        self, admin: asyncpg.Connection, url: str, connect: demo_data.Connect
    ) -> None:
        if not self.config.embedded:
            return
        await demo_data.ensure_loaded(admin, connect)
        await sandbox.prepare_reader(
            admin, role=sandbox.READER_ROLE, schemas=("public",), limits=self._limits()
        )
        self.url = with_user(url, sandbox.READER_ROLE)

    async def _prepare_history(self, url: str, connect: demo_data.Connect) -> None:
        if self.config.history_url is not None:
            return
        connection = await connect()
        try:
            await sandbox.ensure_database(connection, sandbox.HISTORY_DATABASE)
            await sandbox.close_database(connection, sandbox.HISTORY_DATABASE)
        finally:
            await connection.close()
        self.history_url = with_database(url, sandbox.HISTORY_DATABASE)

    def _limits(self) -> sandbox.ReaderLimits:
        return sandbox.ReaderLimits(
            statement_timeout_ms=self.config.max_timeout_ms,
            temp_file_limit_kb=self.config.temp_file_limit_mb * 1024,
            work_mem_kb=self.config.work_mem_mb * 1024,
        )

    async def _check_reachable(self) -> None:
        assert self.pool is not None
        try:
            async with self.pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
        except DATABASE_ERRORS as error:
            log.warning(
                "the database at %s is not reachable yet (%s); requests answer "
                "database_unavailable until it is, and its role is checked then",
                describe_url(self.url or ""),
                one_line(error),
            )
        else:
            log.info("using the database at %s", describe_url(self.url or ""))

    async def _init_connection(self, connection: asyncpg.Connection) -> None:
        await install_codecs(connection)  # values Python cannot hold arrive as text
        if not self._role_checked:
            await self._check_role(connection)

    async def _check_role(self, connection: asyncpg.Connection) -> None:
        problems = await sandbox.role_problems(connection)
        user = await connection.fetchval("SELECT current_user")
        if problems and not self.config.accept_unsafe_database_role:
            raise UnsafeDatabaseRole(
                f"DATABASE_URL logs in as {user!r}, which {'; '.join(problems)}: user SQL "
                "would run with those rights. Take them from it, or connect as a role that "
                f"can only read, e.g. {await sandbox.reader_sql(connection)} "
                "(or set QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE=on to run anyway)"
            )
        if problems:
            log.warning(
                "DATABASE_URL logs in as %r, which %s; running anyway, as "
                "QUART_APP_ACCEPT_UNSAFE_DATABASE_ROLE says: the database role is no "
                "boundary for user SQL, only the statement check is",
                user,
                "; ".join(problems),
            )
        self._sets_temp_file_limit = sandbox.SUPERUSER in problems
        if not self._sets_temp_file_limit and await connection.fetchval(
            "SELECT current_setting('temp_file_limit') = '-1'"
        ):
            log.warning(
                "temp files of user SQL are not capped: run ALTER ROLE %s SET temp_file_limit "
                "= '1GB' as a superuser (only a superuser may set it)",
                user,
            )
        self._role_checked = True

    def caps(self, timeout_ms: int) -> str:
        """``SET LOCAL`` statements that cap one statement's time and memory."""
        caps = (
            f"SET LOCAL statement_timeout = {int(timeout_ms)}; "
            f"SET LOCAL work_mem = {self.config.work_mem_mb * 1024}"
        )
        if self._sets_temp_file_limit:
            caps += f"; SET LOCAL temp_file_limit = {self.config.temp_file_limit_mb * 1024}"
        return caps

    @contextlib.asynccontextmanager
    async def connection(self, client: str, timeout: float) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one statement of ``client``, waited for at most ``timeout`` s.

        ``Busy`` when ``client`` already runs its share of the pool, or when no connection
        came free in time: the statement never started, so it is not a timeout.
        """
        if self.pool is None:
            raise DatabaseUnavailable("the database is not connected yet")
        running = self._running.get(client, 0)
        if running >= self.per_client:
            raise Busy(
                f"this client already runs {running} statements at once, the most it may "
                "(QUART_APP_MAX_STATEMENTS_PER_CLIENT): retry when one has finished"
            )
        self._running[client] = running + 1
        try:
            try:
                # Not wait_for, which can drop a cancel that comes with the
                # connection (storage/availability.py, ``bounded``).
                async with asyncio.timeout(timeout):
                    connection = await self.pool.acquire()
            except TimeoutError:
                raise Busy(
                    f"every database connection stayed in use for {timeout * 1000:.0f} ms "
                    "(QUART_APP_POOL_MAX_SIZE): the statement did not start"
                ) from None
            except UnsafeDatabaseRole as error:
                raise DatabaseUnavailable(str(error)) from None
            try:
                yield connection
            finally:
                await self.pool.release(connection)
        finally:
            left = self._running[client] - 1
            if left:
                self._running[client] = left
            else:
                del self._running[client]

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
        from pgserver import postgres_server

        data_dir = self.config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir / "pgdata"
        log.info("starting embedded PostgreSQL in %s", pgdata)
        # The postmaster inherits pg_ctl's environment, and any role that may read
        # /proc/<pid>/environ would find the service's secrets there: pgserver offers no
        # way to pass an environment, so its pg_ctl is given only what PostgreSQL needs.
        start, initdb = postgres_server.pg_ctl, postgres_server.initdb  # type: ignore[attr-defined]
        postgres_server.pg_ctl = functools.partial(start, env=postgres_environment())  # type: ignore[attr-defined]
        postgres_server.initdb = functools.partial(_initdb, initdb)  # type: ignore[attr-defined]
        try:
            self._server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        finally:
            postgres_server.pg_ctl, postgres_server.initdb = start, initdb  # type: ignore[attr-defined]
        uri: str = self._server.get_uri()
        return uri


class UnsafeDatabaseRole(Exception):
    """``DATABASE_URL``'s role could do more than read, and that was not accepted."""


_PREPARE_LOCK: Final = 7_311_542_901  # advisory lock key, on the embedded server only
# What the embedded postmaster keeps of the service's environment.
_POSTGRES_ENVIRONMENT: Final = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")


# Settings of a new data folder. wal_level = minimal lets the demo data skip the WAL: the
# tables and indexes a transaction creates are synced to disk at its commit instead. The
# embedded server has no replicas and no WAL archive, the only users of that WAL.
_INITDB_SETTINGS: Final = ("wal_level=minimal", "max_wal_senders=0")


def _initdb(initdb: Any, args: list[str], **kwargs: Any) -> Any:
    """pgserver's initdb, making a data folder with ``_INITDB_SETTINGS``."""
    return initdb([*args, *(f"--set={setting}" for setting in _INITDB_SETTINGS)], **kwargs)


def postgres_environment() -> dict[str, str]:
    """The environment the embedded PostgreSQL starts with: locale and path, no secrets."""
    return {name: os.environ[name] for name in _POSTGRES_ENVIRONMENT if name in os.environ}


def with_user(url: str, user: str) -> str:
    """``url`` logging in as ``user``, with no password (the embedded server trusts its socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


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
