"""Every hostile statement of the corpus is refused or neutralised, and the database is unchanged."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.security.hostile_sql import NEUTRALISED, NOT_SQL, UNSAFE
from tests.servers import ServerProcess, TestDatabase, sibling_database, with_user
from tests.snippets import snippet

TIMEOUT_MS = 1500
VICTIM_SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric);
CREATE TABLE products (id int PRIMARY KEY, price numeric);
INSERT INTO customers (name, email)
    SELECT 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 50) AS g;
INSERT INTO orders (customer_id, total) SELECT 1 + g % 50, g * 1.5 FROM generate_series(1, 200) AS g;
INSERT INTO products SELECT g, g * 2 FROM generate_series(1, 20) AS g;
"""


def run_sql(url: str, statements: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statements)
        finally:
            await connection.close()

    asyncio.run(run())


def checksum(url: str) -> dict[str, object]:
    """What the corpus could change: rows, catalog, sequences, roles, settings, large objects."""

    async def read() -> dict[str, object]:
        connection = await asyncpg.connect(url)
        try:
            tables = [
                row["tablename"]
                for row in await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            found: dict[str, object] = {}
            for table in tables:
                found[table] = tuple(
                    await connection.fetchrow(
                        f'SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM "{table}" t'
                    )
                )
            queries = {
                "relations": """SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text,
                                       ',' ORDER BY n.nspname, c.relname)
                                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                                  AND n.nspname NOT LIKE 'pg_toast%'""",
                "functions": """SELECT count(*) FROM pg_proc p
                                JOIN pg_namespace n ON n.oid = p.pronamespace
                                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')""",
                "sequences": """SELECT string_agg(sequencename || '=' || coalesce(last_value::text, '-'),
                                       ',' ORDER BY sequencename) FROM pg_sequences""",
                "roles": "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles",
                "role settings": "SELECT count(*) FROM pg_db_role_setting",
                "databases": "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database",
                "large objects": "SELECT count(*) FROM pg_largeobject_metadata",
                "extensions": "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension",
                "comments": """SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
                               WHERE c.relnamespace = 'public'::regnamespace""",
                "rules": "SELECT count(*) FROM pg_rules WHERE schemaname = 'public'",
                "auto.conf": """SELECT count(*) FROM pg_file_settings
                                WHERE sourcefile LIKE '%postgresql.auto.conf'""",
            }
            for name, query in queries.items():
                found[name] = await connection.fetchval(query)
            return found
        finally:
            await connection.close()

    return asyncio.run(read())


@pytest.fixture(scope="module", name="victim")
def fixture_victim(database: TestDatabase) -> Iterator[str]:
    """A small database of its own: the corpus aims at it, and its checksum is cheap."""
    with sibling_database(database) as url:
        run_sql(url, VICTIM_SCHEMA)
        yield url


@pytest.fixture(scope="module", name="target")
def fixture_target(
    victim: str, database: TestDatabase, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    return start_server(
        DATABASE_URL=with_user(victim, database.reader),
        QUART_APP_HISTORY_URL="memory",
        QUART_APP_DEFAULT_TIMEOUT_MS=str(TIMEOUT_MS),
        QUART_APP_MAX_TIMEOUT_MS=str(TIMEOUT_MS),
    )


def test_hostile_sql_is_refused_or_neutralised(target: ServerProcess, victim: str) -> None:
    owned = f"quart_app_owned_{uuid.uuid4().hex[:12]}"
    before = checksum(victim)
    outcomes: list[tuple[str, int, str]] = []
    expected: list[tuple[str, set[str]]] = [
        (sql.replace("{owned}", owned), {"unsafe_sql"})
        for statements in UNSAFE.values()
        for sql in statements
    ]
    expected += [(sql, {"sql_error"}) for sql in NOT_SQL]
    expected += [(sql, {code}) for sql, code in NEUTRALISED]
    assert len(expected) >= 60
    with httpx.Client(base_url=target.url, timeout=30) as client:
        for sql, codes in expected:
            response = client.post("/api/query-execution/execute", json={"sql": sql})
            code = response.json().get("error", {}).get("code", "")
            outcomes.append((sql[:80], response.status_code, code))
            assert code in codes and response.status_code >= 400, (sql[:200], response.text[:300])
        # Still serving, with nothing left running on the database.
        response = client.post(
            "/api/query-execution/execute", json={"sql": "SELECT count(*) FROM customers"}
        )
        assert response.status_code == 200 and response.json()["rows"] == [[50]]
    assert checksum(victim) == before
    assert not list(Path("/tmp").glob(f"{owned}*"))

    async def running() -> list[str]:
        connection = await asyncpg.connect(victim)
        try:
            rows = await connection.fetch(
                "SELECT query FROM pg_stat_activity WHERE application_name = 'quart_app' "
                "AND state = 'active'"
            )
            return [row["query"] for row in rows]
        finally:
            await connection.close()

    assert asyncio.run(running()) == []
    refused = sum(1 for _, _, code in outcomes if code == "unsafe_sql")
    print(
        f"\n{len(outcomes)} hostile statements: {refused} refused before the database, "
        f"{len(outcomes) - refused} stopped by PostgreSQL; checksum unchanged"
    )


def read_only_role(role: str, password: str, database: str) -> str:
    """docs/sandbox.md's recommended role, as the doc gives it, for ``role`` on ``database``."""
    sql = snippet("reader-role").text
    sql = re.sub(r"\banalyst\b", role, sql).replace("'…'", f"'{password}'")
    return re.sub(r"\bshop\b", f'"{database}"', sql)


@pytest.fixture(name="read_only_url")
def fixture_read_only_url(database: TestDatabase) -> Iterator[str]:
    role = f"quart_app_reader_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    # A database of its own: the doc's REVOKEs would change what the corpus above meets.
    with sibling_database(database) as url:
        run_sql(url, VICTIM_SCHEMA)
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        run_sql(url, read_only_role(role, password, name))
        host = parts.netloc.rpartition("@")[2]
        try:
            yield urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))
        finally:
            run_sql(
                url,
                f'REVOKE CONNECT ON DATABASE "{name}" FROM {role}; '
                f"DROP OWNED BY {role}; DROP ROLE {role}",
            )


def test_the_documented_read_only_role_runs_queries_and_nothing_else(
    read_only_url: str, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(DATABASE_URL=read_only_url, QUART_APP_HISTORY_URL="memory")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post(
            "/api/query-execution/execute",
            json={
                "sql": "SELECT c.name, count(o.id) FROM customers c "
                "JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY 1 LIMIT 3"
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["rowCount"] == 3
        # What a superuser could read and the role cannot: password hashes, server files.
        for sql in (
            "SELECT rolname, rolpassword FROM pg_authid",
            "SELECT current_setting('data_directory')",
        ):
            response = client.post("/api/query-execution/execute", json={"sql": sql})
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "sql_error"
            message = response.json()["error"]["message"]
            assert "permission denied" in message or "must be superuser" in message

    async def write_as_the_role() -> None:
        connection = await asyncpg.connect(read_only_url)
        try:
            with pytest.raises(asyncpg.PostgresError):
                await connection.execute("UPDATE customers SET name = 'x'")
            with pytest.raises(asyncpg.PostgresError):
                await connection.execute("BEGIN READ WRITE; DELETE FROM orders; COMMIT")
        finally:
            await connection.close()

    asyncio.run(write_as_the_role())
