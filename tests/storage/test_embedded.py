"""Running on the embedded defaults, and on a user's own database."""

from __future__ import annotations

import concurrent.futures
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.servers import ServerProcess, TestDatabase, make_reader, with_user

CHECKSUM = """
    SELECT md5(string_agg(t, '|')) FROM (
        (SELECT md5(string_agg(c::text, ',' ORDER BY id)) AS t FROM customers c)
        UNION ALL (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o)
        UNION ALL (SELECT sum(quantity * unit_price)::text FROM order_items)
        UNION ALL (SELECT md5(string_agg(url, ',' ORDER BY id)) FROM page_views WHERE id % 1000 = 0)
    ) AS parts
"""

# The transactions that wrote the demo rows: a reload would write them again.
WRITTEN_BY = "SELECT min(xmin::text), max(xmin::text) FROM products"


def postmaster(data_dir: Path) -> int:
    """The process id of the embedded PostgreSQL running on ``data_dir``."""
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.fixture(name="data_dir")
def fixture_data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="quart_app_data_"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def query(server: ServerProcess, sql: str) -> list[list[object]]:
    response = httpx.post(
        f"{server.url}/api/query-execution/execute", json={"sql": sql}, timeout=60
    )
    assert response.status_code == 200, response.text
    rows: list[list[object]] = response.json()["rows"]
    return rows


async def test_embedded_defaults_load_the_demo_data_once_and_stop_cleanly(
    data_dir: Path, db: asyncpg.Connection, database: TestDatabase
) -> None:
    """Two processes started at once on a new data folder share it: the demo data is loaded
    once and the reader role and history database made once, however the starts interleave."""
    first = ServerProcess({"QUART_APP_DATA_DIR": str(data_dir)}, log_path=data_dir / "a.log")
    second = ServerProcess({"QUART_APP_DATA_DIR": str(data_dir)}, log_path=data_dir / "b.log")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        started = list(pool.map(lambda server: server.start(timeout=180), (first, second)))
    server = first
    try:
        for one in started:
            assert query(one, "SELECT current_user, count(*) FROM products") == [
                ["quart_app_reader", 500]
            ]
        logs = first.log() + second.log()
        assert logs.count("Loading the demo data set") == 1
        assert "Traceback" not in logs
        counts = query(
            server,
            """SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products),
                      (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items),
                      (SELECT count(*) FROM page_views)""",
        )[0]
        assert counts[:3] == [10_000, 500, 200_000] and counts[4] == 2_000_000
        assert 550_000 <= counts[3] <= 650_000  # type: ignore[operator]
        # pg_constraint: information_schema shows constraints only to roles that may write.
        keys = query(
            server,
            """SELECT contype::text, count(*) FROM pg_constraint
                WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'f')
                GROUP BY 1 ORDER BY 1""",
        )
        assert keys == [["f", 4], ["p", 5]]
        span = query(
            server, "SELECT min(ordered_at)::date::text, max(ordered_at)::date::text FROM orders"
        )[0]
        assert span[0].startswith("2023") and span[1].startswith("2025")  # type: ignore[union-attr]
        embedded_sum = query(server, CHECKSUM)[0][0]
        embedded_version = query(server, "SELECT current_setting('server_version_num')")[0][0]
        written_by = query(server, WRITTEN_BY)
        postgres = postmaster(data_dir)
    finally:
        assert second.stop() == 0
        assert first.stop() == 0
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert not running(postgres)

    again = ServerProcess(
        {"QUART_APP_DATA_DIR": str(data_dir)}, log_path=data_dir / "second.log"
    ).start()
    try:
        assert query(again, WRITTEN_BY) == written_by  # the same rows: not loaded again
        assert query(again, CHECKSUM)[0][0] == embedded_sum
        postgres = postmaster(data_dir)
    finally:
        assert again.process is not None
        again.process.kill()  # a killed service never lets go of its embedded PostgreSQL
        again.process.wait()
    # The next one starts on the PostgreSQL left running, and still stops it.
    third = ServerProcess(
        {"QUART_APP_DATA_DIR": str(data_dir)}, log_path=data_dir / "third.log"
    ).start()
    try:
        assert query(third, "SELECT count(*) FROM products") == [[500]]
        assert postmaster(data_dir) == postgres
    finally:
        assert third.stop() == 0
    # The killed process counts as gone: the last one out stopped PostgreSQL.
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert not running(postgres)

    # The same seed gives the same rows in a fresh database of the same PostgreSQL version.
    if await db.fetchval("SHOW server_version_num") == embedded_version:
        assert await db.fetchval(CHECKSUM) == embedded_sum


async def test_database_url_is_used_as_is_and_nothing_is_created(
    db: asyncpg.Connection, database: TestDatabase
) -> None:
    name = f"quart_app_user_{uuid.uuid4().hex[:8]}"
    await db.execute(f'CREATE DATABASE "{name}"')
    url = database.url.replace(f"/{database.name}", f"/{name}")
    await make_reader(url, database.reader)
    server = ServerProcess({"DATABASE_URL": with_user(url, database.reader)})
    try:  # the database goes, also when the server does not start
        server.start()
        assert query(server, "SELECT current_database()") == [[name]]
        assert query(
            server, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ) == [[0]]
    finally:
        if server.process is not None:
            server.stop()
        await db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_bad_configuration_is_refused_with_a_clear_message(database: TestDatabase) -> None:
    server = ServerProcess({"DATABASE_URL": database.url, "QUART_APP_HISTORY_SIZE": "lots"})
    with pytest.raises(
        RuntimeError, match="QUART_APP_HISTORY_SIZE='lots' is not valid: expected an integer"
    ):
        server.start()
