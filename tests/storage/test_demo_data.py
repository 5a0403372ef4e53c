"""The demo data set: the same rows however it is loaded, and never half of it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from quart_app.storage import demo_data
from tests.servers import ServerProcess, TestDatabase, make_reader, with_user

TABLES = demo_data.TABLES
# Each table's rows in their physical order: the same rows, stored the same way.
CHECKSUMS = " UNION ALL ".join(
    f"(SELECT '{table}', count(*), md5(string_agg(t::text, ',' ORDER BY ctid)) FROM {table} t)"
    for table in TABLES
)


async def checksums(connection: asyncpg.Connection) -> list[tuple[str, int, str]]:
    return [tuple(row) for row in await connection.fetch(CHECKSUMS)]


@pytest.fixture(scope="module", name="expected")
async def fixture_expected(database: TestDatabase) -> list[tuple[str, int, str]]:
    """The checksums of the demo data set in the run's database, which tests/conftest.py
    loaded on two connections: what every load must give. Read once for the module."""
    connection = await asyncpg.connect(database.url)
    try:
        return await checksums(connection)
    finally:
        await connection.close()


@pytest.fixture(name="scratch")
async def fixture_scratch(
    db: asyncpg.Connection, database: TestDatabase
) -> AsyncIterator[tuple[str, str]]:
    """An empty database of the test's own, its URL and name."""
    name = f"quart_app_demo_{uuid.uuid4().hex[:8]}"
    await db.execute(f'CREATE DATABASE "{name}"')
    yield database.url.replace(f"/{database.name}", f"/{name}"), name
    await db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(name="data_dir")
def fixture_data_dir() -> Iterator[Path]:
    """A data folder of the test's own; a PostgreSQL left running on it is stopped."""
    folder = Path(tempfile.mkdtemp(prefix="quart_app_data_"))
    yield folder
    pid_file = folder / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)  # fast shutdown
        for _ in range(100):
            if not pid_file.exists():
                break
            time.sleep(0.1)
    shutil.rmtree(folder, ignore_errors=True)


async def test_the_rows_are_those_one_session_draws_from_the_seed(
    db: asyncpg.Connection, expected: list[tuple[str, int, str]]
) -> None:
    """page_views is filled on a session of its own, which first draws what the tables before
    it draw: its rows are those of every table filled in turn on one session."""
    schema = f"one_session_{uuid.uuid4().hex[:8]}"
    await db.execute(f"CREATE SCHEMA {schema}")
    try:
        async with db.transaction():
            await db.execute(f"SET LOCAL search_path = {schema}")
            await db.execute(demo_data._SEED)
            await db.execute(demo_data._SHOP_SCHEMA + demo_data._PAGE_VIEWS_SCHEMA)
            for _, statement in demo_data._STEPS:
                await db.execute(statement)
            one_session = await checksums(db)
    finally:
        await db.execute(f"DROP SCHEMA {schema} CASCADE")
    assert expected == one_session  # loaded by tests/conftest.py, on two connections


async def test_an_interrupted_load_leaves_nothing_and_the_next_loads_it_all(
    db: asyncpg.Connection,
    database: TestDatabase,
    scratch: tuple[str, str],
    expected: list[tuple[str, int, str]],
) -> None:
    url, name = scratch
    await make_reader(url, database.reader)  # may read tables made in public from now on
    connect = functools.partial(asyncpg.connect, url)
    connection = await connect()
    try:
        loading = asyncio.create_task(demo_data.load(connection, connect))
        # Once the other tables are built and committed, while page_views is still being
        # filled or keyed on a connection of its own: that connection is killed.
        await staged_when(connect, lambda tables: len(tables) >= 4)
        other = await backend_running(db, name, "page_views", not_pid=connection.get_server_pid())
        await db.execute("SELECT pg_terminate_backend($1)", other)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)):
            await loading  # the server's error, or asyncpg's on the connection it closed
        assert not await demo_data.is_loaded(connection)
        assert await tables_in(connection, "public") == []
        assert await staged_when(connect, bool)  # built, and not taken for the data set

        assert await demo_data.ensure_loaded(connection, connect)
        assert await tables_in(connection, "public") == sorted(TABLES)
        assert await checksums(connection) == expected
        assert not await connection.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1", demo_data.STAGING_SCHEMA
        )
        assert not await demo_data.ensure_loaded(connection, connect)
    finally:
        await connection.close()
    reader = await asyncpg.connect(with_user(url, database.reader))
    try:  # public's default privileges hold for tables moved there
        assert await reader.fetchval("SELECT count(*) FROM products") == 500
    finally:
        await reader.close()


def test_a_service_killed_while_it_loads_leaves_a_folder_the_next_start_loads(
    data_dir: Path,
) -> None:
    settings = {"QUART_APP_DATA_DIR": str(data_dir)}
    killed = ServerProcess(settings, log_path=data_dir / "killed.log")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        starting = pool.submit(killed.start, 180)
        deadline = time.monotonic() + 180
        # page_views, the longest, is still being filled when another table is the fourth
        while not killed.log_path.exists() or "[4/5]" not in killed.log_path.read_text():
            assert time.monotonic() < deadline, killed.log_path.read_text()
            time.sleep(0.01)
        assert killed.process is not None
        killed.process.kill()
        with pytest.raises(RuntimeError, match="server exited"):
            starting.result()
    assert "Demo data set ready" not in killed.log()

    server = ServerProcess(settings, log_path=data_dir / "next.log").start(timeout=180)
    try:
        assert "Demo data set ready" in server.log()
        counts = httpx.post(
            f"{server.url}/api/query-execution/execute",
            json={"sql": " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)},
            timeout=60,
        ).json()["rows"]
        assert dict(counts) == {
            "customers": 10_000,
            "products": 500,
            "orders": 200_000,
            "order_items": 600_000,
            "page_views": 2_000_000,
        }
    finally:
        assert server.stop() == 0
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()  # the last one out stopped it


async def backend_running(
    db: asyncpg.Connection, database: str, statement: str, *, not_pid: int
) -> int:
    """The process id of the backend of ``database`` (other than ``not_pid``) running
    ``statement``, once it runs."""
    for _ in range(3000):
        pid = await db.fetchval(
            """
            SELECT pid FROM pg_stat_activity
             WHERE datname = $1 AND pid <> $3 AND state = 'active' AND strpos(query, $2) > 0
            """,
            database,
            statement,
            not_pid,
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no backend ran {statement!r}")


async def staged_when(
    connect: demo_data.Connect, condition: Callable[[list[str]], bool]
) -> list[str]:
    """The tables committed in the staging schema, once they meet ``condition``."""
    connection = await connect()
    try:
        for _ in range(3000):
            tables = await tables_in(connection, demo_data.STAGING_SCHEMA)
            if condition(tables):
                return tables
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    raise AssertionError(f"the staging schema never held what was expected: {tables}")


async def tables_in(connection: asyncpg.Connection, schema: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema
    )
    return [row["tablename"] for row in rows]
